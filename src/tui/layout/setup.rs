//! The set-up panel's rows, built here so that the view draws them and `update` scrolls
//! by them alike: the owner's set-up lines, the first-run notes (until the online checks
//! run), then the online checks (not run yet, running, or one row per check with nothing
//! to do, and for one with a fix, its name, then what was found and its fix in full,
//! wrapped under it; failures first, then warnings, then the rest, each in the checks'
//! order; names in a column as wide as the longest, up to half the panel), then the keys.

use ratatui::text::{Line, Span};

use super::wrap::{fit, hanging};
use crate::config::online::{CheckLine, Level as CheckLevel};
use crate::tui::commands::{self, Scope};
use crate::tui::model::{Model, OnlineState};

/// Every row of the panel for an inside `width` columns wide.
pub fn rows(m: &Model, width: usize) -> Vec<Line<'static>> {
    let t = m.theme;
    let mut lines = Vec::new();
    let name_width = m
        .setup
        .problems
        .iter()
        .map(|p| p.what.chars().count())
        .max()
        .unwrap_or(0);
    for p in &m.setup.problems {
        let (mark, style) = if p.ok {
            ("✔", t.ok())
        } else {
            ("✖", t.error())
        };
        lines.extend(hanging(
            Span::styled(format!(" {mark} {:<name_width$} ", p.what), style),
            &p.detail,
            ratatui::style::Style::default(),
            width,
        ));
    }
    if !m.setup.problems.is_empty() {
        lines.push(Line::from(""));
    }
    // Once the online checks run, their lines take the room of the first-run notes (the
    // redirect URI is in their own line).
    if m.online.state == OnlineState::NotRun {
        lines.extend(hanging(
            Span::styled(" ! ", t.warn()),
            "register this redirect URI in Google Cloud (OAuth client, Web application):",
            t.warn(),
            width,
        ));
        lines.extend(hanging(
            Span::raw("     "),
            &m.setup.redirect_uri,
            ratatui::style::Style::default(),
            width,
        ));
        lines.push(Line::from(""));
        lines.push(Line::from(fit(
            " Try it without any account:  mcp-onboard --demo",
            width,
        )));
        lines.extend(hanging(
            Span::raw(" Data dir: "),
            &m.setup.data_dir,
            ratatui::style::Style::default(),
            width,
        ));
        lines.push(Line::from(""));
    }
    lines.extend(online(m, width));
    // The checks' lines need the room; the hints bar below says the keys.
    if !matches!(m.online.state, OnlineState::Done(_)) {
        lines.push(Line::from(""));
        for h in commands::hints(Scope::Setup) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:>4} ", h.key), t.key()),
                Span::raw(h.word),
            ]));
        }
    }
    lines
}

/// The online checks' rows.
fn online(m: &Model, width: usize) -> Vec<Line<'static>> {
    let t = m.theme;
    match &m.online.state {
        OnlineState::NotRun => vec![Line::from(Span::styled(
            fit(
                " Online checks: not run yet (o: Google, Blaxel, /healthz, TLS, the clock)",
                width,
            ),
            t.dim(),
        ))],
        OnlineState::Running { .. } => vec![Line::from(Span::styled(
            " Online checks: running…",
            t.warn(),
        ))],
        OnlineState::Done(checks) => {
            let mut out = vec![Line::from(Span::styled(
                " Online checks (o runs them again; ↑↓ PgUp PgDn scroll):",
                t.title(),
            ))];
            let name_width = checks
                .iter()
                .map(|c| c.name.chars().count())
                .max()
                .unwrap_or(0)
                .min(width / 2);
            for c in worst_first(checks) {
                let (mark, style) = match c.level {
                    CheckLevel::Ok => ("✔", t.ok()),
                    CheckLevel::Warn => ("!", t.warn()),
                    CheckLevel::Fail => ("✖", t.error()),
                };
                let head = format!(" {mark} {:<name_width$} ", c.name);
                // A line with nothing to do takes one row.
                if c.level == CheckLevel::Ok || c.fix.is_empty() {
                    let room = width.saturating_sub(head.chars().count());
                    out.push(Line::from(vec![
                        Span::styled(head, style),
                        Span::raw(fit(&c.detail, room)),
                    ]));
                    continue;
                }
                out.push(Line::from(Span::styled(head, style)));
                out.extend(hanging(
                    Span::raw("     "),
                    &c.detail,
                    ratatui::style::Style::default(),
                    width,
                ));
                out.extend(hanging(
                    Span::styled("     fix: ", t.key()),
                    &c.fix,
                    ratatui::style::Style::default(),
                    width,
                ));
            }
            out
        }
    }
}

/// Failures, then warnings, then the rest, each in the checks' own order.
fn worst_first(checks: &[CheckLine]) -> Vec<&CheckLine> {
    let mut sorted: Vec<&CheckLine> = checks.iter().collect();
    sorted.sort_by_key(|c| std::cmp::Reverse(c.level));
    sorted
}
