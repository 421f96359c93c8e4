//! The wire types every face speaks: the serde `Command`/`Reply` (the CLI and the console
//! in process, other processes over the control socket) and the views they carry. Views
//! carry stored facts only (times as RFC 3339, plus milliseconds where a face counts down
//! or ages). A leaf: nothing here depends on the rest of the engine.

mod checks;
#[cfg(test)]
pub mod fixtures;
mod google_view;
mod in_use;
mod integration_view;
mod mcp_view;
mod no_callback_view;
mod standings;
mod status;
mod views;

use serde::{Deserialize, Serialize};

mod token_facts_view;
pub use checks::{Delivery, Finding, HealthCheck, TokenView, token_view};
pub use google_view::last_no_callback;
pub use in_use::integrations_in_use;
pub use integration_view::{IntegrationStatus, IntegrationView, PendingView};
pub use mcp_view::{McpCheckView, McpView};
pub use no_callback_view::NoCallbackView;
pub use status::{SetupLine, StatusView};
pub use token_facts_view::FactsView;
pub use views::{
    EventView, LinkSummary, LinkView, MailedView, ProvisionView, TenantSummary, TenantView,
};

use crate::domain::audit::AuditRecord;
pub use crate::domain::health::HealthAlarm;
use crate::domain::lifecycle::{NewTenant, TenantEdit};
use crate::domain::model::{Integration, TenantStatus};
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
        /// The one integration the link asks a consent for (none: every integration of
        /// the tenant not yet consented, one after another).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        integration: Option<Integration>,
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
    /// Retry every failed integration whose provisioning stopped (not those failed before
    /// consent), of every tenant; with `slugs`, only those tenants (the ones an operator
    /// confirmed); with `integration`, only that integration's jobs.
    RetryAllFailed {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        slugs: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        integration: Option<Integration>,
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
    /// Issue a link to every tenant of which no integration has consented and that has no
    /// live link; with `integration`, a link for it alone to every tenant holding it not
    /// yet consented, with no live link asking for it.
    LinkAllNew {
        ttl_secs: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        integration: Option<Integration>,
    },
    /// Send a sample event to every configured webhook now.
    WebhookTest,
    /// Whether Google's verification event carrying `state` was received (`risc verify`).
    RiscVerified {
        state: String,
    },
    /// Write a consistent backup of the database to this file (an absolute path, new).
    Backup {
        path: String,
    },
    /// Make the consent waiting for approval the tenant's consent (the only one waiting;
    /// refused, naming them, when several integrations' wait).
    Approve {
        slug: String,
    },
    /// Give the consent waiting for approval back at Google and wipe it (the only one
    /// waiting, as `Approve`).
    Reject {
        slug: String,
    },
    /// `Approve` the consent waiting for this integration of the tenant.
    ApproveIntegration {
        slug: String,
        integration: Integration,
    },
    /// `Reject` the consent waiting for this integration of the tenant.
    RejectIntegration {
        slug: String,
        integration: Integration,
    },
    /// The tenant holds this integration from now on (not yet consented).
    AddIntegration {
        slug: String,
        integration: Integration,
    },
    /// Stop holding an integration added after the tenant's first: its grant given back
    /// at Google unless another consent by that account stands, its token wiped.
    RemoveIntegration {
        slug: String,
        integration: Integration,
    },
    /// A consent link of the tenant was mailed (or not): the relay's answer, for its
    /// timeline and the audit chain. The face that holds the relay sends it.
    RecordMail {
        slug: String,
        to: String,
        link_id: String,
        attempts: u32,
        outcome: crate::domain::link_mail::MailOutcome,
    },
    /// The online checks (`config check --online`, without `--write`), run by the engine
    /// with its own config: an attached console sees its owner's set-up.
    CheckOnline,
    /// Check refresh tokens at Google and the deployed MCP servers now: one tenant's, or
    /// every tenant's tokens (and their MCP servers too with `mcp`).
    CheckHealth {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        slug: Option<String>,
        /// Without a slug: check every deployed MCP server too (with one: always).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        mcp: bool,
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
                | Command::CheckOnline
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
            | Command::Reject { slug }
            | Command::ApproveIntegration { slug, .. }
            | Command::RejectIntegration { slug, .. }
            | Command::AddIntegration { slug, .. }
            | Command::RemoveIntegration { slug, .. }
            | Command::RecordMail { slug, .. } => Some(slug),
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
    /// Whose status `status` reads, and what the rows are: the tenant's by default.
    #[serde(default, skip_serializing_if = "StatusOf::is_tenant")]
    pub status_of: StatusOf,
}

/// Whose status a list's `status` filter reads, and what its rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum StatusOf {
    /// The tenant's (its integrations' summarised): a row per tenant.
    #[default]
    Tenant,
    /// Each of its integrations': a tenant is listed only when every integration it holds
    /// is in one of the statuses (what `offboard --status` offboards whole); a row per
    /// tenant.
    Each,
    /// This integration's: a row per tenant holding it, about that integration alone (its
    /// status, failure, reason, job and MCP URL).
    Integration(Integration),
}

impl StatusOf {
    pub fn is_tenant(&self) -> bool {
        *self == StatusOf::Tenant
    }
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
    /// `RiscVerified`: whether the verification event came.
    RiscVerified {
        seen: bool,
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
    /// `RecordMail`: recorded; whether the relay had accepted it.
    MailRecorded {
        slug: String,
        accepted: bool,
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
    /// `CheckOnline`: a line per check, in a fixed order.
    Online {
        lines: Vec<crate::config::online::CheckLine>,
    },
    /// Token checks: one per tenant checked, and the alarm about our client if raised.
    Health {
        checks: Vec<HealthCheck>,
        /// Tenants not checked, and why (the round stopped early, a store error).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        skipped: Vec<Skipped>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alarm: Option<HealthAlarm>,
        /// The MCP checks made with them: one per deployed integration checked.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        mcp: Vec<McpCheckView>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub slug: String,
    pub reason: String,
}
