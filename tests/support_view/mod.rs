//! Fixtures for the console's view tests: a model of six tenants (one selected, with its
//! detail), as an operator would see it attached to a running owner, and variations of it.
#![allow(dead_code)]

use mcp_onboard::domain::health::Health;
use mcp_onboard::domain::model::{
    EventKind, ExpectedAccount, FailureKind, LinkState, ProvisionStep, ProvisionerState,
    TenantStatus,
};
use mcp_onboard::engine::Attachment;
use mcp_onboard::engine::api::{HealthAlarm, TokenView};
use mcp_onboard::engine::api::{PendingView, StatusView, TenantSummary};
use mcp_onboard::tui::model::{Model, Setup};
use mcp_onboard::tui::style::Theme;
use mcp_onboard::tui::update::set_rows;
use mcp_onboard::tui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

mod detail;
mod integrations;
mod keyed;
mod mail;
mod mcp;
mod setup;
pub use detail::*;
pub use integrations::*;
#[allow(unused_imports)]
pub use keyed::*;
#[allow(unused_imports)]
pub use mail::*;
#[allow(unused_imports)]
pub use mcp::*;
#[allow(unused_imports)]
pub use setup::*;

pub const NOW: i64 = 1_796_000_000_000;

pub fn summary(
    slug: &str,
    name: &str,
    status: TenantStatus,
    email: Option<&str>,
    ago_s: i64,
) -> TenantSummary {
    TenantSummary {
        slug: slug.into(),
        display_name: name.into(),
        status,
        failure: None,
        reason: (status == TenantStatus::Failed)
            .then(|| "the customer declined access at Google".into()),
        google_email: email.map(Into::into),
        expected_account: (email.is_none() && status == TenantStatus::LinkOpened)
            .then(|| ExpectedAccount::Domain("betalabs.dev".into())),
        step: None,
        blaxel_status: (status == TenantStatus::Deployed).then(|| "DEPLOYED".into()),
        mcp_url: None,
        lang: None,
        statuses: vec![gmail(status)],
        mail_to: None,
        mailed: None,
        updated_at: "2026-11-29T10:00:00Z".into(),
        updated_ms: NOW - ago_s * 1000,
    }
}

/// A console that runs the owner.
pub fn owner() -> Attachment {
    Attachment::InProcess {
        pid: 4120,
        placement: mcp_onboard::engine::Placement::Serving,
    }
}

pub fn setup(attachment: Attachment) -> Setup {
    Setup {
        attachment,
        public_url: "https://onboard.acme.io/".into(),
        redirect_uri: "https://onboard.acme.io/oauth/callback".into(),
        data_dir: "/var/lib/mcp-onboard".into(),
        exports: "/home/op/.local/share/mcp-onboard/exports".into(),
        message_template: Default::default(),
        problems: Vec::new(),
        mail: Err("mail is not set up".into()),
    }
}

pub fn model(color: bool, size: (u16, u16)) -> Model {
    let attached = Attachment::Socket {
        pid: 4121,
        version: "test".into(),
    };
    let mut m = Model::new(setup(attached), Theme { color }, NOW);
    m.size = size;
    m.load.loaded = true;
    let rows = vec![
        summary(
            "alphabeta",
            "AlphaBeta",
            TenantStatus::Failed,
            Some("admin@alphabeta.io"),
            3600,
        ),
        summary(
            "beta-corp",
            "Beta Corporation",
            TenantStatus::ServerCreated,
            Some("ops@beta.io"),
            12,
        ),
        summary(
            "beta-labs",
            "Beta Labs",
            TenantStatus::LinkOpened,
            None,
            180,
        ),
        summary(
            "betamax",
            "Betamax Ltd",
            TenantStatus::Deployed,
            Some("it@betamax.co.uk"),
            172_800,
        ),
        summary(
            "gamma",
            "Gamma GmbH",
            TenantStatus::NeedsReconsent,
            Some("it@gamma.de"),
            86_400,
        ),
        summary("omega", "Omega", TenantStatus::Created, None, 5),
    ];
    set_rows(&mut m, rows);
    m.table.selected = 1;
    m.detail.view = Some(detail());
    m.engine.provisioner = ProvisionerState {
        running: true,
        workspace: Some("acme-prod".into()),
        api_url: Some("https://api.blaxel.ai/v0".into()),
        concurrency: 8,
        in_flight: 3,
        waiting: 9,
        retrying: 1,
        blaxel_reachable: Some(true),
        last_call_at: Some(NOW - 2_000),
        ..Default::default()
    };
    m
}

pub fn draw(m: &Model) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(m.size.0, m.size.1)).unwrap();
    t.draw(|f| view(m, f)).unwrap();
    t
}

/// The screen as text, one string per row.
pub fn rows(t: &Terminal<TestBackend>) -> Vec<String> {
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
}

/// betamax was consented by another account than before: it waits for the operator.
pub fn awaiting_approval(size: (u16, u16)) -> Model {
    let mut m = model(true, size);
    let mut rows = m.table.rows.clone();
    for r in &mut rows {
        if r.slug == "betamax" {
            set_status(r, TenantStatus::AwaitingApproval);
        }
    }
    set_rows(&mut m, rows);
    select(&mut m, "betamax");
    let mut d = detail();
    d.slug = "betamax".into();
    d.display_name = "Betamax Ltd".into();
    d.status = TenantStatus::AwaitingApproval;
    d.google_email = Some("it@betamax.co.uk".into());
    d.events.truncate(1);
    d.pending_consent = Some(PendingView {
        account: "intern@gmail.com".into(),
        sub: "1029".into(),
        at: "2026-12-01T00:00:00Z".into(),
        underlying: TenantStatus::Deployed,
    });
    m.detail.view = Some(d);
    m
}

/// gamma's token was refused at the last check, and Google refuses our client now.
pub fn token_refused(size: (u16, u16)) -> Model {
    let mut m = model(true, size);
    select(&mut m, "gamma");
    let mut d = detail();
    d.slug = "gamma".into();
    d.display_name = "Gamma GmbH".into();
    d.status = TenantStatus::NeedsReconsent;
    d.reason = Some("Google refused the refresh token (400 invalid_grant)".into());
    d.google_email = Some("it@gamma.de".into());
    d.provisioning = None;
    d.mcp_url = None;
    d.events.truncate(2);
    d.token = Some(TokenView {
        health: Some(Health::NeedsReconsent),
        reason: d.reason.clone(),
        checked_at: Some("2026-12-01T00:00:00Z".into()),
        healthy_at: None,
        inconclusive_in_a_row: 0,
        testing_expires_at: None,
        testing_expires_ms: None,
        account_tokens_issued: 1,
        facts: Default::default(),
    });
    m.detail.view = Some(d);
    m.engine.status = Some(StatusView {
        health_alarm: Some(HealthAlarm {
            reason: "Google refused our OAuth client (401 invalid_client)".into(),
            since: "2026-12-01T00:00:00Z".into(),
        }),
        ..Default::default()
    });
    m
}

/// Select `slug` in the table.
pub fn select(m: &mut Model, slug: &str) {
    m.table.selected = m.table.shown_at(slug).unwrap();
}

pub const MCP_URL: &str = "https://run.blaxel.ai/acme-prod/functions/gmail-mcp-betamax/mcp";

/// betamax is deployed: its MCP URL is known, and its newest timeline entry says so.
pub fn deployed(size: (u16, u16)) -> Model {
    let mut m = model(true, size);
    let mut rows = m.table.rows.clone();
    for r in &mut rows {
        if r.slug == "betamax" {
            r.mcp_url = Some(MCP_URL.into());
        }
    }
    set_rows(&mut m, rows);
    select(&mut m, "betamax");
    let mut d = detail();
    d.slug = "betamax".into();
    d.display_name = "Betamax Ltd".into();
    d.status = TenantStatus::Deployed;
    d.google_email = Some("it@betamax.co.uk".into());
    d.mcp_url = Some(MCP_URL.into());
    if let Some(p) = d.provisioning.as_mut() {
        p.step = ProvisionStep::Done;
        p.attempts = 1;
        p.connection_name = "gmail-betamax".into();
        p.function_name = "gmail-mcp-betamax".into();
        p.blaxel_status = Some("DEPLOYED".into());
    }
    d.links[0].id = "9f3e07aa".into();
    for e in &mut d.events {
        e.detail = e
            .detail
            .replace("beta-corp", "betamax")
            .replace("ab12cd34", "9f3e07aa")
            .replace("ops@beta.io", "it@betamax.co.uk");
    }
    d.events.push(entry(
        7,
        "12:04:41",
        EventKind::Deployed,
        &format!("MCP server gmail-mcp-betamax deployed: {MCP_URL}"),
    ));
    d.token = Some(TokenView {
        health: Some(Health::Healthy),
        reason: None,
        checked_at: Some("2026-11-29T13:00:00Z".into()),
        healthy_at: Some("2026-11-29T13:00:00Z".into()),
        inconclusive_in_a_row: 0,
        testing_expires_at: None,
        testing_expires_ms: None,
        account_tokens_issued: 1,
        facts: Default::default(),
    });
    m.detail.view = Some(d);
    m
}

/// alphabeta's customer pressed Deny: stored `failed` (consent_denied), its link active.
pub fn declined(size: (u16, u16)) -> Model {
    let mut m = model(true, size);
    let mut rows = m.table.rows.clone();
    for r in &mut rows {
        if r.slug == "alphabeta" {
            r.failure = Some(FailureKind::ConsentDenied);
            r.reason = Some("the customer declined access at Google (access_denied)".into());
            r.google_email = None;
        }
    }
    set_rows(&mut m, rows);
    select(&mut m, "alphabeta");
    let mut d = detail();
    d.slug = "alphabeta".into();
    d.display_name = "AlphaBeta".into();
    d.status = TenantStatus::Failed;
    d.statuses = vec![gmail(TenantStatus::Failed)];
    d.failure = Some(FailureKind::ConsentDenied);
    d.reason = Some("the customer declined access at Google (access_denied)".into());
    d.google_email = None;
    d.granted_scopes.clear();
    d.provisioning = None;
    d.links[0].state = LinkState::Active;
    d.links[0].expires_at = "2026-12-05T12:01:07Z".into();
    d.links[0].expires_ms = NOW + 6 * 86_400_000;
    d.events.truncate(3);
    d.events.push(entry(
        4,
        "12:04:02",
        EventKind::ConsentFailed,
        "the customer declined access at Google (access_denied)",
    ));
    m.detail.view = Some(d);
    m
}

/// Blaxel's verbatim error for beta-corp: some 600 characters, one of its words wider than
/// any pane, its last words `request 7f3a9c2e ends here`.
pub fn long_error() -> String {
    let mut text = String::from("Blaxel refused the MCP server gmail-mcp-beta-corp (400):");
    for n in 1..=7 {
        text.push_str(&format!(
            " field spec.runtime.envs[{n}] is not valid for an integration connection;"
        ));
    }
    text.push_str(
        " detail {\"code\":\"INVALID_ARGUMENT\",\"field\":\"spec.integrationConnections[0].secret.REFRESH_TOKEN\"}",
    );
    text.push_str(" request 7f3a9c2e ends here");
    text
}

/// beta-corp failed at Blaxel with [`long_error`], its reason as long, and an older
/// timeline entry that says it all again.
pub fn long_texts(size: (u16, u16)) -> Model {
    let mut m = model(true, size);
    let mut d = detail();
    d.status = TenantStatus::Failed;
    d.statuses = vec![gmail(TenantStatus::Failed)];
    d.failure = Some(FailureKind::BlaxelRejected);
    let error = long_error();
    d.reason = Some(format!("provisioning stopped: {error}"));
    if let Some(p) = d.provisioning.as_mut() {
        p.step = ProvisionStep::Stopped;
        p.failed_step = Some(ProvisionStep::Function);
        p.last_error = Some(error.clone());
        p.next_attempt_ms = None;
    }
    d.events.push(entry(
        7,
        "12:04:06",
        EventKind::ProvisionFailed,
        &format!("provisioning stopped at function: {error}"),
    ));
    d.events.push(entry(
        8,
        "12:09:00",
        EventKind::TenantEdited,
        "display name changed",
    ));
    let mut rows = m.table.rows.clone();
    for r in &mut rows {
        if r.slug == "beta-corp" {
            set_status(r, TenantStatus::Failed);
            r.step = Some(ProvisionStep::Stopped);
        }
    }
    set_rows(&mut m, rows);
    select(&mut m, "beta-corp");
    m.detail.view = Some(d);
    m
}
