//! The full view of a tenant (`d`, `:details SLUG`): opened on the selected tenant (asking
//! for its detail when it is not held), the help over it and back, its copy key, and the
//! pane's markers that lead to it.

use crossterm::event::KeyCode;
use ratatui::text::Line;

use super::*;
use crate::tui::commands::{self, Scope};
use crate::tui::layout::cap::{Extent, PIECE_ROWS, capped, cut_to};

fn details_at(m: &Model) -> Option<usize> {
    match m.mode {
        Mode::Details { scroll } => Some(scroll),
        _ => None,
    }
}

#[test]
fn d_opens_the_full_view_and_asks_for_a_detail_not_held_yet() {
    let mut m = loaded(3);
    // Its detail is held: nothing to ask.
    assert!(update(&mut m, key('d')).is_empty());
    assert_eq!(details_at(&m), Some(0));
    update(&mut m, code(KeyCode::Esc));
    assert!(matches!(m.mode, Mode::Table));
    // Typed for another tenant: selected, and its detail asked for.
    let fx = typed(&mut m, ":details t002");
    let fx = [fx, update(&mut m, code(KeyCode::Enter))].concat();
    assert_eq!(m.selected_slug().as_deref(), Some("t002"));
    assert_eq!(details_at(&m), Some(0));
    assert_eq!(shows(&fx), vec!["t002"]);
}

#[test]
fn the_help_over_the_full_view_goes_back_to_it_and_lists_its_keys() {
    let mut m = loaded(1);
    update(&mut m, key('d'));
    update(&mut m, key('?'));
    assert!(help_scroll(&m).is_some());
    update(&mut m, code(KeyCode::Esc));
    assert_eq!(details_at(&m), Some(0));
    let help = commands::help(Scope::Details);
    for k in ["↓ j", "end G", "esc q", "c"] {
        assert!(help.iter().any(|l| l.keys == k), "{k} in the help");
    }
    assert!(
        commands::hints(Scope::Table)
            .iter()
            .any(|h| h.key == "d" && h.word == "details")
    );
}

#[test]
fn d_with_no_tenant_says_why() {
    let mut m = loaded(0);
    assert!(update(&mut m, key('d')).is_empty());
    assert!(matches!(m.mode, Mode::Table));
    assert_eq!(
        flashed(&m),
        (Level::Info, "no tenant yet: press a to add one")
    );
}

#[test]
fn a_long_piece_is_capped_with_a_marker_and_whole_in_the_full_view() {
    let m = loaded(0);
    let rows: Vec<Line<'static>> = (0..10).map(|i| Line::from(format!("row {i}"))).collect();
    let pane = capped(&m, rows.clone(), Extent::Pane, 40);
    assert_eq!(pane.len(), PIECE_ROWS);
    assert_eq!(pane[0].to_string(), "row 0");
    assert_eq!(pane[2].to_string(), "⋯ 8 more rows: d shows all");
    assert_eq!(capped(&m, rows.clone(), Extent::Whole, 40), rows);
    let short = rows[..3].to_vec();
    assert_eq!(capped(&m, short.clone(), Extent::Pane, 40), short);
    // Cut to a room: the marker counts what it hides.
    let mut cut = rows.clone();
    cut_to(&m, &mut cut, 4, 40);
    assert_eq!(cut.len(), 4);
    assert_eq!(cut[3].to_string(), "⋯ 7 more rows: d shows all");
    let mut fits = rows[..2].to_vec();
    cut_to(&m, &mut fits, 4, 40);
    assert_eq!(fits.len(), 2);
    // A narrow pane: the marker is cut visibly, never wider than the pane.
    assert_eq!(
        capped(&m, rows, Extent::Pane, 12)[2].to_string(),
        "⋯ 8 more ro…"
    );
}
