//! Review of the full view (`d`) with wide text and little room.

mod support_view;

use mcp_onboard::tui::layout::details;
use mcp_onboard::tui::model::{Mode, Msg};
use mcp_onboard::tui::update::update;
use support_view::*;

fn key(c: char) -> Msg {
    Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char(c),
        crossterm::event::KeyModifiers::NONE,
    ))
}

fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// A reason in CJK without a space (wider than a row, two columns a character) is whole in
/// the full view, no row wider than the view, at 80 columns and narrow ones.
#[test]
fn wide_text_without_spaces_is_whole_and_within_the_rows() {
    let cjk: String = "顧客がグーグルで拒否しました".repeat(20);
    for w in [80u16, 40] {
        let mut m = long_texts((w, 24));
        if let Some(d) = m.detail.view.as_mut() {
            d.reason = Some(cjk.clone());
        }
        update(&mut m, key('d'));
        assert!(matches!(m.mode, Mode::Details { .. }));
        let rows: Vec<String> = details::rows(&m, w - 2)
            .iter()
            .map(ToString::to_string)
            .collect();
        for r in &rows {
            assert!(
                ratatui::text::Line::from(r.as_str()).width() <= usize::from(w - 2),
                "{w}: {r:?} wider than {}",
                w - 2
            );
        }
        assert!(
            squeezed(&rows.join("")).contains(&cjk),
            "{w}: not whole: {rows:?}"
        );
    }
}

/// The full view drawn with almost no room: no panic, scrolling clamps at both ends.
#[test]
fn the_full_view_with_no_room_draws_and_clamps() {
    for (w, h) in [(80u16, 24u16), (80, 4), (80, 3), (80, 1), (3, 24), (1, 1)] {
        let mut m = long_texts((w, h));
        update(&mut m, key('d'));
        let _ = draw(&m);
        update(&mut m, key('G'));
        let end = details::max_scroll(&m);
        assert!(matches!(m.mode, Mode::Details { scroll, .. } if scroll == end));
        let _ = draw(&m);
        update(&mut m, key('j'));
        assert!(matches!(m.mode, Mode::Details { scroll, .. } if scroll == end));
        update(&mut m, key('g'));
        update(&mut m, key('k'));
        assert!(matches!(m.mode, Mode::Details { scroll: 0, .. }));
    }
}

/// At a narrow width (30 columns) every row of the full view fits it: the timeline's
/// heading (`Timeline, 8 entries, the newest last`) is one unwrapped row, cut silently by
/// the box.
#[test]
fn every_row_of_the_full_view_fits_a_narrow_terminal() {
    let w = 30u16;
    let mut m = long_texts((w, 24));
    update(&mut m, key('d'));
    for r in details::rows(&m, w - 2) {
        assert!(r.width() <= usize::from(w - 2), "{:?}", r.to_string());
    }
}
