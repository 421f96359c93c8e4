//! Who holds the database: a small `owner.json` beside it, written by whichever process
//! opened it, so a second process gets "in use by process N (...)" instead of an IO error.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::time::{now_ms, rfc3339};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OwnerInfo {
    pub pid: u32,
    pub command: String,
    pub since: i64,
}

const FILE: &str = "owner.json";

/// Called right after the lock is taken: only the holder writes.
pub(super) fn record(dir: &Path) {
    let command = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let info = OwnerInfo {
        pid: std::process::id(),
        command: format!("mcp-onboard {command}").trim().to_owned(),
        since: now_ms(),
    };
    if let Ok(text) = serde_json::to_vec(&info) {
        // Best effort: the lock itself is what protects the database.
        let _ = std::fs::write(dir.join(FILE), text);
    }
}

pub(super) fn describe_holder(dir: &Path) -> String {
    std::fs::read(dir.join(FILE))
        .ok()
        .and_then(|b| serde_json::from_slice::<OwnerInfo>(&b).ok())
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
