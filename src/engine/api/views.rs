//! The views of tenants and links that replies and events carry.

use serde::{Deserialize, Serialize};

use super::checks::TokenView;
use super::integration_view::{IntegrationStatus, IntegrationView, PendingView};
use super::mcp_view::McpView;
use super::no_callback_view::NoCallbackView;
use crate::domain::brief::Brief;
use crate::domain::google_errors::GoogleFix;
use crate::domain::model::{
    ConsentLink, EventKind, ExpectedAccount, FailureKind, Integration, LinkState, ProvisionState,
    ProvisionStep, Tenant, TenantStatus, TimelineEntry,
};
use crate::time::{Millis, rfc3339};

/// A tenant in one row: what lists show.
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
    /// The tenant's language (its pages, links and message), if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Each integration it holds with its own status, its first first (`status` is their
    /// summary).
    #[serde(default)]
    pub statuses: Vec<IntegrationStatus>,
    /// Where its consent links are mailed (its contact email, else the Google account it
    /// expects when that is an address), if anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_to: Option<String>,
    /// The last time one of its links was mailed, and whether the relay accepted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailed: Option<MailedView>,
    pub updated_at: String,
    /// `updated_at` in unix milliseconds.
    #[serde(default)]
    pub updated_ms: Millis,
}

/// A link mailed: when, and whether the relay accepted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailedView {
    pub at: String,
    pub at_ms: Millis,
    pub accepted: bool,
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
    /// The integration it is about, when one added after the tenant's first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<Integration>,
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

/// A tenant in full: its row ([`TenantSummary`], the same fields at the same place in the
/// JSON) and its details. It reads as its summary (`view.slug`, `view.status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantView {
    #[serde(flatten)]
    pub summary: TenantSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// The address set for mailing its links (`mail_to` says where they go).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    /// The last link mailed, with the relay's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_mail: Option<crate::domain::link_mail::LinkMail>,
    pub integration: Integration,
    pub requested_scopes: Vec<String>,
    pub granted_scopes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub google_sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consented_at: Option<String>,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioning: Option<ProvisionView>,
    pub links: Vec<LinkSummary>,
    pub events: Vec<EventView>,
    /// Refused sign-ins since the last consent (the timeline keeps some of them).
    #[serde(default)]
    pub refused_signins: u32,
    /// The refresh token's health, for a tenant that consented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenView>,
    /// A consent by another Google account than the current one, waiting for approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_consent: Option<PendingView>,
    /// The tenant's own return URL (else `listener.return_url` applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// Each integration it holds, its first first.
    #[serde(default)]
    pub integrations: Vec<IntegrationView>,
    /// The fix of each Google error its reasons name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub google_fixes: Vec<GoogleFix>,
    /// The customer went on to Google and no callback came back before the flow expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_callback: Option<NoCallbackView>,
    /// The last check of its first integration's MCP server (each integration's is in
    /// `integrations`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp: Option<McpView>,
}

impl std::ops::Deref for TenantView {
    type Target = TenantSummary;

    fn deref(&self) -> &TenantSummary {
        &self.summary
    }
}

impl std::ops::DerefMut for TenantView {
    fn deref_mut(&mut self) -> &mut TenantSummary {
        &mut self.summary
    }
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
    /// The ids of the links withdrawn in the same commit (`replace`); absent from an owner
    /// of before `replace`, which ignores it (then no link was withdrawn).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<Vec<String>>,
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
            lang: b.lang.map(|l| l.tag().to_owned()),
            statuses: IntegrationStatus::of_brief(b),
            mail_to: b.mail_to.clone(),
            mailed: b.mailed.map(|m| MailedView {
                at: rfc3339(m.at),
                at_ms: m.at,
                accepted: m.accepted,
            }),
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
            // A kind a later release wrote: its text, said to be of a kind not known here.
            detail: match e.kind {
                EventKind::Unknown => format!("unknown event: {}", e.detail),
                _ => e.detail.clone(),
            },
            status: Some(e.status),
            integration: e.integration,
        }
    }
}

impl TenantView {
    /// `token` is the token's health as the caller sees it (see [`token_view`]);
    /// `app_in_testing` tells each added integration's token its expiry.
    ///
    /// [`token_view`]: super::token_view
    pub fn of(
        t: &Tenant,
        links: &[ConsentLink],
        events: &[TimelineEntry],
        now: Millis,
        token: Option<TokenView>,
        app_in_testing: bool,
    ) -> Self {
        Self {
            summary: TenantSummary::of(t),
            contact: t.contact.clone(),
            contact_email: t.contact_email.clone(),
            last_mail: t.mailed.clone(),
            integration: t.integration,
            requested_scopes: t.scopes.clone(),
            granted_scopes: t.granted_scopes.clone(),
            google_sub: t.google.as_ref().map(|g| g.sub.clone()),
            consented_at: t.consented_at.map(rfc3339),
            created_at: rfc3339(t.created_at),
            provisioning: t.provision.as_ref().map(ProvisionView::of),
            links: links.iter().map(|l| LinkSummary::of(l, now)).collect(),
            events: events.iter().map(EventView::of).collect(),
            refused_signins: t.refusals.total,
            token: token.clone(),
            // The consent waiting for approval, its first integration's or an added one's
            // (`approve SLUG` takes it when it is the only one).
            pending_consent: t
                .pending
                .as_ref()
                .or_else(|| t.added.iter().find_map(|a| a.pending.as_ref()))
                .map(PendingView::of),
            return_url: t.return_url.clone(),
            integrations: IntegrationView::of_tenant(t, token, app_in_testing),
            google_fixes: Vec::new(),
            no_callback: None,
            mcp: crate::domain::mcp_record::shown(t.status, t.mcp.as_ref()).map(McpView::of),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::AuditEvent;

    #[test]
    fn an_entry_of_a_kind_a_later_release_added_is_read_and_shown_as_unknown() {
        let stored = r#"{"seq":7,"at":0,"tenant":"acme","kind":"risc_account_disabled",
            "detail":"Google disabled the account","status":"deployed"}"#;
        let e: TimelineEntry = serde_json::from_str(stored).expect("an unknown kind is read");
        assert_eq!(e.kind, EventKind::Unknown);
        assert_eq!(e.status, TenantStatus::Deployed);
        let shown = EventView::of(&e);
        assert_eq!(shown.detail, "unknown event: Google disabled the account");
        let json = serde_json::to_value(&shown).unwrap();
        assert_eq!(json["kind"], "unknown", "{json}");
        // Every kind this release knows still reads as itself.
        let known: AuditEvent =
            serde_json::from_str(r#"{"at":0,"tenant":"acme","kind":"no_callback","detail":"x"}"#)
                .unwrap();
        assert_eq!(known.kind, EventKind::NoCallback);
    }
}
