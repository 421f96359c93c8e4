//! Fixtures for the console's view tests of a tenant holding several integrations, and the
//! rows of a tenant holding Gmail alone.

use mcp_onboard::domain::model::{Integration, LinkState, TenantStatus};
use mcp_onboard::engine::api::{IntegrationStatus, IntegrationView, TenantSummary};
use mcp_onboard::tui::model::Model;
use mcp_onboard::tui::update::set_rows;

use super::{MCP_URL, NOW, deployed, select};

/// Gmail at `status`, as a row lists it.
pub fn gmail(status: TenantStatus) -> IntegrationStatus {
    IntegrationStatus {
        integration: Integration::Gmail,
        status,
        step: None,
        mcp_unreachable: false,
    }
}

/// A row's tenant, holding Gmail alone, now at `status`.
pub fn set_status(r: &mut TenantSummary, status: TenantStatus) {
    r.status = status;
    r.statuses = vec![gmail(status)];
}

pub const DRIVE_URL: &str =
    "https://run.blaxel.ai/acme-prod/functions/google-drive-mcp-betamax/mcp";

/// betamax holds Gmail, deployed, and Google Drive, whose consent the customer has still to
/// give through the link they opened: the tenant's status is Drive's, the one needing
/// attention first.
pub fn two_integrations(size: (u16, u16)) -> Model {
    let mut m = deployed(size);
    let drive = |status| IntegrationStatus {
        integration: Integration::GoogleDrive,
        status,
        step: None,
        mcp_unreachable: false,
    };
    let mut rows = m.table.rows.clone();
    for r in &mut rows {
        if r.slug == "betamax" {
            r.status = TenantStatus::LinkOpened;
            r.statuses = vec![
                gmail(TenantStatus::Deployed),
                drive(TenantStatus::LinkOpened),
            ];
        }
    }
    set_rows(&mut m, rows);
    select(&mut m, "betamax");
    let Some(d) = m.detail.view.as_mut() else {
        return m;
    };
    d.status = TenantStatus::LinkOpened;
    d.statuses = vec![
        gmail(TenantStatus::Deployed),
        drive(TenantStatus::LinkOpened),
    ];
    d.links[0].state = LinkState::Active;
    let scopes = |own: &str| {
        ["openid", "email", "profile", own]
            .map(String::from)
            .to_vec()
    };
    let gmail_scopes = scopes("https://www.googleapis.com/auth/gmail.send");
    d.integrations = vec![
        IntegrationView {
            integration: Integration::Gmail,
            status: TenantStatus::Deployed,
            failure: None,
            reason: None,
            requested_scopes: gmail_scopes.clone(),
            granted_scopes: gmail_scopes,
            consented_at: Some("2026-11-29T12:04:02Z".into()),
            consented_ms: Some(NOW - 2 * 86_400_000),
            token: d.token.clone(),
            pending_consent: None,
            connection: Some("gmail-betamax".into()),
            function: Some("gmail-mcp-betamax".into()),
            mcp_url: Some(MCP_URL.into()),
            mcp: None,
        },
        IntegrationView {
            integration: Integration::GoogleDrive,
            status: TenantStatus::LinkOpened,
            failure: None,
            reason: None,
            requested_scopes: scopes("https://www.googleapis.com/auth/drive.file"),
            granted_scopes: Vec::new(),
            consented_at: None,
            consented_ms: None,
            token: None,
            pending_consent: None,
            connection: None,
            function: None,
            mcp_url: None,
            mcp: None,
        },
    ];
    m
}

/// The same once Drive is deployed too, its own MCP URL beside Gmail's.
pub fn both_deployed(size: (u16, u16)) -> Model {
    let mut m = two_integrations(size);
    let mut rows = m.table.rows.clone();
    for r in &mut rows {
        if r.slug == "betamax" {
            r.status = TenantStatus::Deployed;
            for s in &mut r.statuses {
                s.status = TenantStatus::Deployed;
            }
        }
    }
    set_rows(&mut m, rows);
    select(&mut m, "betamax");
    let Some(d) = m.detail.view.as_mut() else {
        return m;
    };
    d.status = TenantStatus::Deployed;
    d.links[0].state = LinkState::Used;
    for s in &mut d.statuses {
        s.status = TenantStatus::Deployed;
    }
    let token = d.token.clone();
    if let Some(v) = d.integrations.get_mut(1) {
        v.status = TenantStatus::Deployed;
        v.granted_scopes = v.requested_scopes.clone();
        v.consented_at = Some("2026-12-01T09:30:00Z".into());
        v.consented_ms = Some(NOW - 3_600_000);
        v.token = token;
        v.connection = Some("google-drive-betamax".into());
        v.function = Some("google-drive-mcp-betamax".into());
        v.mcp_url = Some(DRIVE_URL.into());
    }
    m
}
