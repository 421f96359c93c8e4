//! The control socket: the process that owns the database serves the engine on a Unix
//! socket (`<data dir>/control.sock`), so CLI invocations, consoles and scripts can drive
//! it while it runs and watch its events.
//!
//! The socket lives in the data dir, which must be 0700 (the store refuses a more open
//! one), so no other user can reach it at any moment; the owner also checks each peer's
//! uid (`SO_PEERCRED`) and serves only its own uid and root. The protocol is in
//! [`protocol`]: newline-delimited JSON frames with request ids, a version handshake,
//! typed errors and event streams.

pub mod client;
mod outbox;
pub mod protocol;
mod server;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub use client::{Client, ClientError};
pub use outbox::{ControlLimits, ControlStats, MAX_CONNECTIONS};
pub use server::{serve, serve_with};

pub const SOCKET_NAME: &str = "control.sock";

pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET_NAME)
}

/// Bind the socket. Call only while holding the database lock: a leftover socket file from
/// a crashed owner is then known to be stale and is replaced.
pub fn bind(data_dir: &Path) -> std::io::Result<tokio::net::UnixListener> {
    let path = socket_path(data_dir);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let listener = tokio::net::UnixListener::bind(&path)?;
    // The directory already keeps others out; the mode says so too.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}
