//! The webhook events of an MCP server's health: `tenant.mcp_unreachable` when an
//! integration's server is shown unreachable, `tenant.mcp_recovered` when it answers again.

use serde_json::{Value, json};

use super::model::Tenant;

pub const MCP_UNREACHABLE: &str = "tenant.mcp_unreachable";
pub const MCP_RECOVERED: &str = "tenant.mcp_recovered";

/// One event for each integration whose server became unreachable or usable again between
/// `before` and `after`, about that integration alone.
pub fn of_changes(before: Option<&Tenant>, after: &Tenant) -> Vec<(&'static str, Value)> {
    let unreachable = |t: &Tenant| t.mcp.as_ref().is_some_and(|m| m.is_unreachable());
    after
        .integrations()
        .into_iter()
        .filter_map(|i| {
            let now = after.facet(i)?;
            let was = before
                .and_then(|b| b.facet(i))
                .is_some_and(|f| unreachable(&f));
            let health = now.mcp.as_ref()?;
            let kind = match (was, unreachable(&now)) {
                (false, true) => MCP_UNREACHABLE,
                (true, false) => MCP_RECOVERED,
                _ => return None,
            };
            let data = json!({
                "slug": now.slug,
                "name": now.display_name,
                "status": now.status,
                "integration": i.name(),
                "mcp_url": health.url,
                "failures": health.failures,
                "error": health.error,
                "tools": health.tools,
                "elapsed_ms": health.elapsed_ms,
            });
            Some((kind, data))
        })
        .collect()
}
