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
                // Back only when it answers (a failure at a new URL starts a new count).
                (true, false) if health.error.is_none() => MCP_RECOVERED,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{NewTenant, new_tenant};
    use crate::domain::mcp_health::{McpOutcome, record};
    use crate::domain::model::Integration;

    fn failed(
        before: Option<&super::super::mcp_health::McpHealth>,
    ) -> super::super::mcp_health::McpHealth {
        let outcome = McpOutcome {
            url: "https://run.example/drive/mcp".into(),
            elapsed_ms: 5,
            result: Err("HTTP 503".into()),
        };
        record(before, outcome, 9, 1).0
    }

    #[test]
    fn an_added_integrations_server_going_unreachable_and_back_is_its_own_event() {
        let input = NewTenant {
            slug: "acme".into(),
            ..Default::default()
        };
        let mut before = new_tenant(&input, 1).unwrap().0;
        before.add_integration(Integration::GoogleDrive, 2).unwrap();
        let mut after = before.clone();
        after.added[0].mcp = Some(failed(None));
        let events = of_changes(Some(&before), &after);
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].0, MCP_UNREACHABLE);
        assert_eq!(events[0].1["integration"], "google-drive");
        assert_eq!(events[0].1["error"], "HTTP 503");
        // Another failure while unreachable says nothing.
        let mut again = after.clone();
        again.added[0].mcp = Some(failed(after.added[0].mcp.as_ref()));
        assert!(of_changes(Some(&after), &again).is_empty());
        // A success says it is back.
        let mut back = again.clone();
        let ok = McpOutcome {
            url: "https://run.example/drive/mcp".into(),
            elapsed_ms: 5,
            result: Ok(vec!["list_files".into()]),
        };
        // A failure at a new URL (redeployed) counts again but is no recovery.
        let moved = McpOutcome {
            url: "https://run.example/drive-v2/mcp".into(),
            elapsed_ms: 5,
            result: Err("HTTP 503".into()),
        };
        let mut elsewhere = again.clone();
        elsewhere.added[0].mcp = Some(record(again.added[0].mcp.as_ref(), moved, 10, 2).0);
        assert!(of_changes(Some(&again), &elsewhere).is_empty());
        back.added[0].mcp = Some(record(again.added[0].mcp.as_ref(), ok, 10, 1).0);
        let events = of_changes(Some(&again), &back);
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].0, MCP_RECOVERED);
        assert!(crate::config::WEBHOOK_EVENTS.contains(&MCP_RECOVERED));
        assert!(crate::config::WEBHOOK_EVENTS.contains(&MCP_UNREACHABLE));
    }
}
