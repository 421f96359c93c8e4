//! The link view: a new link, copying it, exporting its QR code, withdrawing.

use crossterm::event::KeyCode;

use super::*;
use crate::tui::model::ConfirmAction;

#[test]
fn a_new_link_opens_the_link_view_where_it_can_be_copied_and_exported() {
    let mut m = loaded(3);
    let fx = update(&mut m, key('n'));
    assert!(matches!(calls(&fx)[..], [Command::IssueLink { slug, .. }] if slug == "t000"));
    answer(&mut m, &fx, |_| Some(Ok(Reply::Link(link_view("t000")))));
    assert!(matches!(&m.mode, Mode::Link(s) if s == "t000"));
    assert_eq!(update(&mut m, key('c')), copy_of_the_link());
    let fx = update(&mut m, key('t'));
    let [Effect::Copy { text, .. }] = &fx[..] else {
        panic!("{fx:?}")
    };
    assert!(
        text.contains(&link_view("t000").url)
            && text.contains("t000 Ltd")
            && text.contains("December 2026")
            && !text.contains("2026-12-08T"),
        "the expiry as a person reads it: {text}"
    );
    let fx = update(&mut m, key('e'));
    assert_eq!(
        fx,
        vec![Effect::Export {
            folder: EXPORTS.into(),
            name: "t000-ab12cd34".into(),
            url: link_view("t000").url
        }]
    );
    update(&mut m, code(KeyCode::Esc));
    assert!(matches!(&m.mode, Mode::Table));
}

/// The demo's sample: its link, issued for the console by the runner, is the one its link
/// view shows and copies; nothing else changes and nothing is asked.
#[test]
fn a_link_handed_to_the_console_is_shown_by_its_link_view() {
    let mut m = loaded(2);
    let fx = update(&mut m, Msg::LinkIssued(link_view("t000")));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(matches!(m.mode, Mode::Table));
    let fx = update(&mut m, code(KeyCode::Enter));
    assert!(calls(&fx).is_empty(), "no new link asked for: {fx:?}");
    assert!(matches!(&m.mode, Mode::Link(s) if s == "t000"));
    assert_eq!(update(&mut m, key('c')), copy_of_the_link());
}

#[test]
fn the_link_view_without_a_link_offers_a_new_one() {
    let mut m = loaded(1);
    update(&mut m, code(KeyCode::Enter));
    assert!(matches!(&m.mode, Mode::Link(_)));
    let fx = update(&mut m, key('c'));
    assert!(fx.is_empty());
    assert!(m.flash.as_ref().unwrap().text.contains("press n"));
}

#[test]
fn n_in_the_link_view_issues_a_new_link_and_stays_in_that_view() {
    let mut m = loaded(2);
    update(&mut m, code(KeyCode::Enter));
    let fx = update(&mut m, key('n'));
    assert!(
        matches!(calls(&fx)[..], [Command::IssueLink { slug, ttl_secs, .. }]
            if slug == "t000" && *ttl_secs == 7 * 24 * 3600),
        "{fx:?}"
    );
    answer(&mut m, &fx, |_| Some(Ok(Reply::Link(link_view("t000")))));
    assert!(matches!(&m.mode, Mode::Link(s) if s == "t000"));
    assert_eq!(flashed(&m), (Level::Ok, "✔ new consent link for t000"));
    assert_eq!(update(&mut m, key('c')), copy_of_the_link());
    // No second link view on top: one esc is back on the table.
    update(&mut m, code(KeyCode::Esc));
    assert!(matches!(m.mode, Mode::Table));
}

#[test]
fn w_in_the_link_view_asks_then_withdraws_and_forgets_the_link() {
    let mut m = link_screen_with_a_link(2);
    let fx = update(&mut m, key('w'));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(
        matches!(m.mode.confirm(), Some(c) if c.action == ConfirmAction::Withdraw("t000".into()))
    );
    let fx = update(&mut m, key('y'));
    assert!(m.mode.confirm().is_none());
    assert!(matches!(calls(&fx)[..], [Command::RevokeLinks { slug }] if slug == "t000"));
    answer(&mut m, &fx, |_| {
        Some(Ok(Reply::Tenant(Box::new(view(
            "t000",
            TenantStatus::LinkIssued,
        )))))
    });
    assert!(!m.links.contains_key("t000"));
    assert_eq!(flashed(&m), (Level::Ok, "✔ unused links of t000 withdrawn"));
    assert!(matches!(&m.mode, Mode::Link(s) if s == "t000"));
    assert_eq!(
        m.detail.view.as_ref().map(|d| d.status),
        Some(TenantStatus::LinkIssued)
    );
    // The withdrawn link can no longer be copied.
    let fx = update(&mut m, key('c'));
    assert!(fx.is_empty());
    assert!(flashed(&m).1.contains("press n"));
}

#[test]
fn help_from_the_link_view_returns_to_it_and_q_goes_back_to_the_tenants() {
    let mut m = loaded(1);
    update(&mut m, code(KeyCode::Enter));
    update(&mut m, key('?'));
    assert!(matches!(&m.mode, Mode::Help { .. }));
    update(&mut m, code(KeyCode::Esc));
    assert!(matches!(&m.mode, Mode::Link(s) if s == "t000"));
    let fx = update(&mut m, key('q'));
    assert!(
        fx.is_empty(),
        "q in the link view goes back, it does not quit"
    );
    assert!(matches!(&m.mode, Mode::Table));
    assert!(!m.quit);
}

/// A console attached to an owner that runs as another user (a service): its owner's status
/// names the owner's data dir, and the QR codes still go into the console's own folder.
#[test]
fn an_attached_console_exports_into_its_own_folder_never_the_one_its_owner_names() {
    let mut m = Model::new(
        setup(attached(7)),
        crate::tui::style::Theme { color: true },
        1_000_000,
    );
    m.size = (80, 24);
    let fx = update(&mut m, Msg::Start);
    let mut s = status_with(0, 0);
    s.data_dir = "/srv/service-data".into();
    let fx = serve(&mut m, fx, |c| match c {
        Command::Status => Some(Ok(Reply::Status(Box::new(s.clone())))),
        Command::ListTenants { query } => Some(Ok(page_of(
            &[summary("t000", TenantStatus::Created, 0)],
            query,
        ))),
        Command::ShowTenant { slug } => tenant(slug, TenantStatus::Created),
        _ => None,
    });
    assert!(calls(&fx).is_empty(), "{fx:?}");
    assert_eq!(
        m.setup.data_dir, "/srv/service-data",
        "the owner's, as it says"
    );
    let fx = update(&mut m, key('n'));
    let fx = answer(&mut m, &fx, |_| Some(Ok(Reply::Link(link_view("t000")))));
    settle(&mut m, fx);
    let fx = update(&mut m, key('e'));
    assert_eq!(
        fx,
        vec![Effect::Export {
            folder: EXPORTS.into(),
            name: "t000-ab12cd34".into(),
            url: link_view("t000").url
        }]
    );
}
