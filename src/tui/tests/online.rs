//! The set-up panel's online checks: `o` asks for a run (an effect, never a wait), one run
//! at a time, its lines kept when they come back for that run (a late answer to an earlier
//! one is dropped), and `:setup` / `:check` open the panel from the table and leave back.

use crossterm::event::KeyCode;

use super::*;
use crate::config::online::{CheckLine, Level as CheckLevel};
use crate::tui::model::OnlineState;

fn online_reply(id: u64, lines: Vec<CheckLine>) -> Msg {
    Msg::Reply {
        id,
        result: Ok(Reply::Online { lines }),
    }
}

fn lines() -> Vec<CheckLine> {
    vec![
        CheckLine::ok("google.client", "accepted"),
        CheckLine::new(
            "google.redirect_uri",
            CheckLevel::Fail,
            "mismatch",
            "register it",
        ),
    ]
}

#[test]
fn o_runs_the_checks_once_at_a_time_and_keeps_the_lines_of_that_run() {
    let mut m = setup_panel(owner());
    assert_eq!(m.online.state, OnlineState::NotRun);
    let fx = update(&mut m, key('o'));
    let [
        Effect::Call {
            id,
            command: Command::CheckOnline,
        },
    ] = fx[..]
    else {
        panic!("one run asked for: {fx:?}");
    };
    assert_eq!(m.online.state, OnlineState::Running { id });
    // A second `o` while it runs asks for nothing more.
    assert!(update(&mut m, key('o')).is_empty());
    // An answer for another run is dropped.
    update(&mut m, online_reply(id + 100, Vec::new()));
    assert_eq!(m.online.state, OnlineState::Running { id });
    update(&mut m, online_reply(id, lines()));
    assert_eq!(m.online.state, OnlineState::Done(lines()));
    assert_eq!(
        flashed(&m),
        (
            Level::Error,
            "✖ online checks done: 1 failed (see their fix)"
        )
    );
    // Run again: a new id, the old lines' answer would be stale.
    let fx = update(&mut m, key('o'));
    assert!(
        matches!(fx[..], [Effect::Call { id: again, command: Command::CheckOnline }] if again != id)
    );
    assert!(matches!(&m.mode, Mode::Setup));
}

#[test]
fn check_in_the_palette_opens_the_panel_runs_and_esc_goes_back_to_the_table() {
    let mut m = loaded(1);
    update(&mut m, key(':'));
    let fx = typed(&mut m, "check");
    assert!(fx.is_empty(), "{fx:?}");
    let fx = update(&mut m, code(KeyCode::Enter));
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Call {
                command: Command::CheckOnline,
                ..
            }
        )),
        "{fx:?}"
    );
    assert!(matches!(&m.mode, Mode::Setup));
    // Opened from the console, leaving the panel does not leave the console.
    let fx = update(&mut m, code(KeyCode::Esc));
    assert!(!fx.contains(&Effect::Quit), "{fx:?}");
    assert!(!m.quit);
    assert!(matches!(&m.mode, Mode::Table));
    update(&mut m, key(':'));
    typed(&mut m, "setup");
    let fx = update(&mut m, code(KeyCode::Enter));
    assert!(fx.iter().all(|e| !matches!(
        e,
        Effect::Call {
            command: Command::CheckOnline,
            ..
        }
    )));
    assert!(matches!(&m.mode, Mode::Setup));
}

/// Many lines at 80x24: failures first, and the panel scrolls to its last row and no
/// further, a row or a page at a time, back to the top.
#[test]
fn the_panel_lists_failures_first_and_scrolls_within_its_rows() {
    let mut m = setup_panel(owner());
    m.size = (80, 24);
    let fx = update(&mut m, key('o'));
    let [Effect::Call { id, .. }] = fx[..] else {
        panic!("{fx:?}");
    };
    let mut many: Vec<CheckLine> = (0..30)
        .map(|i| CheckLine::ok(format!("check.{i}"), "fine"))
        .collect();
    many.push(CheckLine::new(
        "late.fail",
        CheckLevel::Fail,
        "broken",
        "mend it",
    ));
    update(&mut m, online_reply(id, many));
    let rows = crate::tui::layout::setup::rows(&m, 78);
    let text: Vec<String> = rows.iter().map(ToString::to_string).collect();
    let first_check = text.iter().position(|r| r.contains("check.0")).unwrap();
    let fail = text.iter().position(|r| r.contains("late.fail")).unwrap();
    assert!(fail < first_check, "{text:#?}");

    let (end, page) = crate::tui::layout::setup_scroll(&m);
    assert!(end > 0 && page > 1, "{end} {page}");
    update(&mut m, code(KeyCode::Down));
    assert_eq!(m.online.scroll, 1);
    update(&mut m, code(KeyCode::PageDown));
    assert_eq!(m.online.scroll, (1 + page).min(end));
    for _ in 0..50 {
        update(&mut m, code(KeyCode::PageDown));
    }
    assert_eq!(m.online.scroll, end);
    update(&mut m, code(KeyCode::Up));
    assert_eq!(m.online.scroll, end - 1);
    update(&mut m, code(KeyCode::PageUp));
    update(&mut m, code(KeyCode::PageUp));
    update(&mut m, code(KeyCode::PageUp));
    assert_eq!(m.online.scroll, 0);
    assert!(matches!(m.mode, Mode::Setup));
}
