//! An MCP check recorded on an integration's facet: the health after it (see
//! [`super::mcp_health::record`]) and the timeline entry of the change it is, if any.

use super::mcp_health::{McpChange, McpHealth, McpOutcome, record};
use super::model::{AuditEvent, EventKind, Tenant, TenantStatus};
use crate::time::Millis;

/// `facet` (an integration seen as a tenant of it alone) with the check recorded, and the
/// timeline entry of the change it is, if any. The record's `updated_at` moves only with a
/// change: a round that finds the same says nothing new of the tenant.
pub fn apply(
    facet: &Tenant,
    outcome: McpOutcome,
    now: Millis,
    threshold: u32,
) -> (Tenant, Option<AuditEvent>) {
    let (health, change) = record(facet.mcp.as_ref(), outcome, now, threshold);
    let detail = match change {
        Some(McpChange::Unreachable) => format!(
            "MCP server unreachable after {} failed checks in a row: {}",
            health.failures,
            health.error.as_deref().unwrap_or("no reason given")
        ),
        Some(McpChange::Recovered) => format!(
            "MCP server usable again ({} tools: {})",
            health.tools.len(),
            health.tools.join(", ")
        ),
        None => String::new(),
    };
    let event = change.map(|c| AuditEvent {
        at: now,
        tenant: facet.slug.clone(),
        kind: match c {
            McpChange::Unreachable => EventKind::McpUnreachable,
            McpChange::Recovered => EventKind::McpRecovered,
        },
        detail,
        integration: None,
    });
    let mut next = facet.clone();
    next.mcp = Some(health);
    if event.is_some() {
        next.updated_at = now;
    }
    (next, event)
}

/// The last check as shown and counted: only while its integration is deployed (once it
/// leaves `deployed`, what its server did says nothing of it; the record stays, so no
/// change is told when it leaves).
pub fn shown(status: TenantStatus, mcp: Option<&McpHealth>) -> Option<&McpHealth> {
    mcp.filter(|_| status == TenantStatus::Deployed)
}
