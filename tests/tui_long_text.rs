//! Long text in the console (a 600-character Blaxel error, a reason as long, a timeline
//! entry saying it again) at 80x24 and 120x40: the panes cap each piece at a few rows with a
//! marker that says how many more there are and which key shows them, and the full view
//! (`d`) reaches every character of it, scrolled to its end, wide text and headings wrapped
//! within its rows at any width.

mod support_view;

use mcp_onboard::tui::layout::details;
use mcp_onboard::tui::model::{Mode, Model, Msg};
use mcp_onboard::tui::update::update;
use rstest::rstest;
use support_view::*;

fn key(c: char) -> Msg {
    Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char(c),
        crossterm::event::KeyModifiers::NONE,
    ))
}

/// `text` without any white space: what is left when rows are joined, however they broke.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The full view of `m`'s selected tenant, as `d` opens it.
fn full_view(mut m: Model) -> Model {
    let fx = update(&mut m, key('d'));
    assert!(fx.is_empty(), "its detail is held: nothing to ask: {fx:?}");
    assert!(
        matches!(m.mode, Mode::Details { scroll: 0, .. }),
        "{:?}",
        m.mode
    );
    m
}

#[rstest]
#[case::small(80, 24)]
#[case::large(120, 40)]
fn the_panes_cap_a_long_piece_and_say_how_to_see_it_all(#[case] w: u16, #[case] h: u16) {
    let screen = rows(&draw(&long_texts((w, h)))).join("\n");
    // The reason (in the tenant's pane) and the last error (beside it) each end on a marker.
    let markers = screen.matches("more rows: d shows all").count();
    assert!(markers >= 2, "{screen}");
    assert!(
        !screen.contains("ends here"),
        "the end is behind the marker:\n{screen}"
    );
    // The key is in the bar, and in the help.
    let bar = screen.lines().last().unwrap_or_default();
    assert!(bar.contains("d details"), "{bar}");
}

#[rstest]
#[case::small(80, 24)]
#[case::large(120, 40)]
fn the_full_view_holds_every_character_and_scrolls_to_the_end(#[case] w: u16, #[case] h: u16) {
    let m = full_view(long_texts((w, h)));
    let all: Vec<String> = details::rows(&m, w - 2)
        .iter()
        .map(ToString::to_string)
        .collect();
    let all = squeezed(&all.join(" "));
    let error = squeezed(&long_error());
    // The reason, the last error and the timeline's entry: each whole, none cut.
    assert_eq!(all.matches(&error).count(), 3, "{all}");
    assert!(!all.contains('…'), "nothing cut: {all}");

    // At the top: its name and reason; at the end, after `G`, the last entry of its timeline.
    let top = rows(&draw(&m)).join("\n");
    assert!(top.contains("beta-corp: all of it ─ rows 1-"), "{top}");
    assert!(top.contains("✖ failed  Beta Corporation"), "{top}");
    let mut end = m;
    update(&mut end, key('G'));
    let screen = rows(&draw(&end)).join("\n");
    assert!(
        screen.contains("12:09:00  display name changed"),
        "{screen}"
    );
    let max = details::max_scroll(&end);
    assert!(
        matches!(end.mode, Mode::Details { scroll, .. } if scroll == max),
        "{:?}",
        end.mode
    );
    // No further than the end; `g` back to the top, `esc` back to the table.
    update(&mut end, key('j'));
    assert!(matches!(end.mode, Mode::Details { scroll, .. } if scroll == max));
    update(&mut end, key('g'));
    assert!(matches!(end.mode, Mode::Details { scroll: 0, .. }));
    update(
        &mut end,
        Msg::Key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Esc,
            crossterm::event::KeyModifiers::NONE,
        )),
    );
    assert!(matches!(end.mode, Mode::Table));
}

/// Scrolled row by row, the full view shows every row of the last error at some point: the
/// end of the error is reached at 80x24.
#[test]
fn scrolling_the_full_view_at_80x24_reaches_the_end_of_the_last_error() {
    let mut m = full_view(long_texts((80, 24)));
    let mut seen = String::new();
    for _ in 0..=details::max_scroll(&m) {
        seen.push_str(&rows(&draw(&m)).join("\n"));
        update(&mut m, key('j'));
    }
    assert!(seen.contains("request 7f3a9c2e ends here"), "{seen}");
    assert!(seen.contains("REFRESH_TOKEN\"} request"), "{seen}");
}

#[rstest]
#[case::small(80, 24)]
#[case::large(120, 40)]
fn long_text_screens_at_both_sizes(#[case] w: u16, #[case] h: u16) {
    let pane = long_texts((w, h));
    insta::assert_snapshot!(format!("long-text-{w}x{h}"), draw(&pane).backend());
    let top = full_view(long_texts((w, h)));
    insta::assert_snapshot!(format!("long-text-full-{w}x{h}"), draw(&top).backend());
    let mut end = full_view(long_texts((w, h)));
    update(&mut end, key('G'));
    insta::assert_snapshot!(format!("long-text-full-end-{w}x{h}"), draw(&end).backend());
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
