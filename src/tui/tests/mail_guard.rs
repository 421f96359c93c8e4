//! What a mailing must not do to the rest of the console: quitting asks first while one
//! runs, its progress leaves other news alone, its end stays until read when any tenant was
//! not mailed, `M` takes the rows `m` would (and waits for the whole list), the link view
//! mails only a link that works, and its calls reach the engine the console talks to now.

use std::sync::{Arc, RwLock};

use super::mail::{accepted, id_of, issued_to, jobs, mailing, refused_550, report};
use super::*;
use crate::engine::EngineApi;
use crate::engine::client::BoxFuture;
use crate::tui::handle::{Current, Shared};
use crate::tui::layout::flash_fits;
use crate::tui::model::{ConfirmAction, FLASH_MS, UNTIL_KEY};
use crate::tui::update::mail_summary;

/// `M` on `m`, answered yes: the mailing's id.
fn mail_all(m: &mut Model) -> u64 {
    update(m, key('M'));
    let fx = update(m, key('y'));
    id_of(&fx)
}

fn progress(m: &mut Model, id: u64, done: usize, total: usize) {
    update(m, Msg::MailProgress { id, done, total });
}

const CUT_SHORT: &str = "A mailing is under way (2/3): links issued and not yet mailed stay \
     valid; `mcp-onboard tenant show SLUG` says whether each was mailed.";

#[test]
fn quitting_an_attached_console_while_a_mailing_runs_asks_first_naming_it() {
    for quit in [key('q'), ctrl_c()] {
        let mut m = mailing(3, &[0, 1, 2]);
        m.setup.attachment = attached(7);
        let id = mail_all(&mut m);
        progress(&mut m, id, 2, 3);
        let fx = update(&mut m, quit);
        assert!(!fx.contains(&Effect::Quit) && !m.quit, "{fx:?}");
        let q = m.mode.confirm().expect("a question");
        assert_eq!(q.action, ConfirmAction::Quit);
        assert_eq!(q.text, format!("Quit anyway? {CUT_SHORT}"));
        let fx = update(&mut m, key('y'));
        assert!(fx.contains(&Effect::Quit) && m.quit, "{fx:?}");
    }
    // With no mailing, an attached console quits at once.
    let mut m = mailing(1, &[0]);
    m.setup.attachment = attached(7);
    assert!(update(&mut m, key('q')).contains(&Effect::Quit));
}

#[test]
fn quitting_the_owning_console_while_a_mailing_runs_asks_even_when_nobody_else_is_on() {
    let mut m = mailing(3, &[0, 1, 2]);
    let id = mail_all(&mut m);
    progress(&mut m, id, 2, 3);
    let fx = quit_with(
        &mut m,
        key('q'),
        Ok(Reply::Status(Box::new(status_with(1, 0)))),
    );
    assert!(!fx.contains(&Effect::Quit), "{fx:?}");
    let q = m.mode.confirm().expect("a question");
    assert_eq!(q.text, format!("Quit and stop the listener? {CUT_SHORT}"));
    // Others cut off are named too.
    let mut m = mailing(3, &[0, 1, 2]);
    let id = mail_all(&mut m);
    progress(&mut m, id, 2, 3);
    quit_with(
        &mut m,
        key('q'),
        Ok(Reply::Status(Box::new(status_with(2, 0)))),
    );
    let q = m.mode.confirm().expect("a question");
    assert_eq!(
        q.text,
        format!(
            "Quit and stop the listener? 1 other console or watcher attached will lose it. \
             {CUT_SHORT}"
        )
    );
}

#[test]
fn progress_leaves_other_news_alone_and_replaces_only_its_own_word() {
    let mut m = mailing(3, &[0, 1, 2]);
    let id = mail_all(&mut m);
    update(&mut m, Msg::Copied(Ok("the link".into())));
    progress(&mut m, id, 1, 3);
    assert_eq!(
        flashed(&m),
        (Level::Ok, "✔ the link copied to the clipboard (OSC 52)")
    );
    // Once that news has faded, the progress is said again, and then follows itself.
    let later = m.now + FLASH_MS + 1;
    update(&mut m, Msg::Tick(later));
    assert_eq!(flashed(&m).1, "✉ mailing 1/3…");
    progress(&mut m, id, 2, 3);
    assert_eq!(flashed(&m).1, "✉ mailing 2/3…");
    // A flash that has run out (before the tick clears it) is replaced too.
    update(&mut m, Msg::Copied(Ok("the link".into())));
    m.now += FLASH_MS;
    progress(&mut m, id, 3, 3);
    assert_eq!(flashed(&m).1, "✉ mailing 3/3…");
}

#[test]
fn an_end_with_tenants_not_mailed_stays_until_a_key_and_a_clean_one_fades() {
    let mut m = mailing(3, &[0, 1, 2]);
    let id = mail_all(&mut m);
    let reports = vec![
        report("t000", accepted()),
        report("t001", refused_550()),
        report("t002", accepted()),
    ];
    let not_issued = Vec::new();
    update(
        &mut m,
        Msg::Mailed {
            id,
            reports,
            not_issued,
        },
    );
    assert_eq!(m.flash.as_ref().map(|f| f.until), Some(UNTIL_KEY));
    let later = m.now + 10 * FLASH_MS;
    update(&mut m, Msg::Tick(later));
    assert!(flashed(&m).1.starts_with("✖ mailed 2 links, 1 refused."));
    update(&mut m, code(KeyCode::Down));
    assert!(m.flash.is_none(), "{:?}", m.flash);
    // All mailed: the usual flash, which fades.
    let mut m = mailing(2, &[0, 1]);
    let id = mail_all(&mut m);
    let reports = vec![report("t000", accepted()), report("t001", accepted())];
    let not_issued = Vec::new();
    update(
        &mut m,
        Msg::Mailed {
            id,
            reports,
            not_issued,
        },
    );
    assert_eq!(flashed(&m), (Level::Ok, "✔ mailed 2 links"));
    let later = m.now + FLASH_MS + 1;
    update(&mut m, Msg::Tick(later));
    assert!(m.flash.is_none());
}

#[test]
fn the_end_names_every_tenant_left_out_as_far_as_two_rows_allow_and_counts_the_rest() {
    let mut m = mailing(40, &[0]);
    m.size = (60, 24);
    let id = mail_all(&mut m);
    let reports = vec![report("t000", accepted())];
    let not_issued = Vec::new();
    update(
        &mut m,
        Msg::Mailed {
            id,
            reports,
            not_issued,
        },
    );
    let (level, text) = flashed(&m);
    assert_eq!(level, Level::Info);
    assert!(
        text.starts_with("mailed 1 link, 39 without an address. Without an address: t001, t002"),
        "{text}"
    );
    assert!(flash_fits(text, 60), "{text}");
    let (names, rest) = text
        .split_once("Without an address: ")
        .and_then(|(_, after)| after.split_once(". "))
        .expect("names, then the rest counted");
    let named = names.split(", ").count();
    let more = rest.split_once(' ').map_or("", |(n, _)| n);
    assert_eq!(more.parse::<usize>().ok(), Some(39 - named), "{text}");
    assert!(
        text.ends_with("more: see each tenant's pane and timeline."),
        "{text}"
    );
    // On a wide screen every one is named.
    let mut m = mailing(12, &[0]);
    m.size = (200, 24);
    let id = mail_all(&mut m);
    let (reports, not_issued) = (vec![report("t000", accepted())], Vec::new());
    update(
        &mut m,
        Msg::Mailed {
            id,
            reports,
            not_issued,
        },
    );
    assert!(
        flashed(&m).1.ends_with("t009, t010, t011."),
        "{:?}",
        m.flash
    );
}

#[test]
fn a_reason_that_names_its_tenant_does_not_say_the_slug_twice() {
    let why = crate::mail::no_address("beta");
    let (_, text) = mail_summary(
        &[report("a", accepted())],
        &[("beta".into(), why.clone())],
        &[],
        &|_| true,
    );
    assert_eq!(
        text,
        format!("✖ mailed 1 link, 1 given no link. Given no link: {why}.")
    );
    assert!(!text.contains("beta: beta") && !text.contains("beta (beta"));
}

#[test]
fn big_m_leaves_out_the_rows_that_take_no_link_and_names_them() {
    let mut m = mailing(4, &[0, 1, 2, 3]);
    let mut rows = m.table.rows.clone();
    rows[1].status = TenantStatus::Offboarded;
    rows[2].status = TenantStatus::AwaitingApproval;
    crate::tui::update::set_rows(&mut m, rows);
    update(&mut m, key('M'));
    let q = m.mode.confirm().expect("a question");
    assert_eq!(
        q.text,
        "Mail a new consent link to each of the 2 tenants shown? Earlier links stay valid. \
         Left out, taking no link now (offboarded, or awaiting approval): t001, t002."
    );
    let fx = update(&mut m, key('y'));
    let to: Vec<&str> = issued_to(jobs(&fx)[0])
        .into_iter()
        .map(|(s, ..)| s)
        .collect();
    assert_eq!(to, ["t000", "t003"]);
    // None left that takes a link: nothing is asked.
    let mut m = mailing(1, &[0]);
    let mut rows = m.table.rows.clone();
    rows[0].status = TenantStatus::Offboarded;
    crate::tui::update::set_rows(&mut m, rows);
    let fx = update(&mut m, key('M'));
    assert!(fx.is_empty() && m.mode.confirm().is_none(), "{fx:?}");
    assert!(
        flashed(&m)
            .1
            .starts_with("no tenant shown can be mailed a link")
    );
}

#[test]
fn big_m_waits_for_the_whole_list() {
    let mut m = mailing(3, &[0, 1, 2]);
    m.load.loaded = false;
    let fx = update(&mut m, key('M'));
    assert!(fx.is_empty() && m.mode.confirm().is_none(), "{fx:?}");
    assert_eq!(
        flashed(&m),
        (
            Level::Info,
            "still loading: M mails the rows shown once all are loaded"
        )
    );
}

/// The link view of `t000` with its link, mail set up and an address.
fn link_view_to_mail() -> Model {
    let mut m = link_screen_with_a_link(2);
    m.setup.mail = Ok(super::mail::RELAY.into());
    let mut rows = m.table.rows.clone();
    rows[0].mail_to = Some("ops@t000.example".into());
    crate::tui::update::set_rows(&mut m, rows);
    m
}

#[test]
fn the_link_view_mails_only_a_link_that_still_works() {
    for (state, word) in [
        (LinkState::Used, "used"),
        (LinkState::Revoked, "revoked"),
        (LinkState::Expired, "expired"),
    ] {
        let mut m = link_view_to_mail();
        let mut d = view("t000", TenantStatus::Created);
        let mut l = link_summary("t000");
        (l.id, l.state) = (link_view("t000").id, state);
        d.links = vec![l];
        m.detail.view = Some(d);
        let fx = update(&mut m, key('m'));
        assert!(jobs(&fx).is_empty(), "{fx:?}");
        assert_eq!(
            flashed(&m).1,
            format!("this link is {word}: it would not work; n issues a new one")
        );
    }
    // Its time is up, whatever the detail last said.
    let mut m = link_view_to_mail();
    m.now = link_view("t000").expires_ms;
    assert!(jobs(&update(&mut m, key('m'))).is_empty());
    assert!(flashed(&m).1.starts_with("this link is expired"));
    // Still active: mailed.
    let mut m = link_view_to_mail();
    assert_eq!(jobs(&update(&mut m, key('m'))).len(), 1);
}

/// An engine that names itself in every refusal.
struct Named(&'static str);

impl EngineApi for Named {
    fn call(&self, _: Command) -> BoxFuture<'_, Result<Reply, ApiError>> {
        Box::pin(async move { Err(ApiError::new(ErrorCode::Unavailable, self.0)) })
    }
    fn subscribe(&self, _: Option<u64>) -> BoxFuture<'_, Result<crate::engine::Events, ApiError>> {
        Box::pin(async move { Err(ApiError::new(ErrorCode::Unavailable, self.0)) })
    }
    fn attachment(&self) -> Attachment {
        attached(1)
    }
}

#[tokio::test]
async fn a_mailing_reaches_the_engine_the_console_talks_to_now() {
    let first: Arc<dyn EngineApi> = Arc::new(Named("first owner"));
    let shared: Shared = Arc::new(RwLock::new(first));
    let api = Current(shared.clone());
    let said = |r: Result<Reply, ApiError>| r.err().map(|e| e.message);
    assert_eq!(
        said(api.call(Command::Status).await).as_deref(),
        Some("first owner")
    );
    // A reconnect swaps the handle: the same wrapper now reaches the next owner.
    if let Ok(mut slot) = shared.write() {
        *slot = Arc::new(Named("next owner"));
    }
    assert_eq!(
        said(api.call(Command::Status).await).as_deref(),
        Some("next owner")
    );
}

#[test]
fn the_summary_names_the_most_tenants_that_fit() {
    let without: Vec<String> = (0..40).map(|i| format!("t{i:03}")).collect();
    let names_in = |t: &str| {
        t.split_once("Without an address: ")
            .map_or(0, |(_, after)| after.split(", ").count())
    };
    for limit in [40, 90, 150, 260, 400] {
        let tried = std::cell::RefCell::new(Vec::new());
        let fits = |t: &str| {
            let ok = t.chars().count() <= limit;
            tried.borrow_mut().push((t.to_owned(), ok));
            ok
        };
        let (_, text) = mail_summary(&[report("a", accepted())], &[], &without, &fits);
        let n = names_in(&text);
        let more_was_refused = tried
            .borrow()
            .iter()
            .any(|(t, ok)| !ok && names_in(t) == n + 1);
        assert!(
            n == 0 && text.chars().count() > limit || text.chars().count() <= limit,
            "{limit}: {text}"
        );
        assert!(
            n == without.len() || more_was_refused,
            "{limit}: {n} named: {text}"
        );
        assert!(
            tried.borrow().len() <= 8,
            "found by halving: {}",
            tried.borrow().len()
        );
    }
}
