//! The tenants table: every row in brief, sorted, which of them pass the filter, and the
//! selection. Rows are kept by small steps (a row out, a row in, indices shifted), never
//! sorted or filtered afresh for one change, so the table costs the same with 100,000
//! tenants as with ten. How many rows fit on screen is the layout's to say: the update
//! passes it in.

use std::cmp::Ordering;
use std::collections::HashMap;

use tui_input::Input;

use crate::domain::model::TenantStatus;
use crate::engine::api::{SortKey, TenantSummary};
use crate::time::Millis;
use crate::tui::style::{self, Group};

#[derive(Debug)]
pub struct Table {
    /// Every tenant in brief, sorted by `sort`.
    pub rows: Vec<TenantSummary>,
    /// Which rows pass the filter, in order (indices into `rows`).
    pub visible: Vec<usize>,
    /// Index into `visible`.
    pub selected: usize,
    /// The first visible row drawn.
    pub scroll: usize,
    pub filter: Input,
    /// Only these statuses (from `:status`).
    pub status_filter: Vec<TenantStatus>,
    pub sort: SortKey,
    /// Rows by status group (`Group::index`), kept as rows come and go.
    pub group_counts: [usize; Group::ALL.len()],
    /// The filter text and statuses `visible` was computed for (typing narrows from it).
    pub visible_for: (String, Vec<TenantStatus>),
}

impl Default for Table {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            visible: Vec::new(),
            selected: 0,
            scroll: 0,
            filter: Input::default(),
            status_filter: Vec::new(),
            sort: SortKey::Slug,
            group_counts: [0; Group::ALL.len()],
            visible_for: (String::new(), Vec::new()),
        }
    }
}

/// The list being loaded page by page, and whether it has arrived.
#[derive(Debug, Default)]
pub struct Load {
    /// Whether the full list has arrived (the first page comes first).
    pub loaded: bool,
    /// The list being loaded, when one is.
    pub loading: Option<Loading>,
    pub generation: u64,
    /// When to load the list again after a failed load.
    pub reload_at: Option<Millis>,
}

/// A list arriving page by page. Events that arrive meanwhile are newer than the pages
/// (or as new): they are kept aside and win over the pages when the last one is in.
#[derive(Debug, Default)]
pub struct Loading {
    pub generation: u64,
    pub rows: Vec<TenantSummary>,
    /// Slug → its summary from an event, or `None`: removed.
    pub touched: HashMap<String, Option<TenantSummary>>,
}

fn cmp_rows(a: &TenantSummary, b: &TenantSummary, sort: SortKey) -> Ordering {
    match sort {
        SortKey::Slug => a.slug.cmp(&b.slug),
        SortKey::Name => a
            .display_name
            .to_lowercase()
            .cmp(&b.display_name.to_lowercase())
            .then_with(|| a.slug.cmp(&b.slug)),
        SortKey::Status => a.status.cmp(&b.status).then_with(|| a.slug.cmp(&b.slug)),
        SortKey::Changed => b
            .updated_ms
            .cmp(&a.updated_ms)
            .then_with(|| a.slug.cmp(&b.slug)),
    }
}

fn sort_rows(rows: &mut [TenantSummary], sort: SortKey) {
    match sort {
        // One lowercase key per row, not one per comparison.
        SortKey::Name => {
            rows.sort_by_cached_key(|r| (r.display_name.to_lowercase(), r.slug.clone()))
        }
        // Slugs are unique: no two rows compare equal, so stability buys nothing.
        _ => rows.sort_unstable_by(|a, b| cmp_rows(a, b, sort)),
    }
}

/// Whether `hay` contains `needle` (already lowercase), ignoring case; no allocation for
/// ASCII text, which slugs, emails and most names are.
fn contains_folded(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if hay.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        return needle.is_ascii()
            && h.len() >= n.len()
            && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    hay.to_lowercase().contains(needle)
}

fn passes(status_filter: &[TenantStatus], r: &TenantSummary, needle: &str) -> bool {
    if !status_filter.is_empty() && !status_filter.contains(&r.status) {
        return false;
    }
    if needle.is_empty() {
        return true;
    }
    let hit = |s: &str| contains_folded(s, needle);
    hit(&r.slug)
        || hit(&r.display_name)
        || r.google_email.as_deref().is_some_and(hit)
        || r.reason.as_deref().is_some_and(hit)
}

impl Table {
    pub fn selected_row(&self) -> Option<&TenantSummary> {
        self.visible
            .get(self.selected)
            .and_then(|i| self.rows.get(*i))
    }

    pub fn selected_slug(&self) -> Option<String> {
        self.selected_row().map(|r| r.slug.clone())
    }

    /// Where a tenant's row is: a binary search when sorted by slug, else a scan.
    pub fn row_of(&self, slug: &str) -> Option<usize> {
        if self.sort == SortKey::Slug {
            self.rows
                .binary_search_by(|r| r.slug.as_str().cmp(slug))
                .ok()
        } else {
            self.rows.iter().position(|r| r.slug == slug)
        }
    }

    /// Where a tenant is among the rows shown.
    pub fn shown_at(&self, slug: &str) -> Option<usize> {
        self.visible.iter().position(|i| self.rows[*i].slug == slug)
    }

    /// Whether a filter (text or status) hides rows.
    pub fn filtered(&self) -> bool {
        !self.filter.value().is_empty() || !self.status_filter.is_empty()
    }

    pub fn clear_filter(&mut self) {
        self.filter = Input::default();
        self.status_filter.clear();
    }

    /// Recompute which rows pass the filter, keeping the selection on the same tenant.
    pub fn refilter(&mut self) {
        let keep = self.selected_slug();
        self.refilter_keeping(keep);
    }

    /// After a filter keystroke: when the text only grew (typing), only the rows shown can
    /// still pass, so only they are looked at.
    pub fn refilter_typed(&mut self) {
        let needle = self.filter.value().to_lowercase();
        let (was, statuses) = &self.visible_for;
        if !was.is_empty() && needle.contains(was.as_str()) && *statuses == self.status_filter {
            let keep = self.selected_slug();
            let (rows, sf) = (&self.rows, &self.status_filter);
            self.visible.retain(|i| passes(sf, &rows[*i], &needle));
            self.visible_for.0 = needle;
            self.reselect(keep);
        } else {
            self.refilter();
        }
    }

    /// The same, when the rows changed under the selection: `keep` is who was selected.
    fn refilter_keeping(&mut self, keep: Option<String>) {
        let needle = self.filter.value().to_lowercase();
        let sf = &self.status_filter;
        let visible: Vec<usize> = if needle.is_empty() && sf.is_empty() {
            (0..self.rows.len()).collect()
        } else {
            (0..self.rows.len())
                .filter(|i| passes(sf, &self.rows[*i], &needle))
                .collect()
        };
        self.visible = visible;
        self.visible_for = (needle, self.status_filter.clone());
        self.reselect(keep);
    }

    /// Put the selection back on `keep` if it is still shown, else keep its place.
    fn reselect(&mut self, keep: Option<String>) {
        let at = keep
            .and_then(|s| self.row_of(&s))
            .and_then(|ri| self.visible.binary_search(&ri).ok());
        self.selected = at
            .unwrap_or(self.selected)
            .min(self.visible.len().saturating_sub(1));
    }

    /// Scroll so that the selected row is among the `height` rows drawn, and the table
    /// stays full.
    pub fn keep_in_view(&mut self, height: usize) {
        if self.selected < self.scroll {
            self.scroll = self.selected;
        } else if self.selected >= self.scroll + height {
            self.scroll = self.selected + 1 - height;
        }
        let max = self.visible.len().saturating_sub(height);
        self.scroll = self.scroll.min(max);
    }

    /// Sort the rows again (the sort key changed), keeping the selection.
    pub fn resort(&mut self) {
        let keep = self.selected_slug();
        let mut rows = std::mem::take(&mut self.rows);
        sort_rows(&mut rows, self.sort);
        self.rows = rows;
        self.refilter_keeping(keep);
    }

    /// Replace every row (a load finished), sorted by the current key; counts and filter
    /// follow.
    pub fn set_rows(&mut self, mut rows: Vec<TenantSummary>) {
        let keep = self.selected_slug();
        sort_rows(&mut rows, self.sort);
        self.group_counts = [0; Group::ALL.len()];
        for r in &rows {
            self.group_counts[style::group(r.status).index()] += 1;
        }
        self.rows = rows;
        self.refilter_keeping(keep);
    }

    /// Take row `i` out, keeping `visible` and the counts right: O(shown rows), no refilter.
    fn take_row(&mut self, i: usize) -> TenantSummary {
        let old = self.rows.remove(i);
        let g = style::group(old.status).index();
        self.group_counts[g] = self.group_counts[g].saturating_sub(1);
        if let Ok(p) = self.visible.binary_search(&i) {
            self.visible.remove(p);
        }
        for v in &mut self.visible {
            if *v > i {
                *v -= 1;
            }
        }
        old
    }

    /// Put a row in its sorted place, shown if it passes the filter.
    fn put_row(&mut self, s: TenantSummary) {
        let at = self
            .rows
            .partition_point(|r| cmp_rows(r, &s, self.sort) == Ordering::Less);
        self.group_counts[style::group(s.status).index()] += 1;
        let shown = passes(&self.status_filter, &s, &self.visible_for.0);
        self.rows.insert(at, s);
        for v in &mut self.visible {
            if *v >= at {
                *v += 1;
            }
        }
        if shown {
            let p = self.visible.partition_point(|v| *v < at);
            self.visible.insert(p, at);
        }
    }

    /// One tenant changed (or was added): put its new summary in place.
    pub fn upsert(&mut self, s: TenantSummary) {
        let keep = self.selected_slug();
        if let Some(i) = self.row_of(&s.slug) {
            self.take_row(i);
        }
        self.put_row(s);
        self.reselect(keep);
    }

    /// One tenant is gone; whether it had a row.
    pub fn remove(&mut self, slug: &str) -> bool {
        let keep = self.selected_slug();
        let Some(i) = self.row_of(slug) else {
            return false;
        };
        self.take_row(i);
        self.reselect(keep);
        true
    }

    /// The sort key after this one (`s` cycles through them).
    pub fn next_sort(&self) -> SortKey {
        match self.sort {
            SortKey::Slug => SortKey::Status,
            SortKey::Status => SortKey::Changed,
            SortKey::Changed => SortKey::Name,
            SortKey::Name => SortKey::Slug,
        }
    }
}
