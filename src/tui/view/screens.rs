//! The other screens: the link view with its QR code, the add/edit form, help, the command
//! palette, the confirm box and the first-run set-up panel.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use tui_input::Input;

use super::countdown;
use crate::domain::model::LinkState;
use crate::tui::keymap::{self, Context};
use crate::tui::model::{Form, FormKind, Model};
use crate::tui::update::{COMMANDS, completions};

pub fn link(m: &Model, f: &mut Frame, area: Rect, slug: &str) {
    let t = m.theme;
    let name = m
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
        if let Some(d) = m.detail.as_ref().filter(|d| d.slug == slug) {
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
    let row = m.row_of(slug).and_then(|i| m.rows.get(i));
    let detail = m.detail.as_ref().filter(|d| d.slug == slug);
    let this = detail.and_then(|d| d.links.iter().find(|x| x.id == l.id));
    let opened = match this {
        Some(x) if x.open_count > 0 => {
            format!("{}× (Continue {}×)", x.open_count, x.continue_count)
        }
        _ => "not yet".into(),
    };
    let state = this.map_or("active", |x| x.state.as_str());
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
        lines.extend(kv_wrapped(m, k, &v, width));
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
    for (key, word, danger) in keymap::hints(Context::Link) {
        lines.push(Line::from(vec![
            Span::styled(format!("{key:>4} "), t.key()),
            if danger {
                Span::styled(format!("{word}!"), t.danger())
            } else {
                Span::raw(word)
            },
        ]));
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), text_area);
}

/// `key     value`, the value wrapped at word boundaries under itself.
fn kv_wrapped(m: &Model, k: &str, v: &str, width: usize) -> Vec<Line<'static>> {
    const KEY: usize = 9;
    let room = width.saturating_sub(KEY).max(10);
    let mut rows: Vec<String> = vec![String::new()];
    for word in v.split(' ') {
        let last = rows.last_mut().map_or(0, |r| r.chars().count());
        if last > 0 && last + 1 + word.chars().count() > room {
            rows.push(String::new());
        }
        if let Some(r) = rows.last_mut() {
            if !r.is_empty() {
                r.push(' ');
            }
            r.push_str(word);
        }
    }
    rows.into_iter()
        .enumerate()
        .map(|(i, r)| {
            let key = if i == 0 { k } else { "" };
            Line::from(vec![
                Span::styled(format!("{key:<KEY$}"), m.theme.dim()),
                Span::raw(r),
            ])
        })
        .collect()
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
    let h = u16::try_from(form.fields.len() * 2 + 3).unwrap_or(20);
    let r = popup(f, area, 76, h);
    let block = Block::bordered().title(Line::from(Span::styled(title, t.title())));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let mut lines = Vec::new();
    let mut cursor = None;
    for (i, fld) in form.fields.iter().enumerate() {
        let focus = i == form.focus;
        let mark = match &fld.error {
            Some(_) => Span::styled(" ✖", t.error()),
            None if !fld.input.value().is_empty() => Span::styled(" ✔", t.ok()),
            None => Span::raw(""),
        };
        let label_style = if focus { t.key() } else { t.dim() };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{}{:<16}", if focus { "▶ " } else { "  " }, fld.label),
                label_style,
            ),
            Span::raw(fld.input.value().to_owned()),
            mark,
        ]));
        if focus {
            let y = inner.y + u16::try_from(lines.len() - 1).unwrap_or(0);
            let x = inner.x + 18 + u16::try_from(fld.input.visual_cursor()).unwrap_or(0);
            cursor = Some((x.min(inner.right().saturating_sub(1)), y));
        }
        let note = match &fld.error {
            Some(e) => Span::styled(format!("                  {e}"), t.error()),
            None => Span::styled(format!("                  {}", fld.help), t.dim()),
        };
        lines.push(Line::from(note));
    }
    if let Some(e) = &form.error {
        lines.push(Line::from(Span::styled(format!("✖ {e}"), t.error())));
    }
    // One line per row, clipped rather than wrapped: the cursor's row depends on it.
    f.render_widget(Paragraph::new(lines), inner);
    if let Some(c) = cursor {
        f.set_cursor_position(c);
    }
}

/// The help: every key of every screen and the palette's commands, from the keymap; it
/// scrolls (↑/↓) where it does not fit.
pub fn help_lines(m: &Model) -> Vec<Line<'static>> {
    let t = m.theme;
    let mut lines = Vec::new();
    for ctx in [Context::Tenants, Context::Link, Context::Form] {
        lines.push(Line::from(Span::styled(ctx.title(), t.title())));
        for (keys, what, danger) in keymap::help(ctx) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<12}"), t.key()),
                if danger {
                    Span::styled(format!("{what} (asks first)"), t.danger())
                } else {
                    Span::raw(what)
                },
            ]));
        }
        lines.push(Line::from(""));
    }
    lines.push(Line::from(Span::styled(
        ":commands (tab completes)",
        t.title(),
    )));
    for (c, args, what) in COMMANDS {
        lines.push(Line::from(vec![
            Span::styled(format!("  :{c} {args}"), t.key()),
            Span::raw(format!("  {what}")),
        ]));
    }
    lines
}

pub fn help(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let block = Block::bordered().title(Line::from(Span::styled(
        " Help ─ ↑/↓ scroll, q or esc closes ",
        t.title(),
    )));
    f.render_widget(
        Paragraph::new(help_lines(m))
            .wrap(Wrap { trim: false })
            .scroll((m.help_scroll, 0))
            .block(block),
        area,
    );
}

pub fn confirm(m: &Model, f: &mut Frame, area: Rect, text: &str) {
    let t = m.theme;
    let r = popup(f, area, 60, 7);
    let lines = vec![
        Line::from(text.to_owned()),
        Line::from(""),
        Line::from(vec![
            Span::styled("y", t.key()),
            Span::raw(" yes   "),
            Span::styled("n", t.key()),
            Span::raw(" no"),
        ]),
    ];
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered().title(Line::from(Span::styled(" Are you sure? ", t.danger()))),
        ),
        r,
    );
}

pub fn palette(m: &Model, f: &mut Frame, line: Rect, body: Rect, p: &Input) {
    let t = m.theme;
    let list = completions(m, p.value());
    if !list.is_empty() {
        let n = u16::try_from(list.len().min(6)).unwrap_or(6);
        let r = Rect {
            x: body.x + 1,
            y: body.bottom().saturating_sub(n + 2),
            width: body.width.min(50),
            height: n + 2,
        };
        f.render_widget(Clear, r);
        let items: Vec<Line> = list
            .iter()
            .take(6)
            .map(|c| Line::from(format!(":{c}")))
            .collect();
        f.render_widget(
            Paragraph::new(items).block(Block::bordered().title(" tab completes ")),
            r,
        );
    }
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" :", t.key()),
            Span::raw(p.value().to_owned()),
        ])),
        line,
    );
    let x = line.x + 2 + u16::try_from(p.visual_cursor()).unwrap_or(0);
    f.set_cursor_position((x.min(line.right().saturating_sub(1)), line.y));
}

pub fn setup(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let mut lines = Vec::new();
    for p in &m.setup.problems {
        let (mark, style) = if p.ok {
            ("✔", t.ok())
        } else {
            ("✖", t.error())
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {mark} {:<22}", p.what), style),
            Span::raw(p.detail.clone()),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " ! register this redirect URI in Google Cloud (OAuth client, Web application):",
        t.warn(),
    )));
    lines.push(Line::from(format!("     {}", m.setup.redirect_uri)));
    lines.push(Line::from(""));
    lines.push(Line::from(
        " Try it without any account:  mcp-onboard --demo",
    ));
    lines.push(Line::from(format!(" Data dir: {}", m.setup.data_dir)));
    lines.push(Line::from(""));
    for (key, word, _) in keymap::hints(Context::Setup) {
        lines.push(Line::from(vec![
            Span::styled(format!("  {key:>4} "), t.key()),
            Span::raw(word),
        ]));
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(Line::from(Span::styled(" Set up ", t.title())))),
        area,
    );
}
