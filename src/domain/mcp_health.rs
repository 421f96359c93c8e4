//! An MCP server's health: the last check of a deployed integration's server (its tools and
//! the time it took, or why it failed), the failures in a row, and when it is shown
//! unreachable. Pure: the check itself is done by the engine with the Blaxel credentials.
//!
//! Invariant: a server is unreachable from the `threshold`-th failure in a row until the
//! next success; each of these two changes is one timeline entry (and one webhook), the
//! rounds between add nothing.

use serde::{Deserialize, Serialize};

use crate::time::Millis;

/// The last MCP check of an integration's server, as stored on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpHealth {
    /// When the check ended.
    pub checked_at: Millis,
    /// The URL called (the function's `metadata.url` + `/mcp`, as Blaxel returned it).
    pub url: String,
    /// The time the check took (0 when nothing was sent).
    pub elapsed_ms: u64,
    /// The tools the server listed (e.g. `send_email`), on success.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
    /// Why it failed: the transport's or Blaxel's words, the key taken out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Failed checks in a row (0 after a success).
    #[serde(default)]
    pub failures: u32,
    /// Since when the server is shown unreachable (`failures` reached the threshold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable_since: Option<Millis>,
    /// The last success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usable_at: Option<Millis>,
}

impl McpHealth {
    pub fn is_unreachable(&self) -> bool {
        self.unreachable_since.is_some()
    }
}

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpOutcome {
    pub url: String,
    pub elapsed_ms: u64,
    /// The tools, or the error's text (redacted already).
    pub result: Result<Vec<String>, String>,
}

/// A change worth a timeline entry and a webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McpChange {
    Unreachable,
    Recovered,
}

/// The health after `outcome` at `now`, given the one before, and the change it is, if
/// any. `threshold` is at least 1 (0 counts as 1).
pub fn record(
    before: Option<&McpHealth>,
    outcome: McpOutcome,
    now: Millis,
    threshold: u32,
) -> (McpHealth, Option<McpChange>) {
    let was_unreachable = before.is_some_and(McpHealth::is_unreachable);
    match outcome.result {
        Ok(tools) => (
            McpHealth {
                checked_at: now,
                url: outcome.url,
                elapsed_ms: outcome.elapsed_ms,
                tools,
                error: None,
                failures: 0,
                unreachable_since: None,
                usable_at: Some(now),
            },
            was_unreachable.then_some(McpChange::Recovered),
        ),
        Err(error) => {
            // Failures at another URL (the server was redeployed elsewhere) say nothing of
            // this one: the count starts again.
            let same = before.filter(|b| b.url == outcome.url);
            let failures = same.map_or(0, |b| b.failures).saturating_add(1);
            let reached = failures >= threshold.max(1);
            let since = match same.and_then(|b| b.unreachable_since) {
                Some(since) => Some(since),
                None => reached.then_some(now),
            };
            (
                McpHealth {
                    checked_at: now,
                    url: outcome.url,
                    elapsed_ms: outcome.elapsed_ms,
                    tools: Vec::new(),
                    error: Some(error),
                    failures,
                    unreachable_since: since,
                    usable_at: before.and_then(|b| b.usable_at),
                },
                (!was_unreachable && since.is_some()).then_some(McpChange::Unreachable),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> McpOutcome {
        McpOutcome {
            url: "https://run.example/acme/mcp".into(),
            elapsed_ms: 12,
            result: Ok(vec!["send_email".into()]),
        }
    }

    fn failed() -> McpOutcome {
        McpOutcome {
            result: Err("could not reach the MCP server: connection refused".into()),
            ..ok()
        }
    }

    #[test]
    fn unreachable_at_the_threshold_once_and_recovered_once() {
        let (h1, c1) = record(None, failed(), 1, 3);
        assert_eq!((h1.failures, c1, h1.is_unreachable()), (1, None, false));
        let (h2, c2) = record(Some(&h1), failed(), 2, 3);
        assert_eq!((h2.failures, c2), (2, None));
        let (h3, c3) = record(Some(&h2), failed(), 3, 3);
        assert_eq!(c3, Some(McpChange::Unreachable));
        assert_eq!(h3.unreachable_since, Some(3));
        // Further failures change nothing worth saying.
        let (h4, c4) = record(Some(&h3), failed(), 4, 3);
        assert_eq!((h4.failures, c4, h4.unreachable_since), (4, None, Some(3)));
        let (h5, c5) = record(Some(&h4), ok(), 5, 3);
        assert_eq!(c5, Some(McpChange::Recovered));
        assert_eq!((h5.failures, h5.unreachable_since), (0, None));
        assert_eq!(h5.tools, vec!["send_email".to_owned()]);
        assert_eq!(h5.usable_at, Some(5));
        // A success when it was reachable is no change.
        assert_eq!(record(Some(&h5), ok(), 6, 3).1, None);
        // A failure keeps when it last worked.
        assert_eq!(record(Some(&h5), failed(), 7, 3).0.usable_at, Some(5));
    }

    #[test]
    fn failures_at_another_url_count_again() {
        let (h1, _) = record(None, failed(), 1, 2);
        let (h2, c2) = record(Some(&h1), failed(), 2, 2);
        assert_eq!((h2.failures, c2), (2, Some(McpChange::Unreachable)));
        let moved = McpOutcome {
            url: "https://run.example/acme-v2/mcp".into(),
            ..failed()
        };
        let (h3, c3) = record(Some(&h2), moved.clone(), 3, 2);
        assert_eq!((h3.failures, h3.unreachable_since, c3), (1, None, None));
        let (h4, c4) = record(Some(&h3), moved, 4, 2);
        assert_eq!(
            (h4.unreachable_since, c4),
            (Some(4), Some(McpChange::Unreachable))
        );
    }

    #[test]
    fn a_threshold_of_one_or_zero_is_the_first_failure() {
        assert_eq!(record(None, failed(), 1, 1).1, Some(McpChange::Unreachable));
        assert_eq!(record(None, failed(), 1, 0).1, Some(McpChange::Unreachable));
    }

    #[test]
    fn a_record_of_the_previous_release_reads_without_it_and_the_field_reads_back() {
        let h = record(None, failed(), 1, 1).0;
        let json = serde_json::to_value(&h).unwrap();
        let back: McpHealth = serde_json::from_value(json).unwrap();
        assert_eq!(back, h);
        let minimal: McpHealth =
            serde_json::from_str(r#"{"checked_at":1,"url":"u","elapsed_ms":0}"#).unwrap();
        assert!(!minimal.is_unreachable());
    }
}
