//! The provisioning panel beside the selected tenant as rows: its job (step, attempts,
//! Blaxel names and status, last error) and the provisioner overall, counted before they
//! are drawn (the layout gives the panel what it needs).

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::wrap::{self, hanging};
use crate::tui::clock::{ago, countdown};
use crate::tui::model::Model;

fn kv(m: &Model, k: &str, v: &str, style: Style, width: u16) -> Vec<Line<'static>> {
    wrap::kv(m.theme, k, v, style, usize::from(width))
}

/// The panel's rows at `width` columns.
pub fn provisioning_rows(m: &Model, width: u16) -> Vec<Line<'static>> {
    let t = m.theme;
    let w = usize::from(width);
    let mut lines = Vec::new();
    if let Some(p) = m.shown_detail().and_then(|d| d.provisioning.as_ref()) {
        let next = p
            .next_attempt_ms
            .filter(|_| p.step.is_active())
            .map(|n| format!(", next {}", countdown(m.now, n)))
            .unwrap_or_default();
        let plain = Style::new();
        lines.extend(kv(
            m,
            "step",
            &format!("{}{next}", p.step.as_str()),
            plain,
            width,
        ));
        lines.extend(kv(m, "attempts", &p.attempts.to_string(), plain, width));
        lines.extend(kv(m, "conn", &p.connection_name, plain, width));
        let status = match (&p.blaxel_status, p.blaxel_status_ms) {
            (Some(s), Some(at)) => format!("{s} ({})", ago(m.now, at)),
            (Some(s), None) => s.clone(),
            _ => "-".into(),
        };
        let server = format!("{}  {status}", p.function_name);
        lines.extend(kv(m, "server", &server, plain, width));
        if let Some(e) = &p.last_error {
            let failed = p
                .failed_step
                .map(|s| format!(" at {}", s.as_str()))
                .unwrap_or_default();
            let text = format!("last error{failed}: {e}");
            lines.extend(hanging(Span::styled("✖ ", t.error()), &text, t.error(), w));
        }
    } else {
        let text = "no provisioning job yet (it starts at consent)";
        lines.extend(hanging(Span::raw(""), text, t.dim(), w));
    }
    let p = &m.engine.provisioner;
    let (overall, style) = if let Some(why) = &p.disabled {
        (format!("provisioner disabled: {why}"), t.warn())
    } else if p.running {
        let text = format!(
            "{} in flight of {}, {} waiting, {} retrying",
            p.in_flight, p.concurrency, p.waiting, p.retrying
        );
        (text, Style::new())
    } else {
        ("provisioner not running here".to_owned(), t.dim())
    };
    lines.extend(hanging(Span::raw(""), &overall, style, w));
    let (reach, style) = match p.blaxel_reachable {
        Some(true) => ("Blaxel answering", t.ok()),
        Some(false) => ("Blaxel NOT answering", t.error()),
        None => ("no Blaxel call yet", t.dim()),
    };
    let when = p
        .last_call_at
        .map(|at| format!(" (last call {})", ago(m.now, at)))
        .unwrap_or_default();
    lines.extend(hanging(Span::raw(""), &format!("{reach}{when}"), style, w));
    lines
}
