//! Messages other than keys on the table: signals, ticks, copies and exports, the set-up panel, the help, quitting, the owner going and coming back.

use crossterm::event::{KeyCode, KeyEventKind};

use super::*;
use crate::tui::layout;
use crate::tui::model::FLASH_MS;
use crate::tui::update::FIRST_PAGE;

#[test]
fn signals_and_ctrl_c_quit_and_key_releases_do_nothing() {
    let mut m = loaded(1);
    let mut release = KeyEvent::new(KeyCode::Char('a'), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    assert!(update(&mut m, Msg::Key(release)).is_empty());
    assert!(matches!(&m.mode, Mode::Table));
    assert!(update(&mut m, Msg::Signal("SIGHUP")).contains(&Effect::Quit));
    let mut m = loaded(1);
    let fx = quit_with(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Ok(Reply::Status(Box::new(status_with(1, 0)))),
    );
    assert!(fx.contains(&Effect::Quit));
}

#[test]
fn help_opens_and_closes_and_flashes_fade() {
    let mut m = loaded(1);
    update(&mut m, key('?'));
    assert!(matches!(&m.mode, Mode::Help { .. }));
    update(&mut m, key('q'));
    assert!(matches!(&m.mode, Mode::Table));
    update(&mut m, Msg::Copied(Ok("the link".into())));
    assert!(m.flash.is_some());
    let later = m.now + 10_000;
    update(&mut m, Msg::Tick(later));
    assert!(m.flash.is_none());
}

#[test]
fn the_setup_panel_comes_first_when_something_is_missing_and_enter_goes_on() {
    let mut s = setup(owner());
    s.problems.push(crate::tui::model::SetupLine {
        ok: false,
        what: "google client".into(),
        detail: "missing".into(),
    });
    let mut m = Model::new(s, Theme { color: true }, 0);
    assert!(matches!(&m.mode, Mode::Setup));
    let fx = update(&mut m, key('c'));
    assert!(matches!(&fx[..], [Effect::Copy { text, .. }] if text.ends_with("/oauth/callback")));
    update(&mut m, code(KeyCode::Enter));
    assert!(matches!(&m.mode, Mode::Table));
}

#[test]
fn q_or_esc_on_the_setup_panel_quits() {
    let mut m = setup_panel(owner());
    assert!(matches!(&m.mode, Mode::Setup));
    assert_eq!(update(&mut m, key('q')), vec![Effect::Quit]);
    assert!(m.quit);
    let mut m = setup_panel(owner());
    assert_eq!(update(&mut m, code(KeyCode::Esc)), vec![Effect::Quit]);
    assert!(m.quit);
}

#[test]
fn copies_and_exports_are_flashed_as_done_or_failed() {
    let mut m = loaded(1);
    assert!(update(&mut m, Msg::Copied(Ok("the link".into()))).is_empty());
    assert_eq!(
        flashed(&m),
        (Level::Ok, "✔ the link copied to the clipboard (OSC 52)")
    );
    update(&mut m, Msg::Copied(Err("no terminal".into())));
    assert_eq!(flashed(&m), (Level::Error, "copy failed: no terminal"));
    assert!(
        update(
            &mut m,
            Msg::Exported(Ok(vec![
                "/data/exports/t000-ab12cd34.png".into(),
                "/data/exports/t000-ab12cd34.svg".into()
            ]))
        )
        .is_empty()
    );
    assert_eq!(
        flashed(&m),
        (
            Level::Ok,
            "✔ QR code written to t000-ab12cd34.png and .svg in /data/exports"
        )
    );
    update(&mut m, Msg::Exported(Err("disk full".into())));
    assert_eq!(flashed(&m), (Level::Error, "export failed: disk full"));
}

#[test]
fn a_flash_stays_until_its_time_is_up() {
    let mut m = loaded(1);
    update(&mut m, Msg::Copied(Ok("the link".into())));
    let until = m.now + FLASH_MS;
    update(&mut m, Msg::Tick(until - 1));
    assert_eq!(m.now, until - 1);
    assert!(m.flash.is_some(), "not yet");
    update(&mut m, Msg::Tick(until));
    assert!(m.flash.is_none());
}

#[test]
fn help_scrolls_within_bounds_and_starts_at_the_top_again() {
    let mut m = loaded(1);
    update(&mut m, key('?'));
    update(&mut m, code(KeyCode::Up));
    assert_eq!(help_scroll(&m), Some(0), "not above the top");
    update(&mut m, key('j'));
    update(&mut m, code(KeyCode::Down));
    update(&mut m, key('j'));
    assert_eq!(help_scroll(&m), Some(3));
    update(&mut m, key('k'));
    assert_eq!(help_scroll(&m), Some(2));
    for _ in 0..100 {
        update(&mut m, code(KeyCode::Down));
    }
    let end = layout::help_max_scroll(&m);
    assert!(end > 3, "the help is longer than its box at 80x24");
    assert_eq!(
        help_scroll(&m),
        Some(end),
        "scrolling stops at the help's last row"
    );
    update(&mut m, code(KeyCode::Esc));
    assert!(matches!(&m.mode, Mode::Table));
    update(&mut m, key('?'));
    assert_eq!(help_scroll(&m), Some(0), "it opens at the top again");
    update(&mut m, key('?'));
    assert!(matches!(&m.mode, Mode::Table), "? closes it too");
}

#[test]
fn quitting_an_owner_asks_first_when_it_would_cut_someone_off() {
    let mut m = loaded(1);
    let fx = quit_with(
        &mut m,
        key('q'),
        Ok(Reply::Status(Box::new(status_with(3, 2)))),
    );
    assert!(!fx.contains(&Effect::Quit));
    let c = m.mode.confirm().unwrap();
    assert!(
        c.text.contains("2 other consoles") && c.text.contains("2 customers mid-consent"),
        "{}",
        c.text
    );
    let fx = update(&mut m, key('y'));
    assert!(fx.contains(&Effect::Quit));

    // What was known before does not count: a console attached a moment ago does.
    let mut m = loaded(1);
    m.engine.status = Some(status_with(1, 0));
    let fx = quit_with(
        &mut m,
        key('q'),
        Ok(Reply::Status(Box::new(status_with(2, 0)))),
    );
    assert!(!fx.contains(&Effect::Quit));
    assert!(
        m.mode
            .confirm()
            .unwrap()
            .text
            .contains("1 other console or watcher")
    );
    update(&mut m, key('n'));
    assert!(m.mode.confirm().is_none() && !m.quit);

    // Nobody else there: no question.
    let mut m = loaded(1);
    let fx = quit_with(
        &mut m,
        key('q'),
        Ok(Reply::Status(Box::new(status_with(1, 0)))),
    );
    assert!(fx.contains(&Effect::Quit) && m.mode.confirm().is_none());
    // The engine cannot say: quit.
    let mut m = loaded(1);
    let fx = quit_with(
        &mut m,
        key('q'),
        Err(ApiError::new(
            crate::engine::error::ErrorCode::Unavailable,
            "gone",
        )),
    );
    assert!(fx.contains(&Effect::Quit));
    // Attached: quitting stops nothing, so nothing is asked.
    let mut m = Model::new(setup(attached(7)), Theme { color: true }, 0);
    m.engine.status = Some(status_with(9, 9));
    assert!(update(&mut m, key('q')).contains(&Effect::Quit));
}

#[test]
fn pressing_quit_twice_asks_the_engine_only_once() {
    let mut m = loaded(1);
    let first = update(&mut m, key('q'));
    assert!(matches!(calls(&first)[..], [Command::Status]));
    let again = update(&mut m, key('q'));
    assert!(again.is_empty(), "the question is out already: {again:?}");
    let fx = answer(&mut m, &first, |_| {
        Some(Ok(Reply::Status(Box::new(status_with(1, 0)))))
    });
    assert_eq!(fx, vec![Effect::Quit]);
    assert!(m.quit);
}

#[test]
fn an_attached_console_that_loses_its_owner_says_so_and_reloads_when_attached_again() {
    let mut m = Model::new(setup(attached(7)), Theme { color: true }, 0);
    let fx = update(&mut m, Msg::Start);
    answer(&mut m, &fx, |c| match c {
        Command::ListTenants { .. } => Some(Ok(Reply::Tenants {
            tenants: vec![summary("t000", TenantStatus::Deployed, 0)],
            total: 1,
        })),
        _ => None,
    });
    assert!(
        !m.requests.pending.is_empty(),
        "the status call is still out"
    );
    update(&mut m, Msg::OwnerLost);
    assert!(m.engine.lost.is_some());
    assert!(
        m.requests.pending.is_empty(),
        "nothing in flight will be answered"
    );
    assert!(m.flash.as_ref().unwrap().text.contains("pid 7"));
    assert_eq!(m.table.rows.len(), 1, "what was known stays on screen");
    let fx = update(&mut m, Msg::Reattached(attached(8)));
    assert!(m.engine.lost.is_none());
    assert_eq!(m.setup.attachment, attached(8));
    let c = calls(&fx);
    assert!(c.iter().any(|c| matches!(c, Command::Status)));
    assert!(
        c.iter().any(|c| matches!(c, Command::ListTenants { query }
            if query.after.is_none() && query.limit == Some(FIRST_PAGE))),
        "a fresh load from the first page: {c:?}"
    );
}
