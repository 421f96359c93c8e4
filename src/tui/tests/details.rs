//! The full view of a tenant (`d`, `:details SLUG`): opened on the selected tenant (asking
//! for its detail when it is not held), the help over it and back, its copy key, how it
//! closes when its tenant is removed, and the pane's markers that lead to it.

use crossterm::event::KeyCode;
use ratatui::text::Line;

use super::*;
use crate::tui::commands::{self, Scope};
use crate::tui::layout::cap::{Extent, PIECE_ROWS, capped, cut_to};

fn in_details(m: &Model) -> bool {
    matches!(m.mode, Mode::Details { .. })
}

fn details_at(m: &Model) -> Option<usize> {
    match m.mode {
        Mode::Details { scroll, .. } => Some(scroll),
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

/// The tenant of an open full view is removed: the view must not go on, silently, as the
/// full view of another tenant (its title, its facts, and `c` copying that other tenant's
/// MCP URL): it closes (or stays on the removed one, saying so).
#[test]
fn the_full_view_does_not_turn_into_another_tenant_when_its_own_is_removed() {
    let mut m = loaded(3);
    // t001 has an MCP URL; t000 (selected, in the full view) is removed.
    if let Some(i) = m.row_of("t001") {
        m.table.rows[i].mcp_url = Some("https://run.example/t001/mcp".into());
    }
    update(&mut m, key('d'));
    assert!(in_details(&m));
    let fx = update(
        &mut m,
        event(
            31,
            EventBody::TenantRemoved {
                slug: "t000".into(),
            },
        ),
    );
    settle(&mut m, fx);
    assert_eq!(
        flashed(&m),
        (Level::Info, "t000 was removed: its full view is closed")
    );
    let now = m.selected_slug();
    assert!(
        !in_details(&m) || now.as_deref() == Some("t000"),
        "the full view of t000 now shows {now:?} as if nothing happened"
    );
    // And `c` there copies no other tenant's URL.
    if in_details(&m) {
        let fx = update(&mut m, key('c'));
        assert!(
            !fx.iter()
                .any(|e| matches!(e, Effect::Copy { text, .. } if text.contains("t001"))),
            "{fx:?}"
        );
    }
}

/// The last tenant removed with its full view open: no endless `loading…` titled `: all of
/// it` over an empty table.
#[test]
fn the_full_view_closes_when_the_last_tenant_goes() {
    let mut m = loaded(1);
    update(&mut m, key('d'));
    assert!(in_details(&m));
    update(
        &mut m,
        event(
            32,
            EventBody::TenantRemoved {
                slug: "t000".into(),
            },
        ),
    );
    assert!(m.table.visible.is_empty());
    assert!(
        !in_details(&m),
        "a full view of no tenant stays open: {:?}",
        m.mode
    );
    // Esc still leads back, whatever happened.
    update(&mut m, code(KeyCode::Esc));
    assert!(matches!(m.mode, Mode::Table));
}

/// Under its help, the full view of a removed tenant closes too: the help goes back to the
/// table.
#[test]
fn the_help_over_the_full_view_of_a_removed_tenant_goes_back_to_the_table() {
    let mut m = loaded(2);
    update(&mut m, key('d'));
    update(&mut m, key('?'));
    assert_eq!(m.mode.details_slug(), Some("t000"));
    let fx = update(
        &mut m,
        event(
            33,
            EventBody::TenantRemoved {
                slug: "t000".into(),
            },
        ),
    );
    settle(&mut m, fx);
    assert_eq!(m.mode.details_slug(), None);
    update(&mut m, code(KeyCode::Esc));
    assert!(matches!(m.mode, Mode::Table), "{:?}", m.mode);
}
