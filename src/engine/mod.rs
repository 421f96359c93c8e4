//! The engine: the serde Command/Reply/Event types every face speaks, the one commit point
//! through which every change reaches the store, the consent flow's effects, and the client
//! API that hides whether a face holds the engine in process or across the control socket.
//!
//! The records and the pure transitions live in [`crate::domain`]; `model` and `lifecycle`
//! are re-exported here for the faces.

pub mod api;
mod approval;
mod audit;
mod binding;
pub mod client;
pub mod consent;
pub mod error;
pub mod events;
pub mod handle;
pub mod health;
pub mod import;
mod links;
pub mod offboard;
pub mod outcome;
pub mod reconcile;
mod retry;
pub mod webhooks;

pub use crate::domain::{lifecycle, model};
pub use api::{Command, Reply};
pub use client::{Attachment, EngineApi, Events, Local};
pub use error::{ApiError, EngineError, ErrorCode};
pub use events::{Event, EventBody, Item};
pub use handle::{Engine, MAX_LINK_TTL, MIN_LINK_TTL, Role};
