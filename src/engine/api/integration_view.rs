//! Each integration a tenant holds, as `tenant show` gives it: its own status, consent,
//! token health, pending consent, Blaxel resources and MCP URL; and in brief, as a
//! tenant's row gives it: its status alone.

use serde::{Deserialize, Serialize};

use super::checks::{TokenView, token_view};
use super::mcp_view::McpView;
use crate::domain::brief::Brief;
use crate::domain::mcp_health::McpHealth;
use crate::domain::mcp_record::shown;
use crate::domain::model::{
    FailureKind, Integration, PendingConsent, ProvisionState, ProvisionStep, Tenant, TenantStatus,
};
use crate::time::{Millis, rfc3339};

/// One integration of a tenant in its row: which, its own status (the tenant's status
/// summarises them) and its provisioning job's step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationStatus {
    pub integration: Integration,
    pub status: TenantStatus,
    /// Its job's step (absent: it has none, or the owner is of an earlier release).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<ProvisionStep>,
    /// Its MCP server failed `health.mcp_failures` checks in a row.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mcp_unreachable: bool,
}

impl IntegrationStatus {
    /// Each integration of the tenant `b`, its first first.
    pub fn of_brief(b: &Brief) -> Vec<Self> {
        b.statuses
            .iter()
            .map(|(integration, status)| IntegrationStatus {
                integration: *integration,
                status: *status,
                step: b.step_of(*integration),
                mcp_unreachable: b.mcp_unreachable().contains(integration),
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationView {
    pub integration: Integration,
    pub status: TenantStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub requested_scopes: Vec<String>,
    #[serde(default)]
    pub granted_scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consented_at: Option<String>,
    /// `consented_at` in unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consented_ms: Option<Millis>,
    /// Its refresh token's health, once it consented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenView>,
    /// A consent by another Google account for it, waiting for approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_consent: Option<PendingView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_url: Option<String>,
    /// The last check of its MCP server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp: Option<McpView>,
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

impl PendingView {
    pub fn of(p: &PendingConsent) -> Self {
        PendingView {
            account: p
                .identity
                .email
                .clone()
                .unwrap_or_else(|| p.identity.sub.clone()),
            sub: p.identity.sub.clone(),
            at: rfc3339(p.at),
            underlying: p.underlying,
        }
    }
}

/// One integration's state, wherever the tenant keeps it (its own fields for the first).
struct Held<'a> {
    integration: Integration,
    status: TenantStatus,
    failure: Option<FailureKind>,
    reason: Option<&'a String>,
    scopes: &'a [String],
    granted: &'a [String],
    consented_at: Option<Millis>,
    pending: Option<&'a PendingConsent>,
    job: Option<&'a ProvisionState>,
    mcp: Option<&'a McpHealth>,
}

impl IntegrationView {
    fn new(h: Held<'_>, token: Option<TokenView>) -> Self {
        let job = h.job;
        IntegrationView {
            integration: h.integration,
            status: h.status,
            failure: h.failure,
            reason: h.reason.cloned(),
            requested_scopes: h.scopes.to_vec(),
            granted_scopes: h.granted.to_vec(),
            consented_at: h.consented_at.map(rfc3339),
            consented_ms: h.consented_at,
            token,
            pending_consent: h.pending.map(PendingView::of),
            connection: job.map(|p| p.connection_name.clone()),
            function: job.map(|p| p.function_name.clone()),
            mcp_url: job.and_then(|p| p.mcp_url.clone()),
            mcp: h.mcp.map(McpView::of),
        }
    }

    /// Every integration of `t`, its first first. `first_token` is the first's token as
    /// the caller sees it (see [`token_view`]); an added one's is read from its state, the
    /// refresh token's expiry told when the app is in Testing.
    pub fn of_tenant(
        t: &Tenant,
        first_token: Option<TokenView>,
        app_in_testing: bool,
    ) -> Vec<Self> {
        let first = Held {
            integration: t.integration,
            status: t.status,
            failure: t.failure,
            reason: t.reason.as_ref(),
            scopes: &t.scopes,
            granted: &t.granted_scopes,
            consented_at: t.consented_at,
            pending: t.pending.as_ref(),
            job: t.provision.as_ref(),
            mcp: shown(t.status, t.mcp.as_ref()),
        };
        std::iter::once(Self::new(first, first_token))
            .chain(t.added.iter().map(|s| {
                let token = token_view(s.health.as_ref(), s.consented_at, app_in_testing)
                    .map(|v| v.with_facts(s.token_facts.as_ref()));
                let held = Held {
                    integration: s.integration,
                    status: s.status,
                    failure: s.failure,
                    reason: s.reason.as_ref(),
                    scopes: &s.scopes,
                    granted: &s.granted_scopes,
                    consented_at: s.consented_at,
                    pending: s.pending.as_ref(),
                    job: s.provision.as_ref(),
                    mcp: shown(s.status, s.mcp.as_ref()),
                };
                Self::new(held, token)
            }))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{NewTenant, new_tenant};

    #[test]
    fn each_integration_is_listed_with_its_own_status_and_mcp_url() {
        let input = NewTenant {
            slug: "acme".into(),
            ..Default::default()
        };
        let mut t = new_tenant(&input, 1).unwrap().0;
        t.status = TenantStatus::Deployed;
        t.consented_at = Some(2);
        t.provision = Some(ProvisionState {
            generation: 1,
            step: crate::domain::model::ProvisionStep::Done,
            connection_name: "gmail-acme".into(),
            function_name: "gmail-mcp-acme".into(),
            attempts: 0,
            next_attempt_at: 2,
            step_started_at: 2,
            last_error: None,
            failed_step: None,
            force_update: false,
            blaxel_status: None,
            blaxel_status_at: None,
            mcp_url: Some("https://run.example/gmail-mcp-acme/mcp".into()),
            waited_ms: 0,
        });
        t.add_integration(Integration::GoogleDrive, 3).unwrap();
        let views = IntegrationView::of_tenant(&t, None, false);
        assert_eq!(views.len(), 2);
        assert_eq!(views[0].integration, Integration::Gmail);
        assert_eq!(views[0].status, TenantStatus::Deployed);
        assert_eq!(
            views[0].mcp_url.as_deref(),
            Some("https://run.example/gmail-mcp-acme/mcp")
        );
        assert_eq!(views[0].connection.as_deref(), Some("gmail-acme"));
        assert_eq!(views[1].integration, Integration::GoogleDrive);
        assert_eq!(views[1].status, TenantStatus::Created);
        assert_eq!(views[1].mcp_url, None);
        assert_eq!(views[1].requested_scopes, Integration::GoogleDrive.scopes());
        let json = serde_json::to_value(&views).unwrap();
        assert_eq!(json[1]["integration"], "google-drive");
        assert_eq!(json[0]["mcp_url"], "https://run.example/gmail-mcp-acme/mcp");
    }

    #[test]
    fn an_added_integration_shows_its_own_token_health_pending_consent_and_row_status() {
        use crate::domain::health::{Health, TokenHealth};
        use crate::domain::model::GoogleIdentity;
        let input = NewTenant {
            slug: "acme".into(),
            ..Default::default()
        };
        let mut t = new_tenant(&input, 1).unwrap().0;
        t.status = TenantStatus::Deployed;
        t.add_integration(Integration::GoogleDrive, 3).unwrap();
        let drive = &mut t.added[0];
        drive.status = TenantStatus::AwaitingApproval;
        drive.consented_at = Some(4);
        drive.health = Some(TokenHealth {
            checked_at: 5,
            health: Health::NeedsReconsent,
            reason: "invalid_grant".into(),
            healthy_at: None,
            transient_in_a_row: 0,
        });
        drive.pending = Some(PendingConsent {
            identity: GoogleIdentity {
                sub: "222".into(),
                email: Some("other@example.com".into()),
                email_verified: true,
                hd: None,
            },
            granted_scopes: Vec::new(),
            at: 6,
            underlying: TenantStatus::Deployed,
        });
        let first = token_view(None, Some(2), true);
        let views = IntegrationView::of_tenant(&t, first.clone(), true);
        assert_eq!(views[0].token, first);
        let tok = views[1].token.as_ref().expect("Drive's own token");
        assert_eq!(tok.health, Some(Health::NeedsReconsent));
        assert_eq!(
            tok.testing_expires_ms,
            Some(crate::domain::health::testing_expiry(4))
        );
        assert_eq!(views[1].consented_ms, Some(4));
        let pending = views[1].pending_consent.as_ref().expect("Drive's pending");
        assert_eq!(pending.account, "other@example.com");
        assert_eq!(views[0].pending_consent, None);
        // The tenant's row lists each integration with its own status, its first first.
        let row = super::super::TenantSummary::of(&t);
        assert_eq!(row.status, TenantStatus::AwaitingApproval);
        assert_eq!(
            row.statuses,
            [
                IntegrationStatus {
                    integration: Integration::Gmail,
                    status: TenantStatus::Deployed,
                    step: None,
                    mcp_unreachable: false,
                },
                IntegrationStatus {
                    integration: Integration::GoogleDrive,
                    status: TenantStatus::AwaitingApproval,
                    step: None,
                    mcp_unreachable: false,
                },
            ]
        );
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["statuses"][1]["integration"], "google-drive");
        assert_eq!(json["statuses"][1]["status"], "awaiting_approval");
    }
}
