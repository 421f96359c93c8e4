//! The serde Command/Reply types every face speaks: the CLI in process, other processes over
//! the control socket, later the TUI. Views carry stored facts only (times as RFC 3339).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::lifecycle::NewTenant;
use super::model::{
    AuditEvent, ConsentLink, EventKind, ExpectedAccount, FailureKind, Integration, ProvisionState,
    ProvisionStep, Tenant, TenantStatus,
};
use crate::time::{Millis, rfc3339};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    AddTenant(NewTenant),
    ListTenants,
    ShowTenant { slug: String },
    IssueLink { slug: String, ttl_secs: u64 },
    Status,
    Retry { slug: String },
    RevokeLinks { slug: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    Tenant(Box<TenantView>),
    Tenants { tenants: Vec<TenantSummary> },
    Link(LinkView),
    Status(StatusView),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSummary {
    pub slug: String,
    pub display_name: String,
    pub status: TenantStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub google_email: Option<String>,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    pub at: String,
    pub kind: EventKind,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkSummary {
    pub id: String,
    pub created_at: String,
    pub expires_at: String,
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<String>,
    pub open_count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantView {
    pub slug: String,
    pub display_name: String,
    pub status: TenantStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_account: Option<ExpectedAccount>,
    pub integration: Integration,
    pub requested_scopes: Vec<String>,
    pub granted_scopes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub google_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub google_sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consented_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcp_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioning: Option<ProvisionView>,
    pub links: Vec<LinkSummary>,
    pub events: Vec<EventView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkView {
    pub slug: String,
    pub url: String,
    pub id: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusView {
    pub tenants: usize,
    pub by_status: BTreeMap<TenantStatus, usize>,
    pub public_url: String,
    pub redirect_uri: String,
    pub data_dir: String,
    pub owner: String,
    pub provisioner: String,
}

/// A tenant's Blaxel resources and job, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisionView {
    pub step: ProvisionStep,
    pub connection_name: String,
    pub function_name: String,
    pub attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_retry_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_step: Option<ProvisionStep>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blaxel_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blaxel_status_at: Option<String>,
}

impl ProvisionView {
    pub fn of(p: &ProvisionState) -> Self {
        Self {
            step: p.step,
            connection_name: p.connection_name.clone(),
            function_name: p.function_name.clone(),
            attempts: p.attempts,
            next_retry_at: (p.step.is_active() && p.attempts > 0)
                .then(|| rfc3339(p.next_attempt_at)),
            last_error: p.last_error.clone(),
            failed_step: p.failed_step,
            blaxel_status: p.blaxel_status.clone(),
            blaxel_status_at: p.blaxel_status_at.map(rfc3339),
        }
    }
}

impl TenantSummary {
    pub fn of(t: &Tenant) -> Self {
        Self {
            slug: t.slug.clone(),
            display_name: t.display_name.clone(),
            status: t.status,
            reason: t.reason.clone(),
            google_email: t.google.as_ref().and_then(|g| g.email.clone()),
            updated_at: rfc3339(t.updated_at),
        }
    }
}

impl LinkSummary {
    pub fn of(l: &ConsentLink, now: Millis) -> Self {
        let state = if l.used_at.is_some() {
            "used"
        } else if l.revoked {
            "revoked"
        } else if l.expires_at <= now {
            "expired"
        } else if l.opened_at.is_some() {
            "opened"
        } else {
            "active"
        };
        Self {
            id: l.id.clone(),
            created_at: rfc3339(l.created_at),
            expires_at: rfc3339(l.expires_at),
            state: state.to_owned(),
            opened_at: l.opened_at.map(rfc3339),
            open_count: l.open_count,
        }
    }
}

impl TenantView {
    pub fn of(t: &Tenant, links: &[ConsentLink], events: &[AuditEvent], now: Millis) -> Self {
        Self {
            slug: t.slug.clone(),
            display_name: t.display_name.clone(),
            status: t.status,
            failure: t.failure,
            reason: t.reason.clone(),
            contact: t.contact.clone(),
            expected_account: t.expected.clone(),
            integration: t.integration,
            requested_scopes: t.scopes.clone(),
            granted_scopes: t.granted_scopes.clone(),
            google_email: t.google.as_ref().and_then(|g| g.email.clone()),
            google_sub: t.google.as_ref().map(|g| g.sub.clone()),
            consented_at: t.consented_at.map(rfc3339),
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
            mcp_url: t.provision.as_ref().and_then(|p| p.mcp_url.clone()),
            provisioning: t.provision.as_ref().map(ProvisionView::of),
            links: links.iter().map(|l| LinkSummary::of(l, now)).collect(),
            events: events
                .iter()
                .map(|e| EventView {
                    at: rfc3339(e.at),
                    kind: e.kind,
                    detail: e.detail.clone(),
                })
                .collect(),
        }
    }
}
