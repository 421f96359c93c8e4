//! The table's rows as the console changes them: each change keeps the selection on its
//! tenant and in view (as many rows as the layout says fit), and asks for the detail of
//! whoever is selected.

use super::effect::call;
use crate::engine::api::{Command, TenantSummary};
use crate::tui::layout;
use crate::tui::model::{Effect, Model, Pending};

/// Scroll so that the selected row stays in view and the table full.
pub(super) fn keep_in_view(m: &mut Model) {
    let h = layout::table_rows(m);
    m.table.keep_in_view(h);
}

/// Recompute which rows pass the filter, keeping the selection on the same tenant.
pub fn refilter(m: &mut Model) {
    m.table.refilter();
    keep_in_view(m);
}

/// After a filter keystroke or paste: typing narrows from the rows shown.
pub(super) fn refilter_typed(m: &mut Model) {
    m.table.refilter_typed();
    keep_in_view(m);
}

/// Sort the rows again (the sort key changed), keeping the selection.
pub(super) fn resort(m: &mut Model) {
    m.table.resort();
    keep_in_view(m);
}

/// Replace every row (a load finished), sorted by the current key; counts and filter follow.
pub fn set_rows(m: &mut Model, rows: Vec<TenantSummary>) {
    m.table.set_rows(rows);
    keep_in_view(m);
}

/// One tenant changed (or was added): put its new summary in place.
pub(super) fn upsert(m: &mut Model, s: TenantSummary) {
    if let Some(l) = m.load.loading.as_mut() {
        l.touched.insert(s.slug.clone(), Some(s.clone()));
    }
    m.table.upsert(s);
    keep_in_view(m);
}

pub(super) fn remove(m: &mut Model, slug: &str) {
    if let Some(l) = m.load.loading.as_mut() {
        l.touched.insert(slug.to_owned(), None);
    }
    if m.table.remove(slug) {
        keep_in_view(m);
    }
}

/// Clear the filter (text and status) and show every row again.
pub(super) fn clear_filter(m: &mut Model, fx: &mut Vec<Effect>) {
    m.table.clear_filter();
    refilter(m);
    want_detail(m, fx);
}

/// Ask for the selected tenant's detail (one request at a time; the last wish wins).
pub(super) fn want_detail(m: &mut Model, fx: &mut Vec<Effect>) {
    let Some(slug) = m.selected_slug() else {
        m.detail.view = None;
        return;
    };
    if m.asked(|p| matches!(p, Pending::Show(_))) {
        m.detail.wanted = Some(slug);
    } else {
        m.detail.wanted = None;
        call(
            m,
            fx,
            Pending::Show(slug.clone()),
            Command::ShowTenant { slug },
        );
    }
}

pub(super) fn move_to(m: &mut Model, to: usize, fx: &mut Vec<Effect>) {
    let before = m.table.selected;
    m.table.selected = to.min(m.table.visible.len().saturating_sub(1));
    keep_in_view(m);
    if m.table.selected != before || m.detail.view.is_none() {
        want_detail(m, fx);
    }
}

/// Select `slug`; one filtered out clears the filter, so the operator sees what was just
/// done.
pub(super) fn select_slug(m: &mut Model, slug: &str, fx: &mut Vec<Effect>) {
    if let Some(pos) = m.table.shown_at(slug) {
        move_to(m, pos, fx);
    } else {
        m.table.clear_filter();
        refilter(m);
        if let Some(pos) = m.table.shown_at(slug) {
            move_to(m, pos, fx);
        }
    }
}
