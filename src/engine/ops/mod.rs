//! The operations beside the core, a file per group. Each is a function over the core and
//! the actor, or (when a worker or a face other than the command line runs it) a struct
//! implementing [`crate::engine::Operation`]. An operator's `Command` is one operation
//! (`command`), dispatched to these.
//!
//! - `tenants`: add, show, list, edit, remove; `links`: issue, withdraw, link every new
//!   tenant; `integrations`: adding and removing a tenant's integration (`links_leaving`:
//!   the links of one removed); `jobs`: retries and the provisioner's records; `approval`:
//!   the identity gate's approve and reject; `offboard`: the command and its steps;
//!   `revoke`: its revoke step; `grants`: giving a Google grant back; `health`: token
//!   checks, `health_round`: a round of them; `mcp_checks`: calls to the deployed MCP
//!   servers; `reconcile`: drift at Blaxel (`reconcile_fix`:
//!   `--fix`); `import`: importing tenants as one decision; `webhooks`: the outbox's
//!   delivery; `online`: the online checks with the engine's config; `admin`: status, the audit chain, backups, the sweeper;
//! - `apply`, `batch`: applying a transition in a transaction, many tenants in batches.

pub mod admin;
mod apply;
pub mod approval;
mod batch;
mod command;
pub mod grants;
pub mod health;
pub mod health_round;
pub mod import;
pub mod integrations;
pub mod jobs;
pub mod links;
mod links_leaving;
pub mod mail_record;
pub mod mcp_checks;
mod no_callback;
pub mod offboard;
mod online;
pub mod reconcile;
mod reconcile_fix;
pub mod revoke;
pub mod risc;
pub mod tenants;
pub mod webhooks;

pub use apply::{apply_for, apply_in, tenant_in, write_links};
