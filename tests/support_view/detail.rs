//! The selected tenant's detail in the view tests: beta-corp, its server being created,
//! with its timeline.

use mcp_onboard::domain::model::{EventKind, LinkState, ProvisionStep, TenantStatus};
use mcp_onboard::engine::api::{EventView, LinkSummary, ProvisionView, TenantSummary, TenantView};

use super::{NOW, gmail};

pub fn entry(seq: u64, at: &str, kind: EventKind, detail: &str) -> EventView {
    EventView {
        seq,
        at: format!("2026-11-29T{at}Z"),
        kind,
        detail: detail.into(),
        status: None,
        integration: None,
    }
}

pub fn detail() -> TenantView {
    TenantView {
        summary: TenantSummary {
            slug: "beta-corp".into(),
            display_name: "Beta Corporation".into(),
            status: TenantStatus::ServerCreated,
            failure: None,
            reason: None,
            google_email: Some("ops@beta.io".into()),
            expected_account: None,
            step: None,
            blaxel_status: None,
            mcp_url: None,
            lang: None,
            statuses: vec![gmail(TenantStatus::ServerCreated)],
            mail_to: None,
            mailed: None,
            updated_at: "2026-11-29T12:04:05Z".into(),
            updated_ms: 0,
        },
        contact: Some("Ops team".into()),
        contact_email: None,
        last_mail: None,
        integration: Default::default(),
        requested_scopes: [
            "openid",
            "email",
            "profile",
            "https://www.googleapis.com/auth/gmail.send",
        ]
        .map(String::from)
        .to_vec(),
        granted_scopes: [
            "openid",
            "email",
            "profile",
            "https://www.googleapis.com/auth/gmail.send",
        ]
        .map(String::from)
        .to_vec(),
        google_sub: Some("1".into()),
        consented_at: None,
        created_at: "2026-11-29T12:00:00Z".into(),
        provisioning: Some(ProvisionView {
            step: ProvisionStep::Deploy,
            connection_name: "gmail-beta-corp".into(),
            function_name: "gmail-mcp-beta-corp".into(),
            attempts: 3,
            next_retry_at: None,
            next_attempt_ms: Some(NOW + 4_000),
            last_error: None,
            failed_step: None,
            blaxel_status: Some("DEPLOYING".into()),
            blaxel_status_at: None,
            blaxel_status_ms: Some(NOW - 18_000),
        }),
        links: vec![LinkSummary {
            id: "ab12cd34".into(),
            tenant: "beta-corp".into(),
            created_at: String::new(),
            expires_at: String::new(),
            expires_ms: NOW + 6 * 86_400_000,
            state: LinkState::Used,
            opened_at: None,
            open_count: 2,
            continue_count: 1,
        }],
        events: vec![
            entry(1, "12:00:00", EventKind::TenantAdded, "tenant added"),
            entry(
                2,
                "12:01:07",
                EventKind::LinkIssued,
                "consent link ab12cd34 issued",
            ),
            entry(
                3,
                "12:03:40",
                EventKind::LinkOpened,
                "consent link ab12cd34 opened",
            ),
            entry(
                4,
                "12:04:02",
                EventKind::Consented,
                "consent granted by ops@beta.io",
            ),
            entry(
                5,
                "12:04:03",
                EventKind::ConnectionReady,
                "Blaxel integration connection gmail-beta-corp holds the credentials",
            ),
            entry(
                6,
                "12:04:05",
                EventKind::ServerCreated,
                "MCP server gmail-mcp-beta-corp created",
            ),
        ],
        refused_signins: 0,
        token: None,
        pending_consent: None,
        return_url: None,
        integrations: Vec::new(),
        google_fixes: Vec::new(),
        no_callback: None,
        mcp: None,
    }
}
