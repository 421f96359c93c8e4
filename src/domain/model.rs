//! Domain records: tenants, consent links, pending OAuth flows, audit events.
//!
//! These are the stored shapes (serde JSON in sled). Secrets never live here: refresh tokens
//! and PKCE verifiers go through the store's encrypted secret slots.

use serde::{Deserialize, Serialize};

use super::health::TokenHealth;
pub use super::link::{ConsentLink, LinkState, PendingFlow, UsedFlow};
use super::mcp_health::McpHealth;
pub use super::provisioner::ProvisionerState;
pub use super::refusals::Refusals;
pub use super::token_facts::TokenFacts;
use crate::time::Millis;

pub use super::integration::{DRIVE_FILE_SCOPE, GMAIL_SEND_SCOPE, Integration};

/// Where a tenant is in its lifecycle. `snake_case` names are part of the JSON contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    Created,
    LinkIssued,
    LinkOpened,
    Consented,
    ConnectionReady,
    ServerCreated,
    Deployed,
    Failed,
    NeedsReconsent,
    Offboarding,
    Offboarded,
    /// Another Google account than the previous consent's consented: the grant is kept
    /// aside until the operator approves or rejects it.
    AwaitingApproval,
}

impl TenantStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [TenantStatus; 12] = [
        TenantStatus::Created,
        TenantStatus::LinkIssued,
        TenantStatus::LinkOpened,
        TenantStatus::Consented,
        TenantStatus::ConnectionReady,
        TenantStatus::ServerCreated,
        TenantStatus::Deployed,
        TenantStatus::Failed,
        TenantStatus::NeedsReconsent,
        TenantStatus::AwaitingApproval,
        TenantStatus::Offboarding,
        TenantStatus::Offboarded,
    ];

    /// From its `snake_case` name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Created => "created",
            TenantStatus::LinkIssued => "link_issued",
            TenantStatus::LinkOpened => "link_opened",
            TenantStatus::Consented => "consented",
            TenantStatus::ConnectionReady => "connection_ready",
            TenantStatus::ServerCreated => "server_created",
            TenantStatus::Deployed => "deployed",
            TenantStatus::Failed => "failed",
            TenantStatus::NeedsReconsent => "needs_reconsent",
            TenantStatus::Offboarding => "offboarding",
            TenantStatus::Offboarded => "offboarded",
            TenantStatus::AwaitingApproval => "awaiting_approval",
        }
    }

    /// True once Google credentials for the tenant are stored.
    pub fn has_consent(self) -> bool {
        matches!(
            self,
            TenantStatus::Consented
                | TenantStatus::ConnectionReady
                | TenantStatus::ServerCreated
                | TenantStatus::Deployed
        )
    }
}

impl std::fmt::Display for TenantStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a tenant is `failed`: a stable code for scripts next to the human reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    ConsentDenied,
    ConsentError,
    FlowExpired,
    MissingCode,
    ExchangeFailed,
    NoRefreshToken,
    ScopeMissing,
    WrongAccount,
    StoreFailed,
    BlaxelRejected,
    DeployFailed,
    /// The callback came back to another browser than the one that pressed Continue (kept
    /// for records of earlier releases: such a callback now changes nothing).
    WrongBrowser,
    /// A bug stopped the job (a panic, caught and logged); `retry` runs it again.
    Internal,
}

/// Which Google account the operator expects the customer to sign in with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum ExpectedAccount {
    Email(String),
    Domain(String),
}

/// Who signed in at Google, read from the id_token claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoogleIdentity {
    pub sub: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub hd: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub slug: String,
    pub display_name: String,
    pub contact: Option<String>,
    /// Where its consent links are mailed (see [`Tenant::mail_to`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    pub expected: Option<ExpectedAccount>,
    pub integration: Integration,
    pub scopes: Vec<String>,
    pub status: TenantStatus,
    pub failure: Option<FailureKind>,
    pub reason: Option<String>,
    pub google: Option<GoogleIdentity>,
    pub granted_scopes: Vec<String>,
    pub consented_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// The Blaxel provisioning job, from the first consent on.
    #[serde(default)]
    pub provision: Option<ProvisionState>,
    /// Refused sign-ins since the last consent: how many went on the timeline and how many
    /// were only counted (so that nothing from outside grows the record without bound).
    #[serde(default)]
    pub refusals: Refusals,
    /// The last token health check, since the last consent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<TokenHealth>,
    /// Refresh tokens Google issued to us through this tenant's consents (each consent
    /// issues one; one by the same account does not end the earlier ones).
    #[serde(default)]
    pub tokens_issued: u32,
    /// A consent by another account than the previous one, waiting for the operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingConsent>,
    /// The company's page customers return to after consent (else `listener.return_url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// The language of the tenant's pages and message (a tag of [`crate::i18n::Lang`]);
    /// else the customer's browser chooses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// The integrations added after its first (`integration`, whose state the fields
    /// above carry), each with its own state; see [`super::held`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<IntegrationState>,
    /// The last check of its first integration's MCP server (see [`super::mcp_health`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp: Option<McpHealth>,
    /// What we know of the refresh token of its first integration (see `token_facts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_facts: Option<TokenFacts>,
    /// The last time one of its consent links was mailed, and what the relay said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailed: Option<super::link_mail::LinkMail>,
}

/// The state of one integration a tenant holds beyond its first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationState {
    pub integration: Integration,
    /// Scopes asked at Google for this integration alone.
    pub scopes: Vec<String>,
    pub status: TenantStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub granted_scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consented_at: Option<Millis>,
    pub added_at: Millis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provision: Option<ProvisionState>,
    #[serde(default)]
    pub refusals: Refusals,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<TokenHealth>,
    #[serde(default)]
    pub tokens_issued: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingConsent>,
    /// The last check of this integration's MCP server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp: Option<McpHealth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_facts: Option<TokenFacts>,
}

/// A consent kept aside for the operator's approval (its refresh token is the secret
/// `pending_refresh_token`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingConsent {
    pub identity: GoogleIdentity,
    pub granted_scopes: Vec<String>,
    pub at: Millis,
    /// The status the tenant would have without the pending consent (kept up to date while
    /// it waits: the previous consent's job may still move).
    pub underlying: TenantStatus,
}

impl Tenant {
    /// The tenant's language, when it has a supported one.
    pub fn language(&self) -> Option<crate::i18n::Lang> {
        self.lang.as_deref().and_then(crate::i18n::Lang::from_tag)
    }

    /// Tokens issued through this tenant by the account it holds a consent by now (a
    /// record from before the count was kept counts its one consent).
    pub fn tokens_by_current_account(&self) -> u32 {
        match self.consented_at {
            Some(_) => self.tokens_issued.max(1),
            None => 0,
        }
    }
}

/// Which provisioning step a job is at. `Done` and `Stopped` need nothing from the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvisionStep {
    Connection,
    Function,
    Deploy,
    Done,
    Stopped,
    /// Offboarding: give the refresh token back at Google (unless another tenant holds a
    /// consent by that account).
    RevokeGrant,
    /// Offboarding: delete the MCP server.
    DeleteServer,
    /// Offboarding: wait until Blaxel has deleted it (its connection is in use until then).
    AwaitServerGone,
    /// Offboarding: delete the integration connection; then the secrets are wiped.
    DeleteConnection,
}

impl ProvisionStep {
    pub fn as_str(self) -> &'static str {
        match self {
            ProvisionStep::Connection => "connection",
            ProvisionStep::Function => "function",
            ProvisionStep::Deploy => "deploy",
            ProvisionStep::Done => "done",
            ProvisionStep::Stopped => "stopped",
            ProvisionStep::RevokeGrant => "revoke_grant",
            ProvisionStep::DeleteServer => "delete_server",
            ProvisionStep::AwaitServerGone => "await_server_gone",
            ProvisionStep::DeleteConnection => "delete_connection",
        }
    }

    pub fn is_active(self) -> bool {
        matches!(
            self,
            ProvisionStep::Connection | ProvisionStep::Function | ProvisionStep::Deploy
        ) || self.is_offboarding()
    }

    /// A step of offboarding (not of provisioning).
    pub fn is_offboarding(self) -> bool {
        matches!(
            self,
            ProvisionStep::RevokeGrant
                | ProvisionStep::DeleteServer
                | ProvisionStep::AwaitServerGone
                | ProvisionStep::DeleteConnection
        )
    }

    /// The offboarding step after this one (`Done` after the last).
    pub fn next_offboarding(self) -> ProvisionStep {
        match self {
            ProvisionStep::RevokeGrant => ProvisionStep::DeleteServer,
            ProvisionStep::DeleteServer => ProvisionStep::AwaitServerGone,
            ProvisionStep::AwaitServerGone => ProvisionStep::DeleteConnection,
            _ => ProvisionStep::Done,
        }
    }
}

/// The stored state of a tenant's provisioning job: enough to resume after a crash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisionState {
    /// Bumped by every new consent and every operator retry; results of calls started
    /// under an older generation are stale and dropped.
    pub generation: u64,
    pub step: ProvisionStep,
    pub connection_name: String,
    pub function_name: String,
    /// Attempts at the current step (calls that failed and will be retried, or polls).
    pub attempts: u32,
    pub next_attempt_at: Millis,
    /// When the current step started (bounds how long a deploy may take).
    pub step_started_at: Millis,
    pub last_error: Option<String>,
    pub failed_step: Option<ProvisionStep>,
    /// Re-send the function even if it looks unchanged (after a failed deploy).
    #[serde(default)]
    pub force_update: bool,
    pub blaxel_status: Option<String>,
    pub blaxel_status_at: Option<Millis>,
    pub mcp_url: Option<String>,
    /// Time seen waiting for the deploy, summed over polls (each gap capped, so time the
    /// owning process was down does not count).
    #[serde(default)]
    pub waited_ms: i64,
}

/// One line of a tenant's timeline, as a transition produces it (the store gives it its
/// sequence number when it is committed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: Millis,
    pub tenant: String,
    pub kind: EventKind,
    pub detail: String,
    /// The integration it is about when one added after the tenant's first (its timeline
    /// entry names it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<Integration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    TenantAdded,
    LinkIssued,
    LinkOpened,
    ConsentStarted,
    Consented,
    ConsentFailed,
    CallbackRefused,
    ConnectionReady,
    ServerCreated,
    DeployStatus,
    Deployed,
    ProvisionRetry,
    ProvisionFailed,
    RetryRequested,
    LinksRevoked,
    TenantEdited,
    /// A token check found the refresh token working (the first time, or again).
    TokenHealthy,
    /// A token check found the refresh token refused: re-consent needed.
    TokenRejected,
    /// A consent by another account waits for the operator.
    ApprovalRequested,
    Approved,
    Rejected,
    /// A grant was given back at Google (or kept, and why).
    GrantRevoked,
    OffboardRequested,
    /// One offboarding step done.
    OffboardStep,
    Offboarded,
    /// The tenant holds one more integration.
    IntegrationAdded,
    /// An integration added after the tenant's first was removed (and its grant given
    /// back, or kept, and why).
    IntegrationRemoved,
    /// An integration's consent no longer counts: another integration's consent by a new
    /// Google account was approved, and the tenant holds one account.
    ConsentSuperseded,
    /// The customer went on to Google through a link and no callback came back before
    /// the flow expired (Google may have shown an error on its own page).
    NoCallback,
    /// Its MCP server failed `health.mcp_failures` checks in a row; answered again after.
    McpUnreachable,
    McpRecovered,
    /// Google's security event (RISC) about the tenant's account or token.
    SecurityEvent,
    /// One of its consent links was mailed: the relay accepted it.
    LinkMailed,
    /// One of its consent links was not mailed: the relay refused it or was not reached.
    LinkMailRefused,
    /// A kind this release does not know (a later release wrote it): read all the same,
    /// and shown as "unknown event" with its text.
    #[serde(other)]
    Unknown,
}

/// A timeline entry as stored: the transition's event with its place in the one sequence
/// every event shares, and the tenant's status right after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub seq: u64,
    pub at: Millis,
    pub tenant: String,
    pub kind: EventKind,
    pub detail: String,
    pub status: TenantStatus,
    /// The integration the entry is about when it is one added after the tenant's first
    /// (none: the first, or the tenant as a whole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<Integration>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_link_states_have_one_word_each_in_text_and_json() {
        for st in TenantStatus::ALL {
            let json = serde_json::to_value(st).unwrap();
            assert_eq!(json, st.as_str(), "{st:?}");
            assert_eq!(TenantStatus::parse(st.as_str()), Some(st));
        }
        for l in [
            LinkState::Active,
            LinkState::Used,
            LinkState::Revoked,
            LinkState::Expired,
            LinkState::Superseded,
        ] {
            assert_eq!(serde_json::to_value(l).unwrap(), l.as_str(), "{l:?}");
            assert_eq!(l.to_string(), l.as_str());
        }
    }
}
