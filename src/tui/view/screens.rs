//! The other screens: the link view with its QR code, the add/edit form, the question box
//! and the first-run set-up panel.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::domain::model::LinkState;
use crate::tui::clock::countdown;
use crate::tui::commands::{self, Scope, available};
use crate::tui::layout::wrap::{self, hanging};
use crate::tui::model::{Confirm, ConfirmAction, Form, FormKind, Model};

pub fn link(m: &Model, f: &mut Frame, area: Rect, slug: &str) {
    let t = m.theme;
    let name = m
        .table
        .rows
        .iter()
        .find(|r| r.slug == slug)
        .map_or(slug, |r| r.display_name.as_str());
    // A top rule only: at 80x24 the QR code of a short link needs every row there is. The
    // rule carries the link itself, unwrapped, so it can be selected whole.
    let title = match m.links.get(slug) {
        Some(l) => format!(" {} ", l.url),
        None => format!(" Consent link for {name} "),
    };
    let block = Block::new()
        .borders(ratatui::widgets::Borders::TOP)
        .title(Line::from(Span::styled(title, t.title())));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(l) = m.links.get(slug) else {
        let mut lines = vec![
            Line::from("No link issued in this console yet."),
            Line::from(""),
            Line::from(Span::styled(
                "Only a link's hash is stored, so an earlier link cannot be shown again.",
                t.dim(),
            )),
            Line::from(vec![
                Span::styled("n", t.key()),
                Span::raw(
                    " issues a new one (earlier unused links stay valid until used or withdrawn).",
                ),
            ]),
            Line::from(""),
        ];
        if let Some(d) = m.detail.view.as_ref().filter(|d| d.slug == slug) {
            for x in &d.links {
                let when = if x.state == LinkState::Active {
                    format!("expires {}", countdown(m.now, x.expires_ms))
                } else {
                    x.state.as_str().to_owned()
                };
                lines.push(Line::from(format!(
                    "link {}: {when}, opened {}×",
                    x.id, x.open_count
                )));
            }
        }
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        return;
    };
    let code = crate::qr::encode(&l.url).ok();
    let (qw, qh) = code.as_ref().map_or((0, 0), crate::qr::cells);
    let fits = code.is_some() && qw + 28 <= inner.width && qh <= inner.height;
    let (qr_area, text_area) = if fits {
        let [a, b] = inner.layout(&Layout::horizontal([
            Constraint::Length(qw + 2),
            Constraint::Min(10),
        ]));
        (Some(a), b)
    } else {
        (None, inner)
    };
    if let (Some(a), Some(code)) = (qr_area, code.as_ref()) {
        let lines: Vec<Line> = crate::qr::lines(code, true)
            .into_iter()
            .map(|l| Line::from(Span::styled(l, t.qr())))
            .collect();
        f.render_widget(Paragraph::new(lines), a);
    }
    let row = m.row_of(slug).and_then(|i| m.table.rows.get(i));
    let detail = m.detail.view.as_ref().filter(|d| d.slug == slug);
    let this = detail.and_then(|d| d.links.iter().find(|x| x.id == l.id));
    let opened = match this {
        Some(x) if x.open_count > 0 => {
            format!("{}× (Continue {}×)", x.open_count, x.continue_count)
        }
        _ => "not yet".into(),
    };
    let state = m.issued_link_state(slug).map_or("active", |x| x.as_str());
    let account = match row.and_then(|r| r.expected_account.as_ref()) {
        Some(crate::domain::model::ExpectedAccount::Email(e)) => format!("must be {e}"),
        Some(crate::domain::model::ExpectedAccount::Domain(d)) => format!("an account of {d}"),
        None => "any Google account".into(),
    };
    let width = usize::from(text_area.width);
    let mut lines = vec![
        Line::from(Span::styled(format!("Consent link for {name}"), t.title())),
        Line::from(""),
    ];
    let facts = [
        ("state", state.to_owned()),
        (
            "expires",
            format!("{} ({})", countdown(m.now, l.expires_ms), l.expires_at),
        ),
        ("opened", opened),
        (
            "asks",
            "send mail as the customer (gmail.send), name and email".into(),
        ),
        ("account", account),
    ];
    for (k, v) in facts {
        lines.extend(wrap::kv(
            m.theme,
            k,
            &v,
            ratatui::style::Style::new(),
            width,
        ));
    }
    lines.push(Line::from(""));
    if !fits {
        lines.push(Line::from(Span::styled(
            format!(
                "The QR code needs {qw}x{qh} cells and does not fit here: enlarge the window, or press e for PNG/SVG files."
            ),
            t.warn(),
        )));
        lines.push(Line::from(""));
    }
    for h in available::offered(Scope::Link, m) {
        lines.push(Line::from(vec![
            Span::styled(format!("{:>4} ", h.key), t.key()),
            if h.danger {
                Span::styled(format!("{}!", h.word), t.danger())
            } else {
                Span::raw(h.word)
            },
        ]));
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), text_area);
}

/// A box centred in `area`, cleared.
fn popup(f: &mut Frame, area: Rect, w: u16, h: u16) -> Rect {
    let r = area.centered(
        Constraint::Length(w.min(area.width)),
        Constraint::Length(h.min(area.height)),
    );
    f.render_widget(Clear, r);
    r
}

pub fn form(m: &Model, f: &mut Frame, area: Rect, form: &Form) {
    let t = m.theme;
    let title = match &form.kind {
        FormKind::Add => " Add a tenant ".to_owned(),
        FormKind::Edit(s) => format!(" Edit {s} "),
    };
    const LABEL: usize = 18;
    let width = usize::from(area.width.min(76).saturating_sub(2));
    let mut lines = Vec::new();
    // The focused field's row and column of its cursor, inside the box.
    let mut cursor = None;
    for (i, fld) in form.fields.iter().enumerate() {
        let focus = i == form.focus;
        let mark = match &fld.error {
            Some(_) => Span::styled(" ✖", t.error()),
            None if !fld.input.value().is_empty() => Span::styled(" ✔", t.ok()),
            None => Span::raw(""),
        };
        let label_style = if focus { t.key() } else { t.dim() };
        if focus {
            cursor = Some((LABEL + fld.input.visual_cursor(), lines.len()));
        }
        // The value itself stays on its row (the cursor is on it), clipped if it must be.
        lines.push(Line::from(vec![
            Span::styled(
                format!("{}{:<16}", if focus { "▶ " } else { "  " }, fld.key.label()),
                label_style,
            ),
            Span::raw(fld.input.value().to_owned()),
            mark,
        ]));
        let (note, style) = match &fld.error {
            Some(e) => (e.as_str(), t.error()),
            None => (fld.help, t.dim()),
        };
        lines.extend(hanging(Span::raw(" ".repeat(LABEL)), note, style, width));
    }
    if let Some(e) = &form.error {
        lines.extend(hanging(Span::styled("✖ ", t.error()), e, t.error(), width));
    }
    let h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let r = popup(f, area, 76, h);
    let block = Block::bordered().title(Line::from(Span::styled(title, t.title())));
    let inner = block.inner(r);
    f.render_widget(block, r);
    f.render_widget(Paragraph::new(lines), inner);
    if let Some((x, y)) = cursor {
        let x = inner.x + u16::try_from(x).unwrap_or(u16::MAX).min(inner.width);
        let y = inner.y + u16::try_from(y).unwrap_or(0);
        f.set_cursor_position((x.min(inner.right().saturating_sub(1)), y));
    }
}

/// A question in a box over what it was asked from, with the keys that answer it.
pub fn confirm(m: &Model, f: &mut Frame, area: Rect, c: &Confirm) {
    let t = m.theme;
    // Tall enough for the whole question, its keys under it.
    let rows = crate::tui::layout::wrap::rows(&c.text, 58).len();
    let h = u16::try_from(rows + 4).unwrap_or(u16::MAX).max(7);
    let r = popup(f, area, 60, h);
    let hints = commands::hints(commands::question_scope(&c.action));
    let mut keys = Vec::new();
    for (i, h) in hints.iter().enumerate() {
        let gap = if i + 1 < hints.len() { "   " } else { "" };
        keys.push(Span::styled(h.key.clone(), t.key()));
        keys.push(Span::raw(format!(" {}{gap}", h.word)));
    }
    let lines = vec![Line::from(c.text.clone()), Line::from(""), Line::from(keys)];
    let title = match c.action {
        ConfirmAction::EarlierLinks { .. } => " Earlier links ",
        _ => " Are you sure? ",
    };
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(Line::from(Span::styled(title, t.danger())))),
        r,
    );
}

pub fn setup(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let rows = crate::tui::layout::setup::rows(m, usize::from(area.width.saturating_sub(2)));
    let (end, _) = crate::tui::layout::setup_scroll(m);
    let scroll = m.online.scroll.min(end);
    f.render_widget(
        Paragraph::new(rows)
            .scroll((scroll, 0))
            .block(Block::bordered().title(Line::from(Span::styled(" Set up ", t.title())))),
        area,
    );
}
