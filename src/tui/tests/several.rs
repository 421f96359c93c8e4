//! What the console offers and says about a tenant of several integrations follows each
//! integration, not its first alone: `r` asks the engine to run an added integration's
//! stopped job (and is offered for it), `h` is offered while one integration's token can be
//! checked, the pane's "next" line (nothing to retry before a consent) comes only when each
//! failed integration failed before its consent, and an added integration's consent waiting
//! for approval says which keys take it.

use super::*;
use crate::domain::model::Integration::{self, Gmail, GoogleDrive};
use crate::domain::model::ProvisionStep::{self, Done, Stopped};
use crate::domain::model::{FailureKind, LinkState};
use crate::engine::api::{IntegrationStatus, IntegrationView, PendingView};
use crate::tui::commands::available::{self, Availability};
use crate::tui::commands::{Action, Scope};
use crate::tui::layout::{cap::Extent, detail};
use crate::tui::update::set_rows;

fn held(i: Integration, status: TenantStatus, step: Option<ProvisionStep>) -> IntegrationStatus {
    IntegrationStatus {
        integration: i,
        status,
        step,
        mcp_unreachable: false,
    }
}

fn block(i: Integration, status: TenantStatus) -> IntegrationView {
    IntegrationView {
        integration: i,
        status,
        failure: None,
        reason: None,
        requested_scopes: i.scopes(),
        granted_scopes: Vec::new(),
        consented_at: None,
        consented_ms: None,
        token: None,
        pending_consent: None,
        connection: None,
        function: None,
        mcp_url: None,
        mcp: None,
    }
}

/// `t000` reading `status`, its integrations `each` (Gmail first), in its row and its
/// detail, with an active link.
fn tenant(status: TenantStatus, each: [IntegrationStatus; 2]) -> Model {
    let mut m = loaded(2);
    let mut rows = m.table.rows.clone();
    let r = &mut rows[0];
    r.status = status;
    r.step = each[0].step;
    r.google_email = Some("ann@t000.example".into());
    r.statuses = each.to_vec();
    set_rows(&mut m, rows);
    let mut d = view("t000", status);
    d.summary = m.table.rows[0].clone();
    d.integrations = each
        .iter()
        .map(|h| block(h.integration, h.status))
        .collect();
    let mut l = link_summary("t000");
    l.state = LinkState::Active;
    l.expires_ms = 86_460_000;
    d.links = vec![l];
    m.detail.view = Some(d);
    m
}

/// Gmail never consented; Drive consented through its own link and its job stopped.
fn drives_job_stopped() -> Model {
    let mut m = tenant(
        TenantStatus::Failed,
        [
            held(Gmail, TenantStatus::Created, None),
            held(GoogleDrive, TenantStatus::Failed, Some(Stopped)),
        ],
    );
    let reason = "google-drive: Blaxel refused the connection".to_owned();
    let mut rows = m.table.rows.clone();
    rows[0].reason = Some(reason.clone());
    set_rows(&mut m, rows);
    if let Some(d) = m.detail.view.as_mut() {
        d.reason = Some(reason);
    }
    m
}

fn pane(m: &Model) -> String {
    let d = m.shown_detail().expect("t000 shown");
    detail::rows(m, d, 100, Extent::Pane)
        .head
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn ready(m: &Model, a: Action) -> bool {
    available::of(Scope::Table, a, m) == Availability::Ready
}

#[test]
fn r_runs_an_added_integrations_stopped_job_though_the_first_never_consented() {
    let mut m = drives_job_stopped();
    assert!(ready(&m, Action::Retry));
    let fx = update(&mut m, key('r'));
    assert!(
        matches!(calls(&fx)[..], [Command::Retry { slug }] if slug == "t000"),
        "{fx:?} {:?}",
        m.flash
    );
    // Nothing says a new link is what helps: a retry is.
    let text = pane(&m);
    assert!(!text.contains("next "), "{text}");
}

#[test]
fn r_is_offered_for_drives_stopped_job_beside_gmails_done_one() {
    let m = tenant(
        TenantStatus::Failed,
        [
            held(Gmail, TenantStatus::Deployed, Some(Done)),
            held(GoogleDrive, TenantStatus::Failed, Some(Stopped)),
        ],
    );
    assert!(ready(&m, Action::Retry));
    assert!(ready(&m, Action::CheckToken));
}

#[test]
fn h_is_offered_while_gmails_token_stands_though_drive_needs_a_new_consent() {
    let m = tenant(
        TenantStatus::NeedsReconsent,
        [
            held(Gmail, TenantStatus::Deployed, Some(Done)),
            held(GoogleDrive, TenantStatus::NeedsReconsent, Some(Done)),
        ],
    );
    assert!(ready(&m, Action::CheckToken));
    assert!(!ready(&m, Action::Retry), "a new consent, not a retry");
    // Both refused: nothing to check.
    let m = tenant(
        TenantStatus::NeedsReconsent,
        [
            held(Gmail, TenantStatus::NeedsReconsent, Some(Done)),
            held(GoogleDrive, TenantStatus::NeedsReconsent, Some(Done)),
        ],
    );
    assert!(!ready(&m, Action::CheckToken));
}

#[test]
fn a_drive_declined_beside_a_working_gmail_has_nothing_to_retry_and_says_so() {
    let mut m = tenant(
        TenantStatus::Failed,
        [
            held(Gmail, TenantStatus::Deployed, Some(Done)),
            held(GoogleDrive, TenantStatus::Failed, None),
        ],
    );
    let mut rows = m.table.rows.clone();
    rows[0].failure = Some(FailureKind::ConsentDenied);
    set_rows(&mut m, rows);
    assert!(!ready(&m, Action::Retry));
    let text = pane(&m);
    assert!(text.contains("next     their link works until"), "{text}");
    let fx = update(&mut m, key('r'));
    assert!(calls(&fx).is_empty(), "{fx:?}");
    assert!(flashed(&m).1.contains("nothing to retry"), "{:?}", m.flash);
}

#[test]
fn an_added_integrations_consent_waiting_names_the_keys_that_take_it() {
    let mut m = tenant(
        TenantStatus::AwaitingApproval,
        [
            held(Gmail, TenantStatus::Deployed, Some(Done)),
            held(GoogleDrive, TenantStatus::AwaitingApproval, None),
        ],
    );
    let waiting = PendingView {
        account: "bob@t000.example".into(),
        sub: "2".into(),
        at: String::new(),
        underlying: TenantStatus::Created,
    };
    if let Some(d) = m.detail.view.as_mut() {
        d.pending_consent = Some(waiting.clone());
        d.integrations[1].pending_consent = Some(waiting.clone());
    }
    let text = pane(&m);
    assert!(
        text.contains("◆ consent by bob@t000.example: A approves, X rejects"),
        "{text}"
    );
    assert!(ready(&m, Action::Approve));
    // Both wait: `approve` must name the integration, and each block says how.
    if let Some(d) = m.detail.view.as_mut() {
        d.integrations[0].pending_consent = Some(waiting);
    }
    let text = pane(&m);
    for name in ["gmail", "google-drive"] {
        let said = format!(
            "◆ consent by bob@t000.example: `mcp-onboard approve t000 --integration {name}` (or reject)"
        );
        assert!(text.contains(&said), "{said} in\n{text}");
    }
}
