//! `view(&Model, &mut Frame)`: draws the console from the model and reads nothing else.
//! Only the rows that fit are drawn, so the table costs the same with 100,000 tenants as
//! with ten.

mod detail;
mod details;
mod help;
mod hints;
mod palette;
mod panes;
mod screens;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

use super::model::{Level, Mode, Model};
use super::style::{self, Theme};
use super::{clock, layout};
use crate::engine::Attachment;
use crate::engine::api::{SortKey, TenantSummary};

pub fn view(m: &Model, f: &mut Frame) {
    let layout::ScreenAreas {
        head,
        body,
        flash,
        hints,
    } = layout::screen(m, f.area());
    header(m, f, head);
    screen(m, &m.mode, f, body);
    flash_line(m, f, flash);
    match &m.mode {
        Mode::Palette(p) => palette::draw(m, f, hints, body, p),
        Mode::Filter => hints::filter_line(m, f, hints),
        _ => hints::bar(m, f, hints),
    }
}

/// What `mode` shows in the body: a question over what it was asked from.
fn screen(m: &Model, mode: &Mode, f: &mut Frame, body: Rect) {
    match mode {
        Mode::Setup => screens::setup(m, f, body),
        Mode::Table | Mode::Filter | Mode::Palette(_) => tenants(m, f, body),
        Mode::Link(slug) => screens::link(m, f, body, slug),
        Mode::Details { slug, scroll } => details::draw(m, f, body, slug, *scroll),
        Mode::Form(form) => {
            tenants(m, f, body);
            screens::form(m, f, body, form);
        }
        Mode::Help { scroll, .. } => help::draw(m, f, body, *scroll),
        Mode::Confirm { confirm, back } => {
            screen(m, back, f, body);
            screens::confirm(m, f, body, confirm);
        }
    }
}

fn header(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let lost = m.engine.lost.is_some();
    let mode = match &m.setup.attachment {
        Attachment::InProcess { .. } => "owner (quit stops the listener)".to_owned(),
        Attachment::Socket { .. } if lost => "owner gone: reconnecting…".to_owned(),
        Attachment::Socket { pid, .. } => format!("attached to pid {pid}"),
    };
    let p = &m.engine.provisioner;
    let prov = if p.disabled.is_some() {
        Span::styled("provisioner ⊘ disabled", t.warn())
    } else if p.following {
        Span::styled("provisioner ◌ standing by (another node leads)", t.dim())
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
        Span::styled(format!("{mode}  "), if lost { t.error() } else { t.dim() }),
    ];
    let used: usize = line1.iter().map(|s| s.content.chars().count()).sum();
    // The provisioner goes on the first line when there is room, else on the second.
    let wide = used + prov.content.chars().count() <= usize::from(area.width);
    if wide {
        line1.push(prov.clone());
    }
    let line1 = Line::from(line1);
    let mut spans = vec![Span::raw(format!(" tenants {}", m.table.rows.len()))];
    // Google refusing our client concerns every tenant: said first, in red.
    if m.engine
        .status
        .as_ref()
        .is_some_and(|s| s.health_alarm.is_some())
    {
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
    if !m.load.loaded {
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
        detail::draw(m, f, a.detail, a.extent);
        panes::provisioning(m, f, a.provisioning);
    }
    if let Some(url) = a.url {
        detail::url_line(m, f, url);
    }
}

fn table(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let tb = &m.table;
    let wide = area.width >= 100;
    // Integrations by name where the wide table has room for every column, else by letter.
    let named = area.width >= 120;
    let mut title = format!(" Tenants ─ sorted by {} ", sort_name(tb.sort));
    if !tb.filter.value().is_empty() {
        title.push_str(&format!("─ filter: /{} ", tb.filter.value()));
    }
    if let Some(s) = tb.status_filter.first() {
        title.push_str(&format!("─ status {} ", s.as_str()));
    }
    let count = format!(" {} of {} ", tb.visible.len(), tb.rows.len());
    let block = Block::bordered()
        .title(Line::from(Span::styled(title, t.title())))
        .title_bottom(Line::from(count).right_aligned());
    let rows_here = usize::from(area.height.saturating_sub(3));
    // The table's height follows the selected tenant's panes: keep the selection in view.
    let scroll = tb
        .scroll
        .min(tb.selected)
        .max((tb.selected + 1).saturating_sub(rows_here))
        .min(tb.visible.len().saturating_sub(rows_here));
    let end = (scroll + rows_here).min(tb.visible.len());
    let rows: Vec<Row> = (scroll..end)
        .filter_map(|vi| tb.visible.get(vi).map(|ri| (vi, &tb.rows[*ri])))
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
            let marker = if vi == tb.selected { "▶ " } else { "  " };
            let mut cells = vec![Cell::from(format!("{marker}{}", r.slug))];
            if wide {
                cells.push(Cell::from(r.display_name.clone()));
            }
            cells.push(Cell::from(Span::styled(
                style::tenant_status(r.status, r.failure),
                t.status(r.status),
            )));
            cells.push(Cell::from(layout::integrations::marks(
                t,
                &r.statuses,
                named,
            )));
            cells.push(Cell::from(account));
            cells.push(Cell::from(crate::time::ago(m.now, r.updated_ms)));
            cells.push(mailed(m, r, wide));
            if wide {
                // A server Blaxel calls deployed that does not answer says so here.
                cells.push(if !r.statuses.iter().any(|s| s.mcp_unreachable) {
                    Cell::from(r.blaxel_status.clone().unwrap_or_else(|| "-".into()))
                } else {
                    Cell::from(Span::styled("✖ down", t.error()))
                });
            }
            let row = Row::new(cells);
            if vi == tb.selected {
                row.style(t.selected())
            } else {
                row
            }
        })
        .collect();
    let (widths, heads): (Vec<Constraint>, Vec<&str>) = if wide {
        (
            vec![
                Constraint::Length(18),
                Constraint::Length(16),
                Constraint::Length(19),
                Constraint::Length(if named { 15 } else { 6 }),
                Constraint::Min(16),
                Constraint::Length(8),
                Constraint::Length(9),
                Constraint::Length(9),
            ],
            vec![
                "  SLUG",
                "NAME",
                "STATUS",
                if named { "INTEGRATIONS" } else { "INTEG" },
                "GOOGLE ACCOUNT",
                "CHANGED",
                "MAILED",
                "MCP",
            ],
        )
    } else {
        (
            vec![
                Constraint::Length(16),
                Constraint::Length(19),
                Constraint::Length(6),
                Constraint::Min(16),
                Constraint::Length(9),
                Constraint::Length(2),
            ],
            vec![
                "  SLUG",
                "STATUS",
                "INTEG",
                "GOOGLE ACCOUNT",
                "CHANGED",
                "✉",
            ],
        )
    };
    let empty = tb.rows.is_empty() && m.load.loaded;
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

/// A tenant's last mailed link: `✉ 14:05` (its day when not today), `✉✗` when the relay
/// did not take it; on a narrow table the mark alone.
fn mailed<'a>(m: &Model, r: &TenantSummary, wide: bool) -> Cell<'a> {
    let Some(mail) = &r.mailed else {
        return Cell::from("");
    };
    let mark = if mail.accepted { "✉" } else { "✉✗" };
    let text = if wide {
        format!("{mark} {}", clock::day_or_time(m.now, mail.at_ms, &m.zone))
    } else {
        mark.to_owned()
    };
    if mail.accepted {
        Cell::from(text)
    } else {
        Cell::from(Span::styled(text, m.theme.error()))
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

/// The theme a console uses (tests set it explicitly).
pub fn theme() -> Theme {
    Theme::from_env()
}
