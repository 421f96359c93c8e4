//! Each command's availability, computed from the model: the hints bar offers only what
//! can be done now, the help greys the rest.

use ratatui::style::Color;
use rstest::rstest;

use super::*;
use crate::domain::model::ProvisionStep;
use crate::engine::api::PendingView;
use crate::tui::commands::available::{self, Availability};
use crate::tui::commands::{Action, Scope};
use crate::tui::layout::help::help_rows;
use crate::tui::update::set_rows;

/// `t000` selected, changed by `f` (its row, then its detail).
fn with(f: Change) -> Model {
    let mut m = loaded(2);
    let mut rows = m.table.rows.clone();
    let mut d = view("t000", TenantStatus::Created);
    f(&mut rows[0], &mut d);
    set_rows(&mut m, rows);
    m.detail.view = Some(d);
    m
}

fn active_link(d: &mut TenantView) {
    let mut l = link_summary("t000");
    l.expires_ms = 2_000_000;
    d.links.push(l);
}

fn offered(m: &Model, scope: Scope) -> Vec<Action> {
    available::offered(scope, m)
        .into_iter()
        .map(|h| h.action)
        .collect()
}

type Change = fn(&mut TenantSummary, &mut TenantView);

fn nothing(_: &mut TenantSummary, _: &mut TenantView) {}
fn stopped(r: &mut TenantSummary, _: &mut TenantView) {
    r.status = TenantStatus::Failed;
    r.step = Some(ProvisionStep::Stopped);
}
fn deploying(r: &mut TenantSummary, _: &mut TenantView) {
    r.step = Some(ProvisionStep::Deploy);
}
fn failed_before_consent(r: &mut TenantSummary, _: &mut TenantView) {
    r.status = TenantStatus::Failed;
}
fn refused_and_stopped(r: &mut TenantSummary, _: &mut TenantView) {
    r.status = TenantStatus::NeedsReconsent;
    r.step = Some(ProvisionStep::Stopped);
    r.google_email = Some("it@t000.example".into());
}
fn link_active(_: &mut TenantSummary, d: &mut TenantView) {
    active_link(d);
}
fn link_used(_: &mut TenantSummary, d: &mut TenantView) {
    active_link(d);
    d.links[0].state = LinkState::Used;
}
fn link_expired(_: &mut TenantSummary, d: &mut TenantView) {
    active_link(d);
    d.links[0].expires_ms = 1;
}
fn with_url(r: &mut TenantSummary, _: &mut TenantView) {
    r.mcp_url = Some("https://x.example/mcp".into());
}
fn awaiting(r: &mut TenantSummary, _: &mut TenantView) {
    r.status = TenantStatus::AwaitingApproval;
}
fn offboarded(r: &mut TenantSummary, _: &mut TenantView) {
    r.status = TenantStatus::Offboarded;
}
fn offboarding(r: &mut TenantSummary, _: &mut TenantView) {
    r.status = TenantStatus::Offboarding;
}
fn deployed(r: &mut TenantSummary, _: &mut TenantView) {
    r.status = TenantStatus::Deployed;
    r.google_email = Some("it@t000.example".into());
}

#[rstest]
#[case::retry_on_a_stopped_job(Action::Retry, true, stopped)]
#[case::retry_on_a_job_under_way(Action::Retry, false, deploying)]
#[case::retry_before_consent(Action::Retry, false, failed_before_consent)]
#[case::retry_on_a_refused_token(Action::Retry, false, refused_and_stopped)]
#[case::withdraw_with_an_active_link(Action::Withdraw, true, link_active)]
#[case::withdraw_with_a_used_link(Action::Withdraw, false, link_used)]
#[case::withdraw_with_an_expired_link(Action::Withdraw, false, link_expired)]
#[case::copy_url_with_one(Action::CopyMcpUrl, true, with_url)]
#[case::copy_url_without(Action::CopyMcpUrl, false, nothing)]
#[case::new_link(Action::NewLink, true, nothing)]
#[case::new_link_awaiting_approval(Action::NewLink, false, awaiting)]
#[case::new_link_offboarded(Action::NewLink, false, offboarded)]
#[case::edit_offboarding(Action::Edit, false, offboarding)]
#[case::edit(Action::Edit, true, nothing)]
#[case::check_token_deployed(Action::CheckToken, true, deployed)]
#[case::check_token_refused(Action::CheckToken, false, refused_and_stopped)]
fn the_bar_offers_a_command_only_when_it_can_be_done(
    #[case] action: Action,
    #[case] ready: bool,
    #[case] f: Change,
) {
    let m = with(f);
    let row = &m.table.rows[0];
    assert_eq!(
        available::of(Scope::Table, action, &m) == Availability::Ready,
        ready,
        "{row:?}"
    );
    if crate::tui::commands::hints(Scope::Table)
        .iter()
        .any(|h| h.action == action)
    {
        assert_eq!(
            offered(&m, Scope::Table).contains(&action),
            ready,
            "{row:?}"
        );
    }
}

fn consent_waiting(r: &mut TenantSummary, d: &mut TenantView) {
    r.status = TenantStatus::AwaitingApproval;
    r.google_email = Some("ann@acme.com".into());
    d.pending_consent = Some(PendingView {
        account: "bob@acme.com".into(),
        sub: "2".into(),
        at: String::new(),
        underlying: TenantStatus::Deployed,
    });
}

#[rstest]
#[case::approve(Action::Approve)]
#[case::reject(Action::Reject)]
#[case::check_token(Action::CheckToken)]
fn the_keys_without_a_hint_are_ready_only_when_they_can_be_used(#[case] action: Action) {
    let m = loaded(1);
    assert_ne!(available::of(Scope::Table, action, &m), Availability::Ready);
    let m = with(consent_waiting);
    assert_eq!(available::of(Scope::Table, action, &m), Availability::Ready);
}

#[test]
fn the_link_view_offers_copies_and_the_export_only_with_a_link_issued_here() {
    let mut m = loaded(1);
    update(&mut m, key('l'));
    let copies = [Action::CopyLink, Action::CopyMessage, Action::Export];
    let now = offered(&m, Scope::Link);
    assert!(copies.iter().all(|a| !now.contains(a)), "{now:?}");
    assert!(now.contains(&Action::NewLink) && now.contains(&Action::Back));
    let m = link_screen_with_a_link(1);
    let now = offered(&m, Scope::Link);
    assert!(copies.iter().all(|a| now.contains(a)), "{now:?}");
    assert!(
        now.contains(&Action::Withdraw),
        "the link issued here is active"
    );
}

#[test]
fn the_help_greys_what_cannot_be_done_now_and_lists_it_all_the_same() {
    let m = loaded(1);
    let grey = |scope, action| available::of(scope, action, &m) != Availability::Ready;
    let rows = help_rows(&m, 100, &grey);
    let lead = |text: &str| {
        rows.iter()
            .find(|l| l.to_string().starts_with(text))
            .and_then(|l| l.spans.first())
            .map(|s| s.style.fg)
            .unwrap_or_else(|| panic!("{text} in the help"))
    };
    assert_eq!(
        lead("  r "),
        Some(Color::DarkGray),
        "no stopped job: greyed"
    );
    assert_eq!(lead("  e "), Some(Color::Cyan), "edit can be done");
    let plain = help_rows(&m, 100, &|_, _| false);
    assert_eq!(rows.len(), plain.len(), "greyed, not hidden");
}
