//! An MCP server's last check as faces show it (`tenant show`, `health`, the console): its
//! tools and the time it took, or its error; whether it is shown unreachable.

use serde::{Deserialize, Serialize};

use crate::domain::mcp_health::McpHealth;
use crate::domain::model::Integration;
use crate::time::{Millis, rfc3339};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpView {
    /// The URL called.
    pub url: String,
    /// Whether the last check listed the tools.
    pub usable: bool,
    /// The tools listed, on success.
    #[serde(default)]
    pub tools: Vec<String>,
    /// The time the check took.
    pub elapsed_ms: u64,
    pub checked_at: String,
    /// `checked_at` in unix milliseconds.
    pub checked_ms: Millis,
    /// Why the last check failed (the transport's or Blaxel's words).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Failed checks in a row.
    #[serde(default)]
    pub failures: u32,
    /// Failed `health.mcp_failures` checks in a row, and since when.
    #[serde(default)]
    pub unreachable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable_since: Option<String>,
    /// The last check that listed the tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usable_at: Option<String>,
}

impl McpView {
    pub fn of(h: &McpHealth) -> Self {
        McpView {
            url: h.url.clone(),
            usable: h.error.is_none(),
            tools: h.tools.clone(),
            elapsed_ms: h.elapsed_ms,
            checked_at: rfc3339(h.checked_at),
            checked_ms: h.checked_at,
            error: h.error.clone(),
            failures: h.failures,
            unreachable: h.is_unreachable(),
            unreachable_since: h.unreachable_since.map(rfc3339),
            usable_at: h.usable_at.map(rfc3339),
        }
    }

    /// One line: the tools and the time, or the error (and whether it is unreachable).
    pub fn line(&self) -> String {
        if self.usable {
            return format!(
                "usable, {} tools in {} ms ({}): {}",
                self.tools.len(),
                self.elapsed_ms,
                self.checked_at,
                self.tools.join(", ")
            );
        }
        let state = if self.unreachable {
            "UNREACHABLE"
        } else {
            "check failed"
        };
        format!(
            "{state} ({} in a row, last {}): {}",
            self.failures,
            self.checked_at,
            self.error.as_deref().unwrap_or("no reason given")
        )
    }
}

/// One integration's check, as `health` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpCheckView {
    pub slug: String,
    pub integration: Integration,
    #[serde(flatten)]
    pub check: McpView,
}
