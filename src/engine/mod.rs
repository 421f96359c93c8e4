//! The engine: domain records, pure lifecycle transitions, the serde Command/Reply types that
//! every face (CLI, control socket, listener, TUI) goes through, and the handle that runs them.

pub mod api;
pub mod consent;
pub mod handle;
mod jobs;
pub mod lifecycle;
pub mod model;
pub mod outcome;
#[cfg(test)]
mod tests;

pub use api::{Command, Reply};
pub use handle::{Engine, EngineError};
