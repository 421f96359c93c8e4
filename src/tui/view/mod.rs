//! `view(&Model, &mut Frame)`: draws the console from the model and reads nothing else.
//! Only the rows that fit are drawn, so the table costs the same with 100,000 tenants as
//! with ten.

mod detail;
pub mod layout;
mod panes;
mod screens;
mod wrap;

pub use detail::mcp_url;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

use super::keymap::{self, Context};
use super::model::{Level, Mode, Model, Screen};
use super::style::{self, Theme};
use crate::engine::api::SortKey;
use crate::time::Millis;

pub fn view(m: &Model, f: &mut Frame) {
    let layout::ScreenAreas {
        head,
        body,
        flash,
        hints,
    } = layout::screen(m, f.area());
    header(m, f, head);
    match m.screen() {
        Screen::Setup => screens::setup(m, f, body),
        Screen::Tenants => tenants(m, f, body),
        Screen::Link(slug) => screens::link(m, f, body, slug),
        Screen::Form(form) => {
            tenants(m, f, body);
            screens::form(m, f, body, form);
        }
        Screen::Help => screens::help(m, f, body),
    }
    if let Some(c) = &m.confirm {
        screens::confirm(m, f, body, &c.text);
    }
    flash_line(m, f, flash);
    if let Some(p) = &m.palette {
        screens::palette(m, f, hints, body, p);
    } else if m.filtering {
        filter_line(m, f, hints);
    } else {
        hint_bar(m, f, hints);
    }
}

fn context(m: &Model) -> Context {
    if m.confirm.is_some() {
        return Context::Confirm;
    }
    match m.screen() {
        Screen::Setup => Context::Setup,
        Screen::Tenants => Context::Tenants,
        Screen::Link(_) => Context::Link,
        Screen::Form(_) => Context::Form,
        Screen::Help => Context::Help,
    }
}

/// "in 6d 23h", "in 4m 10s", "now".
pub fn countdown(now: Millis, at: Millis) -> String {
    let s = (at - now) / 1000;
    if s <= 0 {
        return "now".into();
    }
    let (d, h, mi, se) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    if d > 0 {
        format!("in {d}d {h}h")
    } else if h > 0 {
        format!("in {h}h {mi}m")
    } else if mi > 0 {
        format!("in {mi}m {se}s")
    } else {
        format!("in {se}s")
    }
}

fn header(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let mode = match &m.setup.mode {
        Mode::Owner => "owner (quit stops the listener)".to_owned(),
        Mode::Attached { .. } if m.lost.is_some() => "owner gone: reconnecting…".to_owned(),
        Mode::Attached { pid } => format!("attached to pid {pid}"),
    };
    let p = &m.provisioner;
    let prov = if p.disabled.is_some() {
        Span::styled("provisioner ⊘ disabled", t.warn())
    } else if p.running {
        let reach = match p.blaxel_reachable {
            Some(false) => ", Blaxel NOT answering",
            _ => "",
        };
        let style = if p.blaxel_reachable == Some(false) {
            t.error()
        } else {
            t.ok()
        };
        Span::styled(
            format!(
                "provisioner ● {} in flight, {} retrying{reach}",
                p.in_flight, p.retrying
            ),
            style,
        )
    } else {
        Span::styled("provisioner not here", t.dim())
    };
    let ws = p
        .workspace
        .as_deref()
        .map(|w| format!("ws {w}  "))
        .unwrap_or_default();
    let mut line1 = vec![
        Span::styled(" mcp-onboard  ", t.title()),
        Span::raw(ws),
        Span::raw(format!("{}  ", m.setup.public_url)),
        Span::styled(
            format!("{mode}  "),
            if m.lost.is_some() { t.error() } else { t.dim() },
        ),
    ];
    let used: usize = line1.iter().map(|s| s.content.chars().count()).sum();
    // The provisioner goes on the first line when there is room, else on the second.
    let wide = used + prov.content.chars().count() <= usize::from(area.width);
    if wide {
        line1.push(prov.clone());
    }
    let line1 = Line::from(line1);
    let mut spans = vec![Span::raw(format!(" tenants {}", m.rows.len()))];
    // Google refusing our client concerns every tenant: said first, in red.
    if m.status.as_ref().is_some_and(|s| s.health_alarm.is_some()) {
        spans.push(Span::styled("   ⚠ token checks paused", t.error()));
    }
    let counts = m.counts();
    // With room, each count says what it is; on a narrow terminal the glyphs do.
    let long: usize = counts.iter().map(|(g, _)| g.label().len() + 8).sum();
    let labels = long + 14 <= usize::from(area.width);
    for (g, n) in counts {
        spans.push(Span::raw("   "));
        let text = if labels {
            format!("{} {} {n}", g.glyph(), g.label())
        } else {
            format!("{} {n}", g.glyph())
        };
        spans.push(Span::styled(text, t.group(g)));
    }
    if !m.loaded {
        spans.push(Span::styled("   (loading…)", t.dim()));
    }

    if !wide {
        spans.push(Span::raw("   "));
        spans.push(prov);
    }
    f.render_widget(Paragraph::new(vec![line1, Line::from(spans)]), area);
}

fn sort_name(s: SortKey) -> &'static str {
    match s {
        SortKey::Slug => "slug",
        SortKey::Name => "name",
        SortKey::Status => "status",
        SortKey::Changed => "last change",
    }
}

fn tenants(m: &Model, f: &mut Frame, area: Rect) {
    let a = layout::tenants(m, area);
    table(m, f, a.table);
    if a.detail.height >= 3 {
        detail::draw(m, f, a.detail);
        panes::provisioning(m, f, a.provisioning);
    }
    if let Some(url) = a.url {
        detail::url_line(m, f, url);
    }
}

fn table(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let wide = area.width >= 100;
    let mut title = format!(" Tenants ─ sorted by {} ", sort_name(m.sort));
    if !m.filter.value().is_empty() {
        title.push_str(&format!("─ filter: /{} ", m.filter.value()));
    }
    if let Some(s) = m.status_filter.first() {
        title.push_str(&format!("─ status {} ", s.as_str()));
    }
    let count = format!(" {} of {} ", m.visible.len(), m.rows.len());
    let block = Block::bordered()
        .title(Line::from(Span::styled(title, t.title())))
        .title_bottom(Line::from(count).right_aligned());
    let rows_here = usize::from(area.height.saturating_sub(3));
    // The table's height follows the selected tenant's panes: keep the selection in view.
    let scroll = m
        .scroll
        .min(m.selected)
        .max((m.selected + 1).saturating_sub(rows_here))
        .min(m.visible.len().saturating_sub(rows_here));
    let end = (scroll + rows_here).min(m.visible.len());
    let rows: Vec<Row> = (scroll..end)
        .filter_map(|vi| m.visible.get(vi).map(|ri| (vi, &m.rows[*ri])))
        .map(|(vi, r)| {
            let account = r
                .google_email
                .clone()
                .or_else(|| {
                    r.expected_account.as_ref().map(|e| match e {
                        crate::domain::model::ExpectedAccount::Email(x) => format!("(expects {x})"),
                        crate::domain::model::ExpectedAccount::Domain(d) => {
                            format!("(expects *@{d})")
                        }
                    })
                })
                .unwrap_or_default();
            let marker = if vi == m.selected { "▶ " } else { "  " };
            let mut cells = vec![Cell::from(format!("{marker}{}", r.slug))];
            if wide {
                cells.push(Cell::from(r.display_name.clone()));
            }
            cells.push(Cell::from(Span::styled(
                style::tenant_status(r.status, r.failure),
                t.status(r.status),
            )));
            cells.push(Cell::from(account));
            cells.push(Cell::from(crate::time::ago(m.now, r.updated_ms)));
            if wide {
                cells.push(Cell::from(
                    r.blaxel_status.clone().unwrap_or_else(|| "-".into()),
                ));
            }
            let row = Row::new(cells);
            if vi == m.selected {
                row.style(t.selected())
            } else {
                row
            }
        })
        .collect();
    let (widths, heads): (Vec<Constraint>, Vec<&str>) = if wide {
        (
            vec![
                Constraint::Length(20),
                Constraint::Length(22),
                Constraint::Length(20),
                Constraint::Min(20),
                Constraint::Length(12),
                Constraint::Length(12),
            ],
            vec![
                "  SLUG",
                "NAME",
                "STATUS",
                "GOOGLE ACCOUNT",
                "LAST CHANGE",
                "MCP",
            ],
        )
    } else {
        (
            vec![
                Constraint::Length(18),
                Constraint::Length(19),
                Constraint::Min(16),
                Constraint::Length(9),
            ],
            vec!["  SLUG", "STATUS", "GOOGLE ACCOUNT", "CHANGED"],
        )
    };
    let empty = m.rows.is_empty() && m.loaded;
    let table = Table::new(rows, widths)
        .header(Row::new(heads).style(t.dim()))
        .block(block);
    f.render_widget(table, area);
    if empty {
        let inner = area.inner(ratatui::layout::Margin::new(2, 2));
        f.render_widget(
            Paragraph::new("No tenants yet: press a to add one (or :add).").style(t.dim()),
            inner,
        );
    }
}

fn flash_line(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    if let Some(fl) = &m.flash {
        let style = match fl.level {
            Level::Info => Style::new(),
            Level::Ok => t.ok(),
            Level::Error => t.error(),
        };
        let rows: Vec<Line> = layout::flash_rows(m, area.width)
            .into_iter()
            .map(|r| Line::from(format!(" {r}")))
            .collect();
        f.render_widget(Paragraph::new(rows).style(style), area);
    }
}

fn filter_line(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let text = Line::from(vec![
        Span::styled(" /", t.key()),
        Span::raw(m.filter.value().to_owned()),
        Span::styled("   ⏎ keep  esc clear", t.dim()),
    ]);
    f.render_widget(Paragraph::new(text), area);
    let x = area.x + 2 + u16::try_from(m.filter.visual_cursor()).unwrap_or(0);
    f.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
}

/// The keys valid here, as many as fit; `?` (help) and quit always have a place.
fn hint_bar(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let ctx = context(m);
    let tenant = m.selected_row().is_some();
    let hints = keymap::hints_where(ctx, |a| match a {
        _ if ctx != Context::Tenants => true,
        _ if keymap::needs_tenant(a) && !tenant => false,
        keymap::Action::CopyMcpUrl => detail::mcp_url(m).is_some(),
        keymap::Action::TimelineBack => layout::timeline_max_back(m) > 0,
        _ => true,
    });
    let width = |(k, w, d): &(String, &str, bool)| {
        k.chars().count() + w.chars().count() + 3 + usize::from(*d)
    };
    let essential = |w: &str| w == "help" || w == "quit" || w == "back";
    let budget = usize::from(area.width).saturating_sub(1);
    let mut used: usize = hints.iter().filter(|h| essential(h.1)).map(width).sum();
    let mut keep = Vec::new();
    for h in &hints {
        if essential(h.1) {
            keep.push(h);
        } else if used + width(h) <= budget {
            used += width(h);
            keep.push(h);
        }
    }
    let mut spans = vec![Span::raw(" ")];
    for (key, word, danger) in keep {
        spans.push(Span::styled(key.clone(), t.key()));
        if *danger {
            spans.push(Span::styled(format!(" {word}!  "), t.danger()));
        } else {
            spans.push(Span::raw(format!(" {word}  ")));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The theme a console uses (tests set it explicitly).
pub fn theme() -> Theme {
    Theme::from_env()
}
