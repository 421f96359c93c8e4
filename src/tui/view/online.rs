//! The set-up panel's online checks: not run yet, running, or one row per check with
//! nothing to do (its mark, its name, what was found, cut to the width), and for one with
//! a fix, its name, then what was found and its fix in full, wrapped under it.

use ratatui::text::{Line, Span};

use crate::config::online::Level as CheckLevel;
use crate::tui::layout::wrap::{fit, hanging};
use crate::tui::model::{Model, OnlineState};

/// The name column's width.
const NAME: usize = 22;

/// The rows for a panel `width` columns wide.
pub fn lines(m: &Model, width: usize) -> Vec<Line<'static>> {
    let t = m.theme;
    match &m.online.state {
        OnlineState::NotRun => vec![Line::from(Span::styled(
            " Online checks: not run yet (o: Google, Blaxel, /healthz, TLS, the clock)",
            t.dim(),
        ))],
        OnlineState::Running { .. } => vec![Line::from(Span::styled(
            " Online checks: running…",
            t.warn(),
        ))],
        OnlineState::Done(checks) => {
            let mut out = vec![Line::from(Span::styled(
                " Online checks (o runs them again):",
                t.title(),
            ))];
            for c in checks {
                let (mark, style) = match c.level {
                    CheckLevel::Ok => ("✔", t.ok()),
                    CheckLevel::Warn => ("!", t.warn()),
                    CheckLevel::Fail => ("✖", t.error()),
                };
                let head = format!(" {mark} {:<NAME$} ", c.name);
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
                if !c.fix.is_empty() {
                    out.extend(hanging(
                        Span::styled("     fix: ", t.key()),
                        &c.fix,
                        ratatui::style::Style::default(),
                        width,
                    ));
                }
            }
            out
        }
    }
}
