//! MCP checks for people: the `MCP:` line of `tenant show`, and the table `health` adds.

use super::grid::{clip, table};
use crate::engine::api::{McpCheckView, McpView};

/// The `MCP:` field's value: the last check, or that none was made yet (`None`: the
/// integration has no MCP URL to check).
pub fn mcp_values(
    check: Option<&McpView>,
    mcp_url: Option<&str>,
    slug: &str,
) -> Option<Vec<String>> {
    match (check, mcp_url) {
        (Some(c), _) => Some(vec![c.line()]),
        (None, Some(_)) => Some(vec![format!(
            "not checked yet (`mcp-onboard health {slug}`)"
        )]),
        (None, None) => None,
    }
}

/// The MCP checks `health` made, as a table (nothing when none was made).
pub fn mcp_checks_text(checks: &[McpCheckView]) -> String {
    if checks.is_empty() {
        return String::new();
    }
    let rows: Vec<[String; 5]> = checks
        .iter()
        .map(|c| {
            let state = match (c.check.usable, c.check.unreachable) {
                (true, _) => "usable",
                (false, true) => "unreachable",
                (false, false) => "failed",
            };
            let what = match &c.check.error {
                Some(e) => e.clone(),
                None => c.check.tools.join(", "),
            };
            [
                c.slug.clone(),
                c.integration.to_string(),
                state.to_owned(),
                format!("{} ms", c.check.elapsed_ms),
                clip(&what, 100),
            ]
        })
        .collect();
    let mut out = table(
        &["SLUG", "INTEGRATION", "MCP", "TOOK", "TOOLS / ERROR"],
        &rows,
    );
    let usable = checks.iter().filter(|c| c.check.usable).count();
    out.push_str(&format!(
        "MCP servers checked {}: {usable} usable, {} failed\n",
        checks.len(),
        checks.len() - usable
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mcp_health::{McpOutcome, record};
    use crate::domain::model::Integration;

    #[test]
    fn health_lists_each_server_checked_with_its_tools_or_its_error() {
        let outcome = |result| McpOutcome {
            url: "https://run.example/mcp".into(),
            elapsed_ms: 212,
            result,
        };
        let view = |slug: &str, integration, result, threshold| McpCheckView {
            slug: slug.into(),
            integration,
            check: McpView::of(&record(None, outcome(result), 0, threshold).0),
        };
        let text = mcp_checks_text(&[
            view("acme", Integration::Gmail, Ok(vec!["send_email".into()]), 3),
            view("beta", Integration::GoogleDrive, Err("HTTP 503".into()), 1),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("SLUG"), "{text}");
        assert!(
            lines[1].contains("acme")
                && lines[1].contains("usable")
                && lines[1].contains("send_email"),
            "{text}"
        );
        assert!(
            lines[2].contains("google-drive")
                && lines[2].contains("unreachable")
                && lines[2].contains("HTTP 503"),
            "{text}"
        );
        assert_eq!(lines[3], "MCP servers checked 2: 1 usable, 1 failed");
        assert_eq!(mcp_checks_text(&[]), "");
    }
}
