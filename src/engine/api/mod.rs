//! The wire types every face speaks: the serde `Command`/`Reply` (the CLI and the console
//! in process, other processes over the control socket) and the views they carry. Views
//! carry stored facts only (times as RFC 3339, plus milliseconds where a face counts down
//! or ages). A leaf: nothing here depends on the rest of the engine.

mod checks;
mod status;
mod views;

use serde::{Deserialize, Serialize};

pub use checks::{Delivery, Finding, HealthCheck, TokenView, token_view};
pub use status::{SetupLine, StatusView};
pub use views::{
    EventView, LinkSummary, LinkView, PendingView, ProvisionView, TenantSummary, TenantView,
};

use crate::domain::audit::AuditRecord;
pub use crate::domain::health::HealthAlarm;
use crate::domain::lifecycle::{NewTenant, TenantEdit};
use crate::domain::model::TenantStatus;
use crate::store::BackupSummary;
use crate::time::Millis;

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
        deliveries: Vec<Delivery>,
    },
    Audit {
        records: Vec<AuditRecord>,
    },
    /// `AuditVerify`: how many entries hold, or the first that does not.
    AuditVerified {
        entries: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        broken_at: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        why: Option<String>,
        /// How many anchors (`expect`) were checked; absent from an owner of before
        /// anchors, which ignores them (then nothing proves the chain extends them).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        anchors_checked: Option<usize>,
    },
    /// `AuditHead`: the head as `SEQ:HASH`, and when its entry was written.
    AuditHead {
        #[serde(flatten)]
        anchor: crate::domain::anchor::AuditAnchor,
        at: String,
    },
    /// `Reconcile`: the disagreements found.
    Findings {
        findings: Vec<Finding>,
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
        summary: BackupSummary,
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
        checks: Vec<HealthCheck>,
        /// Tenants not checked, and why (the round stopped early, a store error).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        skipped: Vec<Skipped>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alarm: Option<HealthAlarm>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub slug: String,
    pub reason: String,
}
