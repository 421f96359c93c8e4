//! The tenants table: moving, filtering, sorting, resizing.

use crossterm::event::KeyCode;

use super::*;
use crate::engine::api::SortKey;
use crate::tui::layout;

#[test]
fn moving_the_selection_asks_for_that_tenants_detail_and_pages_by_the_table() {
    let mut m = loaded(100);
    let fx = update(&mut m, code(KeyCode::Down));
    assert_eq!(m.table.selected, 1);
    assert!(matches!(calls(&fx)[..], [Command::ShowTenant { slug }] if slug == "t001"));
    // Another move while that request runs: remembered, asked once the answer is in.
    let fx2 = update(&mut m, key('j'));
    assert!(calls(&fx2).is_empty());
    assert_eq!(m.detail.wanted.as_deref(), Some("t002"));
    let fx3 = answer(&mut m, &fx, |_| {
        Some(Ok(Reply::Tenant(Box::new(view(
            "t001",
            TenantStatus::Created,
        )))))
    });
    assert!(matches!(calls(&fx3)[..], [Command::ShowTenant { slug }] if slug == "t002"));
    update(&mut m, code(KeyCode::PageDown));
    assert_eq!(m.table.selected, 2 + layout::table_rows(&m));
    update(&mut m, key('G'));
    assert_eq!(m.table.selected, 99);
    assert!(
        m.table.scroll + layout::table_rows(&m) > 99,
        "the last row is in view"
    );
    update(&mut m, key('g'));
    assert_eq!((m.table.selected, m.table.scroll), (0, 0));
}

#[test]
fn the_filter_narrows_live_and_esc_clears_it() {
    let mut m = loaded(30);
    update(&mut m, key('/'));
    assert!(filtering(&m));
    typed(&mut m, "t01");
    assert_eq!(m.table.visible.len(), 10);
    update(&mut m, code(KeyCode::Enter));
    assert!(!filtering(&m));
    assert_eq!(m.table.visible.len(), 10, "the filter stays after enter");
    update(&mut m, code(KeyCode::Esc));
    assert_eq!(m.table.visible.len(), 30);
    update(&mut m, key('/'));
    update(&mut m, Msg::Paste("t02\u{1b}[2J\nnext line".into()));
    assert_eq!(
        m.table.filter.value(),
        "t02[2J",
        "one line, no control characters"
    );
}

#[test]
fn sort_cycles_and_keeps_the_selected_tenant() {
    let mut m = loaded(5);
    m.table.rows[3].status = TenantStatus::Failed;
    update(&mut m, key('j'));
    update(&mut m, key('j'));
    let slug = m.selected_slug();
    update(&mut m, key('s'));
    assert_eq!(m.table.sort, SortKey::Status);
    assert_eq!(m.selected_slug(), slug);
    assert_eq!(m.table.rows.last().unwrap().status, TenantStatus::Failed);
    update(&mut m, key('s'));
    assert_eq!(m.table.sort, SortKey::Changed);
    assert_eq!(m.table.rows[0].slug, "t004", "most recent change first");
}

#[test]
fn up_and_k_move_the_selection_up_and_ask_for_that_tenants_detail() {
    let mut m = loaded(10);
    let fx = update(&mut m, key('G'));
    settle(&mut m, fx);
    let fx = update(&mut m, code(KeyCode::Up));
    assert_eq!(m.selected_slug().as_deref(), Some("t008"));
    assert_eq!(shows(&fx), vec!["t008"]);
    settle(&mut m, fx);
    let fx = update(&mut m, key('k'));
    assert_eq!(m.selected_slug().as_deref(), Some("t007"));
    assert_eq!(shows(&fx), vec!["t007"]);
    settle(&mut m, fx);
    // At the top, up stays there and asks nothing again.
    let fx = update(&mut m, key('g'));
    settle(&mut m, fx);
    let fx = update(&mut m, key('k'));
    assert_eq!(m.table.selected, 0);
    assert!(calls(&fx).is_empty(), "{fx:?}");
}

#[test]
fn page_up_moves_back_by_a_table_of_rows_and_stops_at_the_top() {
    let mut m = loaded(100);
    let fx = update(&mut m, key('G'));
    settle(&mut m, fx);
    let page = layout::table_rows(&m);
    let fx = update(&mut m, code(KeyCode::PageUp));
    assert_eq!(m.table.selected, 99 - page);
    let want = format!("t{:03}", 99 - page);
    assert_eq!(shows(&fx), vec![want.as_str()]);
    assert!(m.table.scroll <= m.table.selected && m.table.selected < m.table.scroll + page);
    settle(&mut m, fx);
    for _ in 0..(100 / page + 2) {
        let fx = update(&mut m, code(KeyCode::PageUp));
        settle(&mut m, fx);
    }
    assert_eq!((m.table.selected, m.table.scroll), (0, 0));
}

#[test]
fn esc_on_the_table_without_a_filter_does_nothing() {
    let mut m = loaded(3);
    let fx = update(&mut m, code(KeyCode::Esc));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(matches!(&m.mode, Mode::Table));
    assert!(!m.quit && m.mode.confirm().is_none());
    assert_eq!(m.table.visible.len(), 3);
}

#[test]
fn esc_on_the_table_clears_a_status_filter_and_asks_for_the_selected_detail() {
    let mut m = loaded(3);
    update(&mut m, key(':'));
    typed(&mut m, "status failed");
    update(&mut m, code(KeyCode::Enter));
    assert_eq!(m.table.status_filter, vec![TenantStatus::Failed]);
    assert!(m.table.visible.is_empty());
    assert!(m.detail.view.is_none(), "nothing shown: no detail");
    let fx = update(&mut m, code(KeyCode::Esc));
    assert!(m.table.status_filter.is_empty());
    assert_eq!(m.table.visible.len(), 3);
    assert_eq!(m.selected_slug().as_deref(), Some("t000"));
    assert_eq!(shows(&fx), vec!["t000"]);
}

#[test]
fn sort_goes_on_to_name_and_then_back_to_slug() {
    let mut m = loaded(3);
    m.table.rows[0].display_name = "zeta".into();
    m.table.rows[1].display_name = "Alpha".into();
    m.table.rows[2].display_name = "beta".into();
    for _ in 0..3 {
        update(&mut m, key('s'));
    }
    assert_eq!(m.table.sort, SortKey::Name);
    let order = shown(&m);
    assert_eq!(
        order,
        vec!["t001", "t002", "t000"],
        "by name, ignoring case"
    );
    assert_eq!(m.selected_slug().as_deref(), Some("t000"), "still selected");
    update(&mut m, key('s'));
    assert_eq!(m.table.sort, SortKey::Slug);
    let order = shown(&m);
    assert_eq!(order, vec!["t000", "t001", "t002"]);
    assert_eq!(m.selected_slug().as_deref(), Some("t000"));
}

#[test]
fn l_opens_the_link_view_of_the_selected_tenant() {
    let mut m = loaded(3);
    let fx = update(&mut m, key('j'));
    settle(&mut m, fx);
    let fx = update(&mut m, key('l'));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(matches!(&m.mode, Mode::Link(s) if s == "t001"));
}

#[test]
fn resize_keeps_the_selected_row_in_view_and_the_table_full() {
    let mut m = loaded(100);
    let fx = update(&mut m, key('G'));
    settle(&mut m, fx);
    assert_eq!(m.table.selected, 99);
    // Taller: more rows fit, so the table scrolls back to stay full.
    let fx = update(&mut m, Msg::Resize(80, 60));
    assert!(fx.is_empty());
    assert_eq!(m.size, (80, 60));
    assert_eq!(m.table.scroll, 100 - layout::table_rows(&m));
    // Shorter: the selected row stays in view.
    update(&mut m, Msg::Resize(80, 10));
    let h = layout::table_rows(&m);
    assert!(
        m.table.scroll <= 99 && 99 < m.table.scroll + h,
        "{} + {h}",
        m.table.scroll
    );
    assert_eq!(m.table.selected, 99);
}

#[test]
fn paste_on_the_bare_table_does_nothing() {
    let mut m = loaded(3);
    let fx = update(&mut m, Msg::Paste("t001".into()));
    assert!(fx.is_empty());
    assert_eq!(m.table.filter.value(), "");
    assert!(!filtering(&m));
    assert_eq!(m.table.visible.len(), 3);
}

#[test]
fn pasting_into_the_filter_asks_for_the_newly_selected_tenants_detail() {
    let mut m = loaded(30);
    update(&mut m, key('/'));
    let fx = update(&mut m, Msg::Paste("t01".into()));
    assert_eq!(m.table.visible.len(), 10);
    assert_eq!(m.selected_slug().as_deref(), Some("t010"));
    assert_eq!(
        shows(&fx),
        vec!["t010"],
        "typing the same asks for it; a paste must too"
    );
}

#[test]
fn ctrl_c_while_filtering_quits_as_anywhere_else() {
    let mut m = loaded(3);
    update(&mut m, key('/'));
    typed(&mut m, "t0");
    let fx = quit_with(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Ok(Reply::Status(Box::new(status_with(1, 0)))),
    );
    assert!(fx.contains(&Effect::Quit));
    assert!(!filtering(&m));
}
