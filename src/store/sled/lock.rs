//! Who holds the database: a small `owner.json` beside it, written by whichever process
//! opened it, so a second process gets "in use by process N (...)" instead of an IO error.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::time::{now_ms, rfc3339};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LockHolder {
    pub pid: u32,
    pub command: String,
    pub since: i64,
}

const FILE: &str = "owner.json";
/// Global options that take a separate value.
const VALUE_OPTIONS: [&str; 3] = ["--config", "--data-dir", "--key-file"];

/// Called right after the lock is taken: only the holder writes.
pub(super) fn record(dir: &Path) {
    // The subcommand words only: options and their values (paths) are left out.
    let mut words = Vec::new();
    let mut skip_value = false;
    for a in std::env::args().skip(1) {
        if skip_value {
            skip_value = false;
        } else if a.starts_with('-') {
            skip_value = !a.contains('=') && VALUE_OPTIONS.contains(&a.as_str());
        } else {
            words.push(a);
        }
        if words.len() == 2 {
            break;
        }
    }
    let command = words.join(" ");
    let info = LockHolder {
        pid: std::process::id(),
        command: format!("mcp-onboard {command}").trim().to_owned(),
        since: now_ms(),
    };
    if let Ok(text) = serde_json::to_vec(&info) {
        // Best effort: the lock itself is what protects the database.
        let _ = std::fs::write(dir.join(FILE), text);
    }
}

/// The process recorded as holding the database in `dir`, if any is.
pub(super) fn holder_pid(dir: &Path) -> Option<u32> {
    std::fs::read(dir.join(FILE))
        .ok()
        .and_then(|b| serde_json::from_slice::<LockHolder>(&b).ok())
        .map(|o| o.pid)
}

pub(super) fn describe_holder(dir: &Path) -> String {
    std::fs::read(dir.join(FILE))
        .ok()
        .and_then(|b| serde_json::from_slice::<LockHolder>(&b).ok())
        .map(|o| {
            format!(
                "process {} (`{}`, since {})",
                o.pid,
                o.command,
                rfc3339(o.since)
            )
        })
        .unwrap_or_else(|| "another process".to_owned())
}
