//! Where everything goes, decided from the model alone: `view` draws into these areas and
//! `update` pages and scrolls by them, so the two never disagree. The panes' rows are built
//! here too (the facts, the timeline, the provisioning, the help), since what they need
//! decides the layout. The table takes the rows
//! it needs, up to its share; the selected tenant's panes take the rest, and always at least
//! what they need to show every fact and the newest timeline entry (the table gives way).

pub mod cap;
pub mod detail;
pub mod details;
mod facts;
pub mod help;
pub mod integrations;
pub mod provisioning;
pub mod setup;
pub mod timeline;
pub mod wrap;

use ratatui::layout::{Constraint, Layout, Rect};

use crate::tui::model::Model;

/// The table's least height: borders, heading and two rows.
const MIN_TABLE: u16 = 5;
/// The flash line grows to this many rows for a long message.
const FLASH_ROWS: usize = 2;

pub struct ScreenAreas {
    pub head: Rect,
    pub body: Rect,
    pub flash: Rect,
    pub hints: Rect,
}

pub fn screen(m: &Model, area: Rect) -> ScreenAreas {
    let flash = u16::try_from(flash_rows(m, area.width).len()).unwrap_or(1);
    let [head, body, flash, hints] = area.layout(&Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(flash.max(1)),
        Constraint::Length(1),
    ]));
    ScreenAreas {
        head,
        body,
        flash,
        hints,
    }
}

/// The flash message in rows of the screen's width (one row, two for a long message).
pub fn flash_rows(m: &Model, width: u16) -> Vec<String> {
    let Some(f) = &m.flash else {
        return Vec::new();
    };
    let room = flash_room(width);
    let mut rows = wrap::rows_breaking_words(&f.text, room);
    if rows.len() > FLASH_ROWS {
        let rest = rows.split_off(FLASH_ROWS - 1).join(" ");
        rows.push(wrap::fit(&rest, room));
    }
    rows
}

/// Whether `text` shows whole in the flash line of a screen `width` wide.
pub fn flash_fits(text: &str, width: u16) -> bool {
    wrap::rows_breaking_words(text, flash_room(width)).len() <= FLASH_ROWS
}

fn flash_room(width: u16) -> usize {
    usize::from(width).saturating_sub(1)
}

/// The tenants screen: the table, the selected tenant's two panes, and its MCP URL's line;
/// and how the tenant's pane shows its rows.
pub struct TenantsAreas {
    pub table: Rect,
    pub detail: Rect,
    pub provisioning: Rect,
    pub url: Option<Rect>,
    pub extent: cap::Extent,
}

pub fn tenants(m: &Model, body: Rect) -> TenantsAreas {
    let url = m.mcp_url().is_some() && body.height >= MIN_TABLE + 4;
    let url_h = u16::from(url);
    let (left, right) = panes(Rect { height: 10, ..body });
    let inner = |r: Rect| r.width.saturating_sub(2);
    let right_need = provisioning::provisioning_rows(m, inner(right), cap::Extent::Pane).len();
    let need = |extent| {
        let rows = detail::rows_needed(m, inner(left), extent).max(right_need);
        u16::try_from(rows.saturating_add(2)).unwrap_or(u16::MAX)
    };
    let wanted = u16::try_from(m.table.visible.len().saturating_add(3))
        .unwrap_or(u16::MAX)
        .max(MIN_TABLE);
    let share = u16::try_from(u32::from(body.height) * 11 / 20)
        .unwrap_or(u16::MAX)
        .max(MIN_TABLE);
    // Each integration's block in full when that leaves the table its rows, else in brief.
    let full = need(cap::Extent::Pane);
    let left_over = body
        .height
        .saturating_sub(url_h.saturating_add(wanted.min(share)));
    let extent = if full <= left_over {
        cap::Extent::Pane
    } else {
        cap::Extent::Brief
    };
    let need = need(extent);
    let room = body.height.saturating_sub(url_h.saturating_add(need));
    let table = wanted.min(share.min(room).max(MIN_TABLE)).min(body.height);
    let [table, lower, url_line] = body.layout(&Layout::vertical([
        Constraint::Length(table),
        Constraint::Min(0),
        Constraint::Length(url_h),
    ]));
    let (detail, provisioning) = panes(lower);
    TenantsAreas {
        table,
        detail,
        provisioning,
        url: url.then_some(url_line),
        extent,
    }
}

/// The selected tenant's pane on the left, its provisioning on the right.
fn panes(area: Rect) -> (Rect, Rect) {
    let [left, right] = area.layout(&Layout::horizontal([
        Constraint::Percentage(55),
        Constraint::Percentage(45),
    ]));
    (left, right)
}

/// The whole screen of the model's size.
fn whole(m: &Model) -> Rect {
    Rect::new(0, 0, m.size.0, m.size.1)
}

/// Data rows the table shows now (what page up and page down move by), at least one.
pub fn table_rows(m: &Model) -> usize {
    let body = screen(m, whole(m)).body;
    usize::from(tenants(m, body).table.height.saturating_sub(3)).max(1)
}

/// How far back the selected tenant's timeline can be scrolled.
pub fn timeline_max_back(m: &Model) -> usize {
    let body = screen(m, whole(m)).body;
    let a = tenants(m, body);
    detail::max_back(m, a.detail, a.extent)
}

/// How far the help can be scrolled: to its last row at the bottom of its box.
/// How far the set-up panel scrolls, and its page: the rows that do not fit its inside.
pub fn setup_scroll(m: &Model) -> (u16, u16) {
    let body = screen(m, whole(m)).body;
    let rows = setup::rows(m, usize::from(body.width.saturating_sub(2))).len();
    let shown = usize::from(body.height.saturating_sub(2));
    let end = u16::try_from(rows.saturating_sub(shown)).unwrap_or(u16::MAX);
    (end, u16::try_from(shown.max(1)).unwrap_or(1))
}

pub fn help_max_scroll(m: &Model) -> u16 {
    let body = screen(m, whole(m)).body;
    let rows = help::help_rows(m, body.width.saturating_sub(2), &|_, _| false).len();
    let shown = usize::from(body.height.saturating_sub(2));
    u16::try_from(rows.saturating_sub(shown)).unwrap_or(u16::MAX)
}
