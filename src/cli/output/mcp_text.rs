//! MCP checks for people: the `MCP:` line of `tenant show`, and the table `health` adds.

use super::tables::{clip, table};
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
