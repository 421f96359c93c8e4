//! A local, in-memory stand-in for the Blaxel control plane (connections and functions),
//! for `--demo` and tests.
//!
//! Invariants: it checks what the real API checks (bearer key, workspace, API version,
//! names, required fields, bound connections exist, 409 on duplicates and on deleting a
//! connection in use, 404 on unknown names), masks secrets in every answer, and moves a new
//! or updated function from `DEPLOYING` to `DEPLOYED` after `deploy_delay`, computed from
//! timestamps. Injected faults are driven by deterministic request counters, never by
//! chance, so tests are reproducible.
//!
//! Its parts depend on each other in one direction, from the server down to plain data:
//! `server` (router, running instance) → `routes` (auth, workspace, version, which
//! operation) → `faults` (logging, counting, injected faults), `handlers` (connection and
//! function operations), `catalog` (the workspace and the integrations offered) and
//! `listing` (`GET /functions`) → `views` (answers as the API
//! shows them) and `validate` (body checks) → `state` (the objects under one lock) →
//! `settings` and `error`. Each deployed function also has a real MCP endpoint (`mcp`,
//! rmcp's streamable HTTP server with the tools of `mcp_tools`), behind the key and
//! workspace checks Blaxel's gateway makes, with its own faults.

mod catalog;
mod error;
mod faults;
mod handlers;
mod listing;
mod mcp;
mod mcp_endpoints;
mod mcp_tools;
mod routes;
mod server;
mod settings;
mod state;
mod validate;
mod views;

pub use mcp_tools::{SANDBOX_MCP_VERSION, tools_of};
pub use server::{BlaxelSandboxHandle, router, spawn};
pub use settings::{
    BlaxelFaults, BlaxelSandboxConfig, McpFaults, SECRET_MASK, SUPPORTED_API_VERSIONS,
};
pub use state::{
    BlaxelSandboxState, LoggedRequest, McpLoggedRequest, SandboxConnection, SandboxFunction,
};
