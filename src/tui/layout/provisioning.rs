//! The provisioning panel beside the selected tenant as rows: its job (step, attempts,
//! Blaxel names and status, last error) and the provisioner overall, counted before they
//! are drawn (the layout gives the panel what it needs). In the panel a long piece (Blaxel's
//! error, verbatim) is capped at a few rows with a marker; the full view shows it whole.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::cap::{Extent, capped};
use super::wrap::{self, hanging_as};
use crate::tui::clock::{ago, countdown};
use crate::tui::model::Model;

/// The panel's rows at `width` columns, each piece as `extent` says.
pub fn provisioning_rows(m: &Model, width: u16, extent: Extent) -> Vec<Line<'static>> {
    let t = m.theme;
    let w = usize::from(width);
    let fold = extent.fold();
    let kv = |k: &str, v: &str, style: Style| wrap::kv_as(fold, t, k, v, style, w);
    let hanging =
        |first: Span<'static>, text: &str, style: Style| hanging_as(fold, first, text, style, w);
    let mut lines = Vec::new();
    let mut put = |rows: Vec<Line<'static>>| lines.extend(capped(m, rows, extent, width));
    if let Some(p) = m.shown_detail().and_then(|d| d.provisioning.as_ref()) {
        let next = p
            .next_attempt_ms
            .filter(|_| p.step.is_active())
            .map(|n| format!(", next {}", countdown(m.now, n)))
            .unwrap_or_default();
        let plain = Style::new();
        put(kv("step", &format!("{}{next}", p.step.as_str()), plain));
        put(kv("attempts", &p.attempts.to_string(), plain));
        put(kv("conn", &p.connection_name, plain));
        let status = match (&p.blaxel_status, p.blaxel_status_ms) {
            (Some(s), Some(at)) => format!("{s} ({})", ago(m.now, at)),
            (Some(s), None) => s.clone(),
            _ => "-".into(),
        };
        let server = format!("{}  {status}", p.function_name);
        put(kv("server", &server, plain));
        if let Some(e) = &p.last_error {
            let failed = p
                .failed_step
                .map(|s| format!(" at {}", s.as_str()))
                .unwrap_or_default();
            let text = format!("last error{failed}: {e}");
            put(hanging(Span::styled("✖ ", t.error()), &text, t.error()));
        }
    } else {
        let text = "no provisioning job yet (it starts at consent)";
        put(hanging(Span::raw(""), text, t.dim()));
    }
    let p = &m.engine.provisioner;
    let (overall, style) = if let Some(why) = &p.disabled {
        (format!("provisioner disabled: {why}"), t.warn())
    } else if p.following {
        (p.describe(), t.dim())
    } else if p.running {
        let text = format!(
            "{} in flight of {}, {} waiting, {} retrying",
            p.in_flight, p.concurrency, p.waiting, p.retrying
        );
        (text, Style::new())
    } else {
        ("provisioner not running here".to_owned(), t.dim())
    };
    put(hanging(Span::raw(""), &overall, style));
    let (reach, style) = match p.blaxel_reachable {
        Some(true) => ("Blaxel answering", t.ok()),
        Some(false) => ("Blaxel NOT answering", t.error()),
        None => ("no Blaxel call yet", t.dim()),
    };
    let when = p
        .last_call_at
        .map(|at| format!(" (last call {})", ago(m.now, at)))
        .unwrap_or_default();
    put(hanging(Span::raw(""), &format!("{reach}{when}"), style));
    lines
}
