//! The webhook outbox's record: a tenant event waiting for the receivers that want it, and
//! which change of a tenant makes one.

use serde::{Deserialize, Serialize};

use super::model::{Tenant, TenantStatus};
use crate::time::Millis;

/// A tenant event waiting in the outbox for the webhooks that want it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEvent {
    /// The `webhook-id`: the same on every retry.
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub at: Millis,
    pub data: serde_json::Value,
    /// The receivers that took it already, by id (`[[webhook]] id`, or a keyed hash of
    /// the URL): never a URL, which may carry a password or a token.
    #[serde(default)]
    pub delivered: Vec<String>,
}

impl OutboxEvent {
    /// The webhook event a change of `before` into `after` is, if any.
    pub fn of_change(
        before: Option<TenantStatus>,
        after: &Tenant,
    ) -> Option<(&'static str, serde_json::Value)> {
        if before == Some(after.status) {
            return None;
        }
        let t = match after.status {
            TenantStatus::Consented => "tenant.consented",
            TenantStatus::Deployed => "tenant.deployed",
            TenantStatus::Failed => "tenant.failed",
            TenantStatus::NeedsReconsent => "tenant.needs_reconsent",
            TenantStatus::Offboarded => "tenant.offboarded",
            _ => return None,
        };
        let mut data = serde_json::json!({
            "slug": after.slug,
            "name": after.display_name,
            "status": after.status,
            "google_email": after.google.as_ref().and_then(|g| g.email.clone()),
        });
        if let Some(o) = data.as_object_mut() {
            if after.status == TenantStatus::Deployed
                && let Some(p) = &after.provision
            {
                o.insert("mcp_url".into(), p.mcp_url.clone().into());
                o.insert("connection".into(), p.connection_name.clone().into());
                o.insert("function".into(), p.function_name.clone().into());
            }
            if after.status == TenantStatus::Failed {
                o.insert("reason".into(), after.reason.clone().into());
                o.insert(
                    "failure".into(),
                    serde_json::to_value(after.failure).unwrap_or_default(),
                );
            }
        }
        Some((t, data))
    }
}
