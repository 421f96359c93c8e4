//! The selected tenant's pane: its facts (status, reason, what can be done, account, token,
//! link, scopes) and its timeline. The newest entry is always in view at the bottom; the
//! older ones scroll with `[` and `]`, and markers say how many are out of view. Its MCP URL
//! gets a line of its own across the screen, never wrapped.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::countdown;
use super::wrap::{self, hanging};
use crate::domain::before_consent;
use crate::domain::model::{ExpectedAccount, LinkState};
use crate::engine::api::TenantView;
use crate::tui::model::Model;
use crate::tui::style;

/// The detail held for the selected tenant, if it is the selected one's.
pub fn shown(m: &Model) -> Option<&TenantView> {
    let slug = m.selected_row().map(|r| r.slug.as_str())?;
    m.detail.as_ref().filter(|d| d.slug == slug)
}

/// The selected tenant's MCP URL (from its detail, else from its row).
pub fn mcp_url(m: &Model) -> Option<&str> {
    shown(m)
        .and_then(|d| d.mcp_url.as_deref())
        .or_else(|| m.selected_row().and_then(|r| r.mcp_url.as_deref()))
}

/// How many entries back the selected tenant's timeline is scrolled.
pub fn back(m: &Model) -> usize {
    match (&m.timeline_back, shown(m)) {
        (Some((slug, n)), Some(d)) if *slug == d.slug => *n,
        _ => 0,
    }
}

/// The pane's content as rows: the facts, then the timeline, one list of rows per entry.
struct Rows {
    head: Vec<Line<'static>>,
    entries: Vec<Vec<Line<'static>>>,
}

fn kv(m: &Model, k: &str, v: &str, style: Style, width: u16) -> Vec<Line<'static>> {
    let key = Span::styled(format!("{k:<9}"), m.theme.dim());
    hanging(key, v, style, usize::from(width))
}

fn rows(m: &Model, d: &TenantView, width: u16) -> Rows {
    let t = m.theme;
    let w = usize::from(width);
    let status = Span::styled(
        format!("{}  ", style::tenant_status(d.status, d.failure)),
        t.status(d.status),
    );
    let mut head = hanging(status, &d.display_name, Style::new(), w);
    if let Some(r) = &d.reason {
        head.extend(hanging(Span::styled("✖ ", t.error()), r, t.error(), w));
    }
    if before_consent::failed_before_consent(d.status, d.provisioning.is_some()) {
        let until = before_consent::link_works_until(
            d.links
                .iter()
                .filter(|l| l.expires_ms > m.now)
                .map(|l| (l.state, l.expires_ms)),
        );
        let text = before_consent::instead(until, "n");
        head.extend(kv(m, "next", &text, t.warn(), width));
    }
    match (&d.google_email, &d.expected_account) {
        (Some(e), _) => head.extend(kv(m, "account", e, Style::new(), width)),
        (None, Some(x)) => {
            let v = match x {
                ExpectedAccount::Email(e) => e.clone(),
                ExpectedAccount::Domain(dm) => format!("an account of {dm}"),
            };
            head.extend(kv(m, "expects", &v, Style::new(), width));
        }
        _ => {}
    }
    if let Some(p) = &d.pending_consent {
        let v = format!("◆ consent by {}: A approves, X rejects", p.account);
        head.extend(kv(m, "waiting", &v, t.group(style::Group::Approval), width));
    }
    if let Some(tok) = &d.token {
        let (v, s) = token(m, tok);
        head.extend(kv(m, "token", &v, s, width));
    }
    if let Some(l) = d
        .links
        .iter()
        .rev()
        .find(|l| l.state == LinkState::Active)
        .or(d.links.last())
    {
        let when = if l.state == LinkState::Active {
            format!("expires {}", countdown(m.now, l.expires_ms))
        } else {
            l.state.as_str().to_owned()
        };
        let v = format!(
            "{} {when}, opened {}×, continued {}×",
            l.id, l.open_count, l.continue_count
        );
        head.extend(kv(m, "link", &v, Style::new(), width));
    }
    if !d.granted_scopes.is_empty() {
        let missing =
            crate::domain::consent::missing_scopes(&d.requested_scopes, &d.granted_scopes);
        let n = d.requested_scopes.len();
        let v = if missing.is_empty() {
            format!("✔ {n} of {n} granted")
        } else {
            format!("✖ missing {}", missing.join(" "))
        };
        head.extend(kv(m, "scopes", &v, Style::new(), width));
    }
    let entries = d.events.iter().map(|e| entry(m, e, width)).collect();
    Rows { head, entries }
}

/// A timeline entry as its time and its text on one row.
fn entry(m: &Model, e: &crate::engine::api::EventView, width: u16) -> Vec<Line<'static>> {
    let at = e.at.get(11..19).unwrap_or(&e.at).to_owned();
    let lead = Span::styled(format!("{at}  "), m.theme.dim());
    hanging(lead, &e.detail, Style::new(), usize::from(width))
}

/// The same on one row, cut visibly.
fn one_row(m: &Model, e: &crate::engine::api::EventView, width: u16) -> Line<'static> {
    let mut row = entry(m, e, u16::MAX);
    let line = row.pop().unwrap_or_default();
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    Line::from(wrap::fit(&text, usize::from(width)))
}

fn token(m: &Model, tok: &crate::engine::api::TokenView) -> (String, Style) {
    use crate::domain::health::Health;
    let t = m.theme;
    let expiry = tok
        .testing_expires_ms
        .map(|at| format!(", Testing app: ends {}", countdown(m.now, at)))
        .unwrap_or_default();
    match tok.health {
        Some(Health::Healthy) => (format!("✔ healthy{expiry}"), t.ok()),
        Some(Health::NeedsReconsent) => (
            "✖ refused by Google: needs a new consent".to_owned(),
            t.error(),
        ),
        Some(Health::Transient) => (format!("… no verdict yet (Google busy){expiry}"), t.dim()),
        Some(Health::ClientError) => ("✖ our OAuth client was refused".to_owned(), t.error()),
        None => (format!("not checked yet (h checks){expiry}"), t.dim()),
    }
}

/// Rows the pane needs inside its borders at `width`: every fact, the newest entry, and a
/// row for the older ones (or the marker that says they are there).
pub fn rows_needed(m: &Model, width: u16) -> usize {
    let Some(d) = shown(m) else { return 1 };
    let r = rows(m, d, width);
    let newest = r.entries.last().map_or(0, Vec::len);
    r.head.len() + newest + usize::from(r.entries.len() > 1)
}

/// Which of the older entries show in `room` rows, scrolled `back` entries from the newest,
/// and whether a marker row says some are hidden before or after them (markers included,
/// never more than `room` rows).
struct Window {
    start: usize,
    end: usize,
    earlier: bool,
    later: bool,
}

fn window(heights: &[usize], back: usize, room: usize) -> Window {
    if room == 1 && !heights.is_empty() {
        return one_row_window(heights, back);
    }
    let end = heights.len() - back.min(heights.len());
    let none = Window {
        start: end,
        end,
        earlier: false,
        later: false,
    };
    if room == 0 || end == 0 {
        return none;
    }
    let fill = |budget: usize| {
        let (mut start, mut used) = (end, 0);
        while start > 0 && used + heights[start - 1] <= budget {
            used += heights[start - 1];
            start -= 1;
        }
        (start, used)
    };
    // A marker row says entries are hidden after the window, unless it leaves no room for
    // one entry.
    let mut later = end < heights.len();
    let (mut start, mut used) = fill(room - usize::from(later));
    if start == end && later {
        later = false;
        (start, used) = fill(room);
    }
    if start == end {
        // Not one entry fits whole: the nearest one shows, cut to the room (a marker alone
        // would hide the newest of the older entries for good).
        return Window {
            start: end - 1,
            earlier: end > 1 && room >= 2,
            ..none
        };
    }
    // The marker of those before takes a row from the window, but leaves it one entry.
    let budget = room - usize::from(later);
    while start > 0 && start + 1 < end && used + 1 > budget {
        used -= heights[start];
        start += 1;
    }
    Window {
        start,
        end,
        earlier: start > 0 && used < budget,
        later,
    }
}

/// A window of one row: unscrolled, the newest of the older entries when it fits, else a
/// marker that says how to scroll back; scrolled back by `k`, the `k`-th newest, cut to the
/// row if it must be.
fn one_row_window(heights: &[usize], back: usize) -> Window {
    let n = heights.len();
    if back == 0 {
        return if heights[n - 1] == 1 {
            Window {
                start: n - 1,
                end: n,
                earlier: false,
                later: false,
            }
        } else {
            Window {
                start: n,
                end: n,
                earlier: true,
                later: false,
            }
        };
    }
    let start = n - back.min(n);
    Window {
        start,
        end: start + 1,
        earlier: false,
        later: false,
    }
}

/// Rows for the older entries (all but the newest) in a pane of `inner` rows.
fn older_room(r: &Rows, inner: usize) -> usize {
    let newest = r.entries.last().map_or(0, Vec::len);
    inner.saturating_sub(r.head.len() + newest)
}

fn heights(r: &Rows) -> Vec<usize> {
    let n = r.entries.len().saturating_sub(1);
    r.entries[..n].iter().map(Vec::len).collect()
}

/// The farthest back the timeline scrolls in the pane `area`: until its first entry shows.
pub fn max_back(m: &Model, area: Rect) -> usize {
    let Some(d) = shown(m) else { return 0 };
    let r = rows(m, d, area.width.saturating_sub(2));
    let h = heights(&r);
    let room = older_room(&r, usize::from(area.height.saturating_sub(2)));
    farthest_back(&h, room)
}

/// The least `back` at which the window of `room` rows shows the first entry.
fn farthest_back(h: &[usize], room: usize) -> usize {
    if window(h, 0, room).start == 0 {
        return 0;
    }
    if room == 1 {
        // One entry a step, back to the first.
        return h.len();
    }
    // Back until the first entries fill the room beside the marker of the later ones (at
    // least the first entry, cut if it must be).
    let mut used = 0;
    let fit = h
        .iter()
        .take_while(|x| {
            used += **x;
            used < room
        })
        .count();
    h.len() - fit.max(1)
}

pub fn draw(m: &Model, f: &mut Frame, area: Rect) {
    let Some(d) = shown(m) else {
        let text = if m.visible.is_empty() { "" } else { "…" };
        f.render_widget(
            Paragraph::new(text).block(Block::bordered().title(" Tenant ")),
            area,
        );
        return;
    };
    let inner = usize::from(area.height.saturating_sub(2));
    let mut r = rows(m, d, area.width.saturating_sub(2));
    let newest = r.entries.pop().unwrap_or_default();
    let mut lines = Vec::new();
    let keep = inner.saturating_sub(newest.len());
    lines.extend(r.head.drain(..).take(keep));
    let h: Vec<usize> = r.entries.iter().map(Vec::len).collect();
    let room = inner.saturating_sub(lines.len() + newest.len());
    let back = back(m).min(max_back(m, area));
    let win = window(&h, back, room);
    let dim = m.theme.dim();
    if win.earlier {
        let text = format!("⋯ {} earlier  [ scrolls back", win.start);
        lines.push(Line::from(Span::styled(text, dim)));
    }
    let whole: usize = h[win.start..win.end].iter().sum();
    if whole <= room {
        lines.extend(r.entries[win.start..win.end].iter().flatten().cloned());
    } else if let Some(e) = d.events.get(win.start) {
        // Scrolled back to an entry taller than the room: its one row, cut visibly.
        lines.push(one_row(m, e, area.width.saturating_sub(2)));
    }
    if win.later {
        let text = format!("⋯ {} later  ] scrolls on", h.len() - win.end);
        lines.push(Line::from(Span::styled(text, dim)));
    }
    lines.extend(newest);
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(format!(" {} ", d.slug))),
        area,
    );
}

/// The MCP URL on a line of its own, whole when it fits (with its label when that fits
/// too), else cut visibly; `c` copies it whole.
pub fn url_line(m: &Model, f: &mut Frame, area: Rect) {
    let Some(url) = mcp_url(m) else { return };
    let t = m.theme;
    let room = usize::from(area.width).saturating_sub(1);
    let label = "MCP URL  ";
    let hint = "   c copies it";
    let mut spans = vec![Span::raw(" ")];
    let w = wrap::width(url);
    if w + label.len() <= room {
        spans.push(Span::styled(label, t.dim()));
        spans.push(Span::styled(url.to_owned(), t.ok()));
        if w + label.len() + hint.len() <= room {
            spans.push(Span::styled(hint, t.dim()));
        }
    } else {
        spans.push(Span::styled(wrap::fit(url, room), t.ok()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn scrolling_back_stops_where_the_first_entry_shows(
            h in proptest::collection::vec(1usize..4, 1..30),
            room in 1usize..12,
        ) {
            let back = farthest_back(&h, room);
            prop_assert_eq!(window(&h, back, room).start, 0);
            if back > 0 {
                prop_assert!(window(&h, back - 1, room).start > 0);
            }
            // Markers included, the window never takes more than its room.
            for b in 0..=h.len() {
                let w = window(&h, b, room);
                // An entry taller than the room is drawn cut to one row.
                let whole: usize = h[w.start..w.end].iter().sum();
                let rows = if whole <= room { whole } else { 1 }
                    + usize::from(w.earlier)
                    + usize::from(w.later);
                prop_assert!(rows <= room, "back {} {:?}", b, (w.start, w.end, w.earlier, w.later));
            }
        }
    }
}
