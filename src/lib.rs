//! mcp-onboard: onboard tenants to dedicated Gmail MCP servers on Blaxel.
//!
//! The engine decides (pure lifecycle transitions), the store persists (sled, secrets
//! encrypted), and the edges do IO: the HTTP listener the customer's browser talks to, the
//! Google OAuth client, the control socket that lets other processes drive the owner.

pub mod blaxel;
pub mod cli;
pub mod config;
pub mod control;
pub mod domain;
pub mod engine;
pub mod google;
pub mod http;
pub mod i18n;
pub mod logging;
pub mod mail;
pub mod message;
pub mod metrics;
pub mod owner;
pub mod provision;
pub mod qr;
pub mod qr_file;
pub mod redact;
pub mod sandbox;
pub mod store;
pub mod task_guard;
pub mod text;
pub mod time;
pub mod tui;
