//! The serde Command/Reply types every face speaks: the CLI and the console in process,
//! other processes over the control socket. Views carry stored facts only (times as
//! RFC 3339, plus milliseconds where a face counts down or ages).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::brief::Brief;
use crate::domain::lifecycle::{NewTenant, TenantEdit};
use crate::domain::model::{
    ConsentLink, EventKind, ExpectedAccount, FailureKind, Integration, LinkState, ProvisionState,
    ProvisionStep, ProvisionerState, Tenant, TenantStatus, TimelineEntry,
};
use crate::store::StoreStats;
use crate::time::{Millis, rfc3339};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    AddTenant(NewTenant),
    ListTenants {
        #[serde(default)]
        query: ListQuery,
    },
    ShowTenant {
        slug: String,
    },
    IssueLink {
        slug: String,
        ttl_secs: u64,
        /// Withdraw the tenant's other active links in the same commit.
        #[serde(default)]
        replace: bool,
    },
    Status,
    Retry {
        slug: String,
    },
    RevokeLinks {
        slug: String,
    },
    EditTenant {
        slug: String,
        #[serde(flatten)]
        edit: TenantEdit,
    },
    /// Delete a tenant that never consented, with its links and timeline.
    RemoveTenant {
        slug: String,
    },
    /// Retry every failed tenant whose provisioning stopped (not those failed before
    /// consent); with `slugs`, only those of them (the ones an operator confirmed).
    RetryAllFailed {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        slugs: Vec<String>,
    },
    /// Offboard these tenants: give their grants back, delete their Blaxel resources,
    /// wipe their secrets; each record stays as `offboarded`.
    Offboard {
        slugs: Vec<String>,
    },
    /// The audit chain's entries (a tenant's only, from a time on).
    Audit {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tenant: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since_ms: Option<Millis>,
    },
    /// Check the audit chain and its head, and that the chain extends each anchor.
    AuditVerify {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        expect: Vec<crate::domain::anchor::AuditAnchor>,
    },
    /// The audit chain's head: the anchor to note outside the box.
    AuditHead,
    /// Compare Blaxel with the store (drift).
    Reconcile,
    /// Hand these tenants (every one with a finding when empty) back to the provisioner.
    ReconcileFix {
        #[serde(default)]
        slugs: Vec<String>,
    },
    /// Delete an orphan at Blaxel: `function/NAME` or `connection/NAME`.
    DeleteOrphan {
        what: String,
    },
    /// Add these tenants, all or none (one commit).
    ImportTenants {
        tenants: Vec<NewTenant>,
    },
    /// Stage a part of an import (a new import when `import` is absent); nothing is added
    /// before `ImportCommit`.
    ImportStage {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        import: Option<String>,
        tenants: Vec<NewTenant>,
    },
    /// Add every row staged under `import` (`rows` of them), all or none (one commit).
    ImportCommit {
        import: String,
        rows: usize,
    },
    /// Drop a staged import.
    ImportDiscard {
        import: String,
    },
    /// Issue a link to every tenant that has not consented and has no live link.
    LinkAllNew {
        ttl_secs: u64,
    },
    /// Send a sample event to every configured webhook now.
    WebhookTest,
    /// Write a consistent backup of the database to this file (an absolute path, new).
    Backup {
        path: String,
    },
    /// Make the consent waiting for approval the tenant's consent.
    Approve {
        slug: String,
    },
    /// Give the consent waiting for approval back at Google and wipe it.
    Reject {
        slug: String,
    },
    /// Check refresh tokens at Google now: one tenant's, or every consented tenant's.
    CheckHealth {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        slug: Option<String>,
    },
}

impl Command {
    /// Whether the command changes anything (for logs and the audit).
    pub fn is_write(&self) -> bool {
        !matches!(
            self,
            Command::ListTenants { .. }
                | Command::ShowTenant { .. }
                | Command::Status
                | Command::Audit { .. }
                | Command::AuditVerify { .. }
                | Command::AuditHead
                | Command::ImportStage { .. }
                | Command::ImportDiscard { .. }
                | Command::Reconcile
        )
    }

    /// The tenant the command is about, when it names one.
    pub fn tenant(&self) -> Option<&str> {
        match self {
            Command::AddTenant(n) => Some(&n.slug),
            Command::IssueLink { slug, .. }
            | Command::Retry { slug }
            | Command::RevokeLinks { slug }
            | Command::EditTenant { slug, .. }
            | Command::RemoveTenant { slug }
            | Command::Approve { slug }
            | Command::Reject { slug } => Some(slug),
            _ => None,
        }
    }
}

/// Which tenants a list shows: filters, then sort, then paging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ListQuery {
    /// Only these statuses (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status: Vec<TenantStatus>,
    /// Case-insensitive text in the slug, name, Google account or reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default)]
    pub sort: SortKey,
    /// Skip this many matching tenants (after sorting).
    #[serde(default)]
    pub offset: usize,
    /// With the slug sort: only tenants after this slug.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// At most this many (all when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    #[default]
    Slug,
    Name,
    Status,
    /// Most recent change first.
    Changed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    Tenant(Box<TenantView>),
    Tenants {
        tenants: Vec<TenantSummary>,
        /// Tenants matching the filters, before paging.
        #[serde(default)]
        total: usize,
    },
    Link(LinkView),
    Status(Box<StatusView>),
    Removed {
        slug: String,
    },
    /// `RetryAllFailed`: the tenants retried, and those that could not be (with why).
    Retried {
        retried: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        skipped: Vec<Skipped>,
    },
    WebhookTest {
        deliveries: Vec<super::webhooks::Delivery>,
    },
    Audit {
        records: Vec<crate::domain::audit::AuditRecord>,
    },
    /// `AuditVerify`: how many entries hold, or the first that does not.
    AuditVerified {
        entries: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        broken_at: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        why: Option<String>,
    },
    /// `AuditHead`: the head as `SEQ:HASH`, and when its entry was written.
    AuditHead {
        #[serde(flatten)]
        anchor: crate::domain::anchor::AuditAnchor,
        at: String,
    },
    /// `Reconcile`: the disagreements found.
    Findings {
        findings: Vec<super::reconcile::Finding>,
    },
    /// `ImportTenants`, `ImportCommit`: how many were added (`ImportDiscard`: none).
    Imported {
        added: usize,
    },
    /// `ImportStage`: the import's id, its rows staged so far, and which slugs of the
    /// part exist already (the commit would refuse them).
    ImportStaged {
        import: String,
        staged: usize,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        existing: Vec<String>,
    },
    /// `LinkAllNew`: the links issued, by slug.
    Links {
        links: Vec<LinkView>,
    },
    BackedUp {
        path: String,
        #[serde(flatten)]
        summary: crate::store::BackupSummary,
    },
    /// `Offboard`: the tenants whose offboarding started, and those refused (with why).
    Offboarding {
        started: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        skipped: Vec<Skipped>,
        /// Said when the offboarding cannot go on in this process yet.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Token checks: one per tenant checked, and the alarm about our client if raised.
    Health {
        checks: Vec<super::health::HealthCheck>,
        /// Tenants not checked, and why (the round stopped early, a store error).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        skipped: Vec<Skipped>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alarm: Option<super::health::HealthAlarm>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub slug: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSummary {
    pub slug: String,
    pub display_name: String,
    pub status: TenantStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub google_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_account: Option<ExpectedAccount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<ProvisionStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blaxel_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_url: Option<String>,
    pub updated_at: String,
    /// `updated_at` in unix milliseconds.
    #[serde(default)]
    pub updated_ms: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    #[serde(default)]
    pub seq: u64,
    pub at: String,
    pub kind: EventKind,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TenantStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkSummary {
    pub id: String,
    #[serde(default)]
    pub tenant: String,
    pub created_at: String,
    pub expires_at: String,
    #[serde(default)]
    pub expires_ms: Millis,
    pub state: LinkState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<String>,
    pub open_count: u32,
    #[serde(default)]
    pub continue_count: u32,
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
    /// Refused sign-ins since the last consent (the timeline keeps some of them).
    #[serde(default)]
    pub refused_signins: u32,
    /// The refresh token's health, for a tenant that consented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<super::health::TokenView>,
    /// A consent by another Google account than the current one, waiting for approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_consent: Option<PendingView>,
    /// The tenant's own return URL (else `listener.return_url` applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingView {
    /// The account that consented (its email, or its `sub` when Google gave none).
    pub account: String,
    pub sub: String,
    pub at: String,
    /// The status the tenant would have without it.
    pub underlying: TenantStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LinkView {
    pub slug: String,
    pub url: String,
    pub id: String,
    pub expires_at: String,
    #[serde(default)]
    pub expires_ms: Millis,
    /// The tenant's other links still active once this one was issued: each can still
    /// start a consent until it expires.
    #[serde(default)]
    pub earlier_active: usize,
    /// When the last of them expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_active_until: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_active_until_ms: Option<Millis>,
    /// The ids of the links withdrawn in the same commit (`replace`).
    #[serde(default)]
    pub withdrawn: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StatusView {
    pub tenants: usize,
    pub by_status: BTreeMap<TenantStatus, usize>,
    pub public_url: String,
    pub redirect_uri: String,
    pub data_dir: String,
    /// Which process answered.
    pub owner: String,
    #[serde(default)]
    pub owner_pid: u32,
    /// Whether that process serves the listener (it runs `serve` or a console).
    #[serde(default)]
    pub serving: bool,
    pub provisioner: String,
    #[serde(default)]
    pub provisioner_state: ProvisionerState,
    /// The last sequence number handed out (a `watch --since` starting point).
    #[serde(default)]
    pub seq: u64,
    #[serde(default)]
    pub schema_version: u32,
    #[serde(default)]
    pub store: StoreStats,
    /// Faces subscribed to events now.
    #[serde(default)]
    pub subscribers: usize,
    /// OAuth flows started and not finished yet (customers mid-consent).
    #[serde(default)]
    pub pending_flows: usize,
    /// `enabled`, or `disabled: <what is missing>` (no Google client: links would lead
    /// nowhere, so none is issued).
    #[serde(default)]
    pub consent: String,
    /// How token checks run, or the alarm that paused them.
    #[serde(default)]
    pub health: String,
    /// Webhook receivers configured, and events waiting in the outbox for them.
    #[serde(default)]
    pub webhooks: usize,
    #[serde(default)]
    pub outbox: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_alarm: Option<super::health::HealthAlarm>,
    /// The owner's own set-up (Google client, public URL, Blaxel), for the set-up panel of
    /// a console attached to it; empty from an engine that does not own the runtime.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub setup: Vec<SetupLine>,
}

/// One line of the set-up panel: a setting and what the owner found of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupLine {
    pub ok: bool,
    pub what: String,
    pub detail: String,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_ms: Option<Millis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_step: Option<ProvisionStep>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blaxel_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blaxel_status_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blaxel_status_ms: Option<Millis>,
}

impl ProvisionView {
    pub fn of(p: &ProvisionState) -> Self {
        let waiting = p.step.is_active() && p.attempts > 0;
        Self {
            step: p.step,
            connection_name: p.connection_name.clone(),
            function_name: p.function_name.clone(),
            attempts: p.attempts,
            next_retry_at: waiting.then(|| rfc3339(p.next_attempt_at)),
            next_attempt_ms: p.step.is_active().then_some(p.next_attempt_at),
            last_error: p.last_error.clone(),
            failed_step: p.failed_step,
            blaxel_status: p.blaxel_status.clone(),
            blaxel_status_at: p.blaxel_status_at.map(rfc3339),
            blaxel_status_ms: p.blaxel_status_at,
        }
    }
}

impl TenantSummary {
    pub fn of(t: &Tenant) -> Self {
        Self::of_brief(&Brief::of(t))
    }

    pub fn of_brief(b: &Brief) -> Self {
        Self {
            slug: b.slug.clone(),
            display_name: b.display_name.clone(),
            status: b.status,
            failure: b.failure,
            reason: b.reason.clone(),
            google_email: b.google_email.clone(),
            expected_account: b.expected.clone(),
            step: b.step,
            blaxel_status: b.blaxel_status.clone(),
            mcp_url: b.mcp_url.clone(),
            updated_at: rfc3339(b.updated_at),
            updated_ms: b.updated_at,
        }
    }
}

impl LinkSummary {
    pub fn of(l: &ConsentLink, now: Millis) -> Self {
        Self {
            id: l.id.clone(),
            tenant: l.tenant.clone(),
            created_at: rfc3339(l.created_at),
            expires_at: rfc3339(l.expires_at),
            expires_ms: l.expires_at,
            state: l.state(now),
            opened_at: l.opened_at.map(rfc3339),
            open_count: l.open_count,
            continue_count: l.continue_count,
        }
    }
}

impl EventView {
    pub fn of(e: &TimelineEntry) -> Self {
        Self {
            seq: e.seq,
            at: rfc3339(e.at),
            kind: e.kind,
            detail: e.detail.clone(),
            status: Some(e.status),
        }
    }
}

impl TenantView {
    pub fn of(t: &Tenant, links: &[ConsentLink], events: &[TimelineEntry], now: Millis) -> Self {
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
            events: events.iter().map(EventView::of).collect(),
            refused_signins: t.refusals.total,
            token: super::health::token_view(t.health.as_ref(), t.consented_at, false),
            pending_consent: t.pending.as_ref().map(|p| PendingView {
                account: p
                    .identity
                    .email
                    .clone()
                    .unwrap_or_else(|| p.identity.sub.clone()),
                sub: p.identity.sub.clone(),
                at: rfc3339(p.at),
                underlying: p.underlying,
            }),
            return_url: t.return_url.clone(),
        }
    }
}
