//! The full view of a tenant (`d`): every fact, its provisioning and its whole
//! timeline, nothing capped or cut, as rows of the view's width; where it goes on the
//! screen, and how far it scrolls (to its last row at the bottom of its box).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use super::cap::Extent;
use super::{detail, provisioning, screen, whole, wrap};
use crate::tui::model::Model;

/// The box with the rows, and the MCP URL's line under it (as on the tenants screen).
pub struct DetailsAreas {
    pub pane: Rect,
    pub url: Option<Rect>,
}

pub fn areas(m: &Model, body: Rect) -> DetailsAreas {
    let url = m.mcp_url().is_some() && body.height >= 6;
    let [pane, url_line] = body.layout(&Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(u16::from(url)),
    ]));
    DetailsAreas {
        pane,
        url: url.then_some(url_line),
    }
}

/// Every row of the tenant in view at `width` columns: its facts, its provisioning, its
/// timeline from the first entry to the newest.
pub fn rows(m: &Model, width: u16) -> Vec<Line<'static>> {
    let Some(d) = m.shown_detail() else {
        return vec![Line::from(Span::styled("loading…", m.theme.dim()))];
    };
    let r = detail::rows(m, d, width, Extent::Whole);
    let mut out = r.head;
    out.push(Line::from(""));
    let title = super::integrations::provisioning_title(Some(d));
    out.extend(heading(m, &title, width));
    out.extend(provisioning::provisioning_rows(m, width, Extent::Whole));
    out.push(Line::from(""));
    let n = r.entries.len();
    let s = if n == 1 { "y" } else { "ies" };
    let timeline = format!("Timeline, {n} entr{s}, the newest last");
    out.extend(heading(m, &timeline, width));
    out.extend(r.entries.into_iter().flatten());
    out
}

/// A heading in rows of `width` columns, wrapped like the rest (nothing of it cut).
fn heading(m: &Model, text: &str, width: u16) -> Vec<Line<'static>> {
    wrap::rows_breaking_words(text, usize::from(width))
        .into_iter()
        .map(|r| Line::from(Span::styled(r, m.theme.title())))
        .collect()
}

/// Rows inside the box of the full view.
fn inner(m: &Model) -> (u16, usize) {
    let pane = areas(m, screen(m, whole(m)).body).pane;
    (
        pane.width.saturating_sub(2),
        usize::from(pane.height.saturating_sub(2)),
    )
}

/// How many rows the full view has, and how many of them show at once.
pub fn extent(m: &Model) -> (usize, usize) {
    let (width, shown) = inner(m);
    (rows(m, width).len(), shown)
}

/// How far the full view scrolls: until its last row is at the bottom of its box.
pub fn max_scroll(m: &Model) -> usize {
    let (all, shown) = extent(m);
    all.saturating_sub(shown)
}

/// How many rows a page moves (all but one that stays in view), at least one.
pub fn page(m: &Model) -> usize {
    inner(m).1.saturating_sub(1).max(1)
}
