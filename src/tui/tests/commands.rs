//! The commands on the selected tenant, one table of cases each: what each sends, which
//! ask first, what each says when done, refused, or answered after the selection moved,
//! and what each says with no tenant shown.

use crossterm::event::KeyCode;
use rstest::rstest;

use super::*;
use crate::engine::api::{PendingView, Skipped};
use crate::tui::commands::{Scope, available};
use crate::tui::model::ConfirmAction;

/// A command on the selected tenant `t000`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmd {
    Retry,
    Withdraw,
    Approve,
    Reject,
    Offboard,
    Edit,
    CheckToken,
    NewLink,
}

/// `t000`'s detail with a consent by bob waiting, ann's before it.
fn waiting(m: &mut Model) {
    let mut d = view("t000", TenantStatus::AwaitingApproval);
    d.google_email = Some("ann@acme.com".into());
    d.pending_consent = Some(PendingView {
        account: "bob@acme.com".into(),
        sub: "2".into(),
        at: "2026-12-01T00:00:00Z".into(),
        underlying: TenantStatus::Deployed,
    });
    m.detail.view = Some(d);
}

/// Press the keys of `cmd` on `t000`, answering its question yes; what that sends.
fn start(m: &mut Model, cmd: Cmd) -> Vec<Effect> {
    let ask_then_yes = |m: &mut Model, c: char| {
        assert!(update(m, key(c)).is_empty(), "{c} asks first");
        update(m, key('y'))
    };
    match cmd {
        Cmd::Retry => update(m, key('r')),
        Cmd::Withdraw => ask_then_yes(m, 'w'),
        Cmd::Approve => {
            waiting(m);
            ask_then_yes(m, 'A')
        }
        Cmd::Reject => {
            waiting(m);
            ask_then_yes(m, 'X')
        }
        Cmd::Offboard => ask_then_yes(m, 'O'),
        Cmd::Edit => {
            update(m, key('e'));
            update(m, code(KeyCode::Enter))
        }
        Cmd::CheckToken => update(m, key('h')),
        Cmd::NewLink => update(m, key('n')),
    }
}

#[rstest]
#[case::retry(Cmd::Retry, |c: &Command| matches!(c, Command::Retry { slug } if slug == "t000"))]
#[case::withdraw(Cmd::Withdraw, |c: &Command| matches!(c, Command::RevokeLinks { slug } if slug == "t000"))]
#[case::approve(Cmd::Approve, |c: &Command| matches!(c, Command::Approve { slug } if slug == "t000"))]
#[case::reject(Cmd::Reject, |c: &Command| matches!(c, Command::Reject { slug } if slug == "t000"))]
#[case::offboard(Cmd::Offboard, |c: &Command| matches!(c, Command::Offboard { slugs } if slugs == &["t000".to_owned()]))]
#[case::edit(Cmd::Edit, |c: &Command| matches!(c, Command::EditTenant { slug, .. } if slug == "t000"))]
#[case::check_token(Cmd::CheckToken, |c: &Command| matches!(c, Command::CheckHealth { slug: Some(s), .. } if s == "t000"))]
#[case::new_link(Cmd::NewLink, |c: &Command| matches!(c, Command::IssueLink { slug, ttl_secs: 604_800, replace: false, integration: None } if slug == "t000"))]
fn each_command_on_the_selected_tenant_sends_its_command(
    #[case] cmd: Cmd,
    #[case] sent: fn(&Command) -> bool,
) {
    let mut m = loaded(2);
    let fx = start(&mut m, cmd);
    let c = calls(&fx);
    assert!(matches!(c[..], [one] if sent(one)), "{cmd:?}: {fx:?}");
    assert!(
        m.mode.confirm().is_none(),
        "{cmd:?}: the question is answered"
    );
}

#[rstest]
#[case::withdraw('w', ConfirmAction::Withdraw("t000".into()))]
#[case::offboard('O', ConfirmAction::Offboard("t000".into()))]
#[case::approve('A', ConfirmAction::Approve("t000".into()))]
#[case::reject('X', ConfirmAction::Reject("t000".into()))]
fn the_dangerous_ones_ask_first_and_no_or_esc_sends_nothing(
    #[case] c: char,
    #[case] asked: ConfirmAction,
) {
    let mut m = loaded(2);
    waiting(&mut m);
    for no in [key('n'), code(KeyCode::Esc)] {
        let fx = update(&mut m, key(c));
        assert!(fx.is_empty(), "{c} asks first: {fx:?}");
        assert!(
            matches!(m.mode.confirm(), Some(q) if q.action == asked),
            "{c}"
        );
        let fx = update(&mut m, no);
        assert!(calls(&fx).is_empty() && m.mode.confirm().is_none(), "{c}");
        assert!(matches!(m.mode, Mode::Table));
    }
}

#[rstest]
#[case::retry(Cmd::Retry, "✔ provisioning of t000 runs again")]
#[case::withdraw(Cmd::Withdraw, "✔ unused links of t000 withdrawn")]
#[case::approve(
    Cmd::Approve,
    "✔ t000: the new account's consent is in; provisioning runs"
)]
#[case::reject(Cmd::Reject, "✔ t000: the waiting consent was rejected and wiped")]
#[case::edit(Cmd::Edit, "✔ tenant t000 saved")]
fn a_command_done_says_so_and_shows_the_tenant_it_answers_with(
    #[case] cmd: Cmd,
    #[case] said: &str,
) {
    let mut m = loaded(2);
    let fx = start(&mut m, cmd);
    answer(&mut m, &fx, |_| {
        let mut v = view("t000", TenantStatus::ConnectionReady);
        v.display_name = "New Name".into();
        Some(Ok(Reply::Tenant(Box::new(v))))
    });
    assert_eq!(flashed(&m), (Level::Ok, said));
    let d = m.detail.view.as_ref().expect("a detail");
    assert_eq!(
        (d.slug.as_str(), d.status, d.display_name.as_str()),
        ("t000", TenantStatus::ConnectionReady, "New Name")
    );
    assert!(d.pending_consent.is_none());
    assert!(matches!(m.mode, Mode::Table), "{cmd:?}: {:?}", m.mode);
}

#[rstest]
#[case::retry(Cmd::Retry)]
#[case::withdraw(Cmd::Withdraw)]
#[case::approve(Cmd::Approve)]
#[case::reject(Cmd::Reject)]
fn a_reply_after_the_selection_moved_keeps_the_selected_detail(#[case] cmd: Cmd) {
    let mut m = loaded(3);
    let sent = start(&mut m, cmd);
    let fx = update(&mut m, key('j'));
    settle(&mut m, fx);
    assert_eq!(
        m.detail.view.as_ref().map(|d| d.slug.as_str()),
        Some("t001")
    );
    answer(&mut m, &sent, |_| {
        tenant("t000", TenantStatus::ConnectionReady)
    });
    assert_eq!(flashed(&m).0, Level::Ok);
    assert_eq!(
        m.detail.view.as_ref().map(|d| d.slug.as_str()),
        Some("t001"),
        "the selected tenant's detail stays"
    );
    update(&mut m, key('e'));
    assert!(matches!(m.mode, Mode::Form(_)), "so e still edits it");
}

#[rstest]
#[case::retry(Cmd::Retry, "nothing to retry")]
#[case::withdraw(Cmd::Withdraw, "store busy")]
#[case::approve(Cmd::Approve, "the consent was decided already")]
#[case::reject(Cmd::Reject, "the consent was decided already")]
#[case::offboard(Cmd::Offboard, "store busy")]
#[case::check_token(Cmd::CheckToken, "Google is not answering")]
#[case::new_link(Cmd::NewLink, "t000 is offboarded")]
fn a_refused_command_is_flashed_and_opens_nothing(#[case] cmd: Cmd, #[case] why: &str) {
    let mut m = loaded(2);
    let fx = start(&mut m, cmd);
    answer(&mut m, &fx, |_| refused(ErrorCode::Conflict, why));
    assert_eq!(flashed(&m), (Level::Error, format!("✖ {why}").as_str()));
    assert!(matches!(m.mode, Mode::Table), "{cmd:?}: {:?}", m.mode);
    assert!(m.links.is_empty());
}

#[rstest]
#[case::edit('e')]
#[case::new_link('n')]
#[case::retry('r')]
#[case::withdraw('w')]
#[case::open('l')]
#[case::check_token('h')]
#[case::approve('A')]
#[case::reject('X')]
#[case::offboard('O')]
#[case::copy_url('c')]
#[case::timeline_back('[')]
#[case::timeline_on(']')]
fn a_command_on_a_tenant_with_none_shown_says_why(#[case] c: char) {
    let mut m = loaded(0);
    let fx = update(&mut m, key(c));
    assert!(fx.is_empty(), "{c}: {fx:?}");
    assert_eq!(
        flashed(&m),
        (Level::Info, "no tenant yet: press a to add one"),
        "{c}"
    );
    // Filtered to nothing: the way back is named.
    let mut m = loaded(3);
    update(&mut m, key('/'));
    typed(&mut m, "zzz");
    update(&mut m, code(KeyCode::Enter));
    let fx = update(&mut m, key(c));
    assert!(calls(&fx).is_empty(), "{c}: {fx:?}");
    assert!(flashed(&m).1.contains("esc clears"), "{c}");
}

#[test]
fn the_bar_leaves_out_what_needs_a_tenant_when_none_is_shown() {
    let m = loaded(0);
    let bar: Vec<&str> = available::offered(Scope::Table, &m)
        .into_iter()
        .map(|h| h.word)
        .collect();
    assert!(bar.contains(&"add") && bar.contains(&"quit"));
    assert!(!bar.contains(&"edit") && !bar.contains(&"retry") && !bar.contains(&"link"));
}

#[test]
fn h_checks_the_selected_tenants_token_and_a_refusal_raises_the_alarm_in_the_header() {
    use crate::domain::health::Health;
    use crate::engine::api::{HealthAlarm, HealthCheck};
    let mut m = loaded(2);
    m.engine.status = Some(status_with(2, 0));
    let fx = update(&mut m, key('h'));
    assert!(
        matches!(calls(&fx)[..], [Command::CheckHealth { slug: Some(s), .. }] if s == "t000"),
        "{fx:?}"
    );
    assert_eq!(flashed(&m).0, Level::Info);
    let fx = answer(&mut m, &fx, |_| {
        Some(Ok(Reply::Health {
            mcp: vec![],
            skipped: vec![],
            checks: vec![HealthCheck {
                slug: "t000".into(),
                health: Health::ClientError,
                reason: "Google refused our OAuth client (401 invalid_client)".into(),
                checked_at: "2026-12-01T00:00:00Z".into(),
                status: TenantStatus::Deployed,
            }],
            alarm: Some(HealthAlarm {
                reason: "Google refused our OAuth client (401 invalid_client)".into(),
                since: "2026-12-01T00:00:00Z".into(),
            }),
        }))
    });
    let (level, text) = flashed(&m);
    assert_eq!(level, Level::Error);
    assert!(text.contains("t000: token client_error"), "{text}");
    assert!(m.engine.status.as_ref().unwrap().health_alarm.is_some());
    // The detail is asked again: the check may have changed the tenant.
    assert!(
        matches!(calls(&fx)[..], [Command::ShowTenant { slug }] if slug == "t000"),
        "{fx:?}"
    );
}

#[rstest]
#[case::approve('A', "Approve")]
#[case::reject('X', "Reject")]
fn a_decision_is_asked_only_with_a_consent_waiting_naming_both_accounts(
    #[case] c: char,
    #[case] want: &str,
) {
    let mut m = loaded(2);
    // No consent waits: the key says so and asks nothing.
    let fx = update(&mut m, key(c));
    assert!(calls(&fx).is_empty());
    assert!(m.mode.confirm().is_none());
    assert_eq!(
        flashed(&m),
        (Level::Error, "t000 has no consent waiting for approval")
    );
    waiting(&mut m);
    assert!(update(&mut m, key(c)).is_empty(), "asks first");
    let text = m.mode.confirm().map(|q| q.text.clone()).unwrap_or_default();
    assert!(
        text.starts_with(want) && text.contains("bob@acme.com") && text.contains("ann@acme.com"),
        "{text}"
    );
}

#[rstest]
#[case::skipped(vec![], "✖ t000 not offboarded: tenant t000 is being offboarded", Level::Error)]
#[case::started(vec!["t000".to_owned()], "✔ offboarding t000: each step shows on its timeline", Level::Ok)]
fn an_offboarding_says_whether_it_started(
    #[case] started: Vec<String>,
    #[case] said: &str,
    #[case] level: Level,
) {
    let mut m = loaded(2);
    let fx = start(&mut m, Cmd::Offboard);
    answer(&mut m, &fx, |_| {
        Some(Ok(Reply::Offboarding {
            note: None,
            started: started.clone(),
            skipped: if started.is_empty() {
                vec![Skipped {
                    slug: "t000".into(),
                    reason: "tenant t000 is being offboarded".into(),
                }]
            } else {
                vec![]
            },
        }))
    });
    assert_eq!(flashed(&m), (level, said));
}
