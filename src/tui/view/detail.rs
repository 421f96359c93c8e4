//! Draws the selected tenant's pane (its rows from the layout: the newest timeline entry
//! always in view at the bottom, the older ones scrolled with `[` and `]`, markers saying
//! how many are out of view, and how many rows of facts when they do not all fit) and its
//! MCP URL on a line of its own, never wrapped.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::tui::layout::cap::{Extent, cut_to};
use crate::tui::layout::detail::{max_back, one_row, rows};
use crate::tui::layout::timeline::window;
use crate::tui::layout::wrap;
use crate::tui::model::Model;

/// The pane in `area`, its rows as `extent` says.
pub fn draw(m: &Model, f: &mut Frame, area: Rect, extent: Extent) {
    let Some(d) = m.shown_detail() else {
        let text = if m.table.visible.is_empty() {
            ""
        } else {
            "…"
        };
        f.render_widget(
            Paragraph::new(text).block(Block::bordered().title(" Tenant ")),
            area,
        );
        return;
    };
    let inner = usize::from(area.height.saturating_sub(2));
    let width = area.width.saturating_sub(2);
    let mut r = rows(m, d, width, extent);
    let newest = r.entries.pop().unwrap_or_default();
    // The facts in the room the newest entry leaves; a marker says how many more there are.
    let mut lines = std::mem::take(&mut r.head);
    cut_to(m, &mut lines, inner.saturating_sub(newest.len()), width);
    let h: Vec<usize> = r.entries.iter().map(Vec::len).collect();
    let room = inner.saturating_sub(lines.len() + newest.len());
    let back = m.timeline_back().min(max_back(m, area, extent));
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
    let Some(url) = m.mcp_url() else { return };
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
