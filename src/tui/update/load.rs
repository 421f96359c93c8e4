//! Loading every tenant, page by page: a first small page to draw at once, then pages of
//! `PAGE` (no one message has to hold 100,000 tenants, on either side of the socket).
//! Events that arrive meanwhile win over the pages that come after them.

use std::collections::HashMap;

use super::effect::call;
use super::rows::{set_rows, want_detail};
use crate::engine::api::{Command, ListQuery, TenantSummary};
use crate::tui::model::{Effect, Loading, Model, Pending};

/// Rows asked for first, so the first frame shows tenants before the whole list arrives.
pub const FIRST_PAGE: usize = 200;
/// Rows per page after the first.
pub const PAGE: usize = 5_000;
/// A load that failed is tried again this long after.
pub(super) const RELOAD_AFTER_MS: i64 = 2_000;

/// Load every tenant afresh.
pub(super) fn start_load(m: &mut Model, fx: &mut Vec<Effect>) {
    m.load.generation += 1;
    let generation = m.load.generation;
    m.load.loading = Some(Loading {
        generation,
        ..Default::default()
    });
    ask_page(m, fx, generation, None, FIRST_PAGE);
}

fn ask_page(
    m: &mut Model,
    fx: &mut Vec<Effect>,
    generation: u64,
    after: Option<String>,
    limit: usize,
) {
    let query = ListQuery {
        after,
        limit: Some(limit),
        ..Default::default()
    };
    call(
        m,
        fx,
        Pending::Page { generation, limit },
        Command::ListTenants { query },
    );
}

/// A page came in: keep it, ask for the next, or finish the load.
pub(super) fn page_in(
    m: &mut Model,
    generation: u64,
    limit: usize,
    tenants: Vec<TenantSummary>,
    fx: &mut Vec<Effect>,
) {
    let loaded = m.load.loaded;
    let Some(loading) = m
        .load
        .loading
        .as_mut()
        .filter(|l| l.generation == generation)
    else {
        return; // A load that was started over.
    };
    let first = loading.rows.is_empty();
    let got = tenants.len();
    loading.rows.extend(tenants);
    let last = loading.rows.last().map(|r| r.slug.clone());
    let more = got == limit && last.is_some();
    if more {
        if first && !loaded {
            // Draw the first page now; the rest follows.
            let rows = with_touched(loading.rows.clone(), &loading.touched);
            let had_detail = m.detail.view.is_some();
            set_rows(m, rows);
            if !had_detail {
                want_detail(m, fx);
            }
        }
        ask_page(m, fx, generation, last, PAGE);
        return;
    }
    let Some(done) = m.load.loading.take() else {
        return;
    };
    let rows = with_touched(done.rows, &done.touched);
    m.load.loaded = true;
    let had_detail = m.detail.view.is_some();
    set_rows(m, rows);
    if !had_detail {
        want_detail(m, fx);
    }
}

/// A page failed: give this load up and start a fresh one a little later (on a tick).
/// Whether the page was of the load under way.
pub(super) fn page_failed(m: &mut Model, generation: u64) -> bool {
    if m.load
        .loading
        .as_ref()
        .is_none_or(|l| l.generation != generation)
    {
        return false;
    }
    m.load.loading = None;
    m.load.reload_at = Some(m.now + RELOAD_AFTER_MS);
    true
}

/// The pages, with what events said since the load began put over them.
fn with_touched(
    mut rows: Vec<TenantSummary>,
    touched: &HashMap<String, Option<TenantSummary>>,
) -> Vec<TenantSummary> {
    if touched.is_empty() {
        return rows;
    }
    rows.retain(|r| !touched.contains_key(&r.slug));
    rows.extend(touched.values().flatten().cloned());
    rows
}
