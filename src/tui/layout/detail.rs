//! The selected tenant's pane as rows: its facts (status, reason, what can be done,
//! account, token, MCP tools, link, scopes; for a tenant of several integrations, a block
//! each) and its timeline, one list of rows per entry, each capped at a few rows in the
//! pane (a marker says how many more) and whole in the full view. The layout counts them
//! to size the panes; the view draws them.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::cap::{Extent, capped};
use super::facts::{approval_text, mail, mcp, token};
use super::integrations;
use super::timeline::farthest_back;
use super::wrap::{self, Fold, hanging_as};
use crate::domain::model::{ExpectedAccount, LinkState};
use crate::domain::{before_consent, standing};
use crate::engine::api::TenantView;
use crate::tui::clock::countdown;
use crate::tui::commands;
use crate::tui::model::Model;
use crate::tui::style;

/// The pane's content as rows: the facts, then the timeline, one list of rows per entry.
pub struct Rows {
    pub head: Vec<Line<'static>>,
    pub entries: Vec<Vec<Line<'static>>>,
}

/// The no-callback signal with its likely causes, each with its fix.
fn no_callback_text(n: &crate::engine::api::NoCallbackView) -> String {
    let causes: Vec<String> = n
        .causes
        .iter()
        .map(|c| format!("{}: {}", c.code, c.fix))
        .collect();
    format!(
        "{}. Likely causes, by Google's error code: {}",
        n.detail,
        causes.join(" · ")
    )
}

/// The pane's content as rows of `width` columns, each fact and entry as `extent` says (in
/// the pane a long one is capped, with a marker; in the full view, whole).
pub fn rows(m: &Model, d: &TenantView, width: u16, extent: Extent) -> Rows {
    let t = m.theme;
    let w = usize::from(width);
    let fold = extent.fold();
    let mut head = Vec::new();
    let mut put = |rows: Vec<Line<'static>>| head.extend(capped(m, rows, extent, width));
    let kv = |k: &str, v: &str, style: Style| wrap::kv_as(fold, t, k, v, style, w);
    let status = Span::styled(
        format!("{}  ", style::tenant_status(d.status, d.failure)),
        t.status(d.status),
    );
    put(hanging_as(fold, status, &d.display_name, Style::new(), w));
    // A tenant of several integrations: each one's reason, consent, token and scopes are
    // in its block, not said once for the first as if for the tenant.
    let blocks = integrations::in_blocks(d);
    if let Some(r) = d.reason.as_ref().filter(|_| !blocks) {
        put(hanging_as(
            fold,
            Span::styled("✖ ", t.error()),
            r,
            t.error(),
            w,
        ));
    }
    for f in &d.google_fixes {
        let about = f.integration.map(|i| format!("[{i}] ")).unwrap_or_default();
        put(kv("fix", &format!("{about}{}", f.fix), t.warn()));
    }
    if let Some(n) = &d.no_callback {
        put(kv("signal", &no_callback_text(n), t.warn()));
    }
    if standing::failed_before_consent(d.status, &d.standings()) {
        let until = before_consent::link_works_until(
            d.links
                .iter()
                .filter(|l| l.expires_ms > m.now)
                .map(|l| (l.state, l.expires_ms)),
        );
        let text = before_consent::instead(until, &commands::new_link_key());
        put(kv("next", &text, t.warn()));
    }
    match (&d.google_email, &d.expected_account) {
        (Some(e), _) => put(kv("account", e, Style::new())),
        (None, Some(x)) => {
            let v = match x {
                ExpectedAccount::Email(e) => e.clone(),
                ExpectedAccount::Domain(dm) => format!("an account of {dm}"),
            };
            put(kv("expects", &v, Style::new()));
        }
        _ => {}
    }
    if let Some(l) = &d.lang {
        put(kv("language", l, Style::new()));
    }
    if let Some(p) = d.pending_consent.as_ref().filter(|_| !blocks) {
        let v = format!("◆ {}", approval_text(&p.account));
        put(kv("waiting", &v, t.group(style::Group::Approval)));
    }
    if let Some(tok) = d.token.as_ref().filter(|_| !blocks) {
        let (v, s) = token(m, tok);
        put(kv("token", &v, s));
    }
    if let Some(c) = d.mcp.as_ref().filter(|_| !blocks) {
        let (v, s) = mcp(m, c);
        put(kv("tools", &v, s));
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
        put(kv("link", &v, Style::new()));
    }
    if let Some((v, style)) = mail(m, d) {
        put(kv("mail", &v, style));
    }
    if !d.granted_scopes.is_empty() && !blocks {
        let missing =
            crate::domain::consent::missing_scopes(&d.requested_scopes, &d.granted_scopes);
        let n = d.requested_scopes.len();
        let v = if missing.is_empty() {
            format!("✔ {n} of {n} granted")
        } else {
            format!("✖ missing {}", missing.join(" "))
        };
        put(kv("scopes", &v, Style::new()));
    }
    for piece in integrations::blocks(m, d, width, extent) {
        put(piece);
    }
    let entries = d
        .events
        .iter()
        .map(|e| capped(m, entry(m, e, width, fold), extent, width))
        .collect();
    Rows { head, entries }
}

/// A timeline entry as its time and its text.
fn entry(
    m: &Model,
    e: &crate::engine::api::EventView,
    width: u16,
    fold: Fold,
) -> Vec<Line<'static>> {
    let at = crate::tui::clock::time_of_day(&e.at, &m.zone);
    let lead = Span::styled(format!("{at}  "), m.theme.dim());
    hanging_as(fold, lead, &e.detail, Style::new(), usize::from(width))
}

/// The same on one row, cut visibly.
pub fn one_row(m: &Model, e: &crate::engine::api::EventView, width: u16) -> Line<'static> {
    let mut row = entry(m, e, u16::MAX, Fold::Cut);
    let line = row.pop().unwrap_or_default();
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    Line::from(wrap::fit(&text, usize::from(width)))
}

/// Rows the pane needs inside its borders at `width`, its rows as `extent` says: every
/// fact, the newest entry, and a row for the older ones (or the marker that says they are
/// there).
pub fn rows_needed(m: &Model, width: u16, extent: Extent) -> usize {
    let Some(d) = m.shown_detail() else { return 1 };
    let r = rows(m, d, width, extent);
    let newest = r.entries.last().map_or(0, Vec::len);
    r.head.len() + newest + usize::from(r.entries.len() > 1)
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

/// The farthest back the timeline scrolls in the pane `area` (its rows as `extent` says):
/// until its first entry shows.
pub fn max_back(m: &Model, area: Rect, extent: Extent) -> usize {
    let Some(d) = m.shown_detail() else { return 0 };
    let r = rows(m, d, area.width.saturating_sub(2), extent);
    let h = heights(&r);
    let room = older_room(&r, usize::from(area.height.saturating_sub(2)));
    farthest_back(&h, room)
}
