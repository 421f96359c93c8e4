//! Whether an MCP check is worth writing to the tenant: a round that finds what the last
//! one found writes nothing (on PostgreSQL each write is a serialized transaction, a
//! change-log row and a notice to every node, and each watcher gets an event), so the
//! stored `checked_at` and `elapsed_ms` may lag by up to [`REFRESH_AFTER`].

use super::mcp_health::McpHealth;
use crate::time::Millis;

/// A check is written at least this often even when it finds the same.
pub const REFRESH_AFTER: Millis = 24 * 60 * 60 * 1000;

/// Whether `after` (the health after a check at `now`) says something `before` did not:
/// another URL, other tools, another kind of error (its first line), a change of
/// `unreachable_since`, or another failure while below `threshold`; or `before` is older
/// than [`REFRESH_AFTER`].
pub fn worth_writing(
    before: Option<&McpHealth>,
    after: &McpHealth,
    threshold: u32,
    now: Millis,
) -> bool {
    let Some(before) = before else {
        return true;
    };
    let first_line = |h: &McpHealth| {
        h.error
            .as_deref()
            .map(|e| e.lines().next().map(str::to_owned))
    };
    before.url != after.url
        || before.tools != after.tools
        || first_line(before) != first_line(after)
        || before.unreachable_since != after.unreachable_since
        || (before.failures != after.failures && before.failures < threshold.max(1))
        || now.saturating_sub(before.checked_at) >= REFRESH_AFTER
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mcp_health::{McpOutcome, record};

    fn outcome(result: Result<Vec<String>, String>) -> McpOutcome {
        McpOutcome {
            url: "https://run.example/acme/mcp".into(),
            elapsed_ms: 10,
            result,
        }
    }

    #[test]
    fn the_same_finding_is_written_once_a_day_and_a_change_at_once() {
        let tools = || outcome(Ok(vec!["send_email".into()]));
        let (first, _) = record(None, tools(), 1_000, 3);
        assert!(worth_writing(None, &first, 3, 1_000));
        let (same, _) = record(Some(&first), tools(), 2_000, 3);
        assert!(!worth_writing(Some(&first), &same, 3, 2_000));
        let later = 1_000 + REFRESH_AFTER;
        let (day, _) = record(Some(&first), tools(), later, 3);
        assert!(worth_writing(Some(&first), &day, 3, later));
        let (other, _) = record(Some(&first), outcome(Ok(vec!["x".into()])), 2_000, 3);
        assert!(worth_writing(Some(&first), &other, 3, 2_000));

        // Failures: each counts while below the threshold, then only a new kind of error.
        let fail = |e: &str| outcome(Err(e.into()));
        let (f1, _) = record(Some(&first), fail("HTTP 503\nbusy"), 3_000, 2);
        assert!(worth_writing(Some(&first), &f1, 2, 3_000));
        let (f2, _) = record(Some(&f1), fail("HTTP 503\nstill busy"), 4_000, 2);
        assert!(worth_writing(Some(&f1), &f2, 2, 4_000), "unreachable now");
        let (f3, _) = record(Some(&f2), fail("HTTP 503\nbusy again"), 5_000, 2);
        assert!(!worth_writing(Some(&f2), &f3, 2, 5_000));
        let (f4, _) = record(Some(&f3), fail("timed out"), 6_000, 2);
        assert!(worth_writing(Some(&f3), &f4, 2, 6_000));
    }
}
