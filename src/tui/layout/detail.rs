//! The selected tenant's pane as rows: its facts (status, reason, what can be done,
//! account, token, link, scopes) and its timeline, one list of rows per entry, each capped
//! at a few rows in the pane (a marker says how many more) and whole in the full view. The
//! layout counts them to size the panes; the view draws them.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::cap::{Extent, capped};
use super::timeline::farthest_back;
use super::wrap::{self, Fold, hanging_as};
use crate::domain::before_consent;
use crate::domain::model::{ExpectedAccount, LinkState};
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
    if let Some(r) = &d.reason {
        put(hanging_as(
            fold,
            Span::styled("✖ ", t.error()),
            r,
            t.error(),
            w,
        ));
    }
    if before_consent::failed_before_consent(d.status, d.provisioning.is_some()) {
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
    if let Some(p) = &d.pending_consent {
        let v = format!("◆ consent by {}: A approves, X rejects", p.account);
        put(kv("waiting", &v, t.group(style::Group::Approval)));
    }
    if let Some(tok) = &d.token {
        let (v, s) = token(m, tok);
        put(kv("token", &v, s));
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
    if !d.granted_scopes.is_empty() {
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
    let at = e.at.get(11..19).unwrap_or(&e.at).to_owned();
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

fn token(m: &Model, tok: &crate::engine::api::TokenView) -> (String, Style) {
    use crate::domain::health::Health;
    let t = m.theme;
    let expiry = tok
        .testing_expires_ms
        .map(|at| format!(", Testing app: ends {}", countdown(m.now, at)))
        .unwrap_or_default();
    match tok.health {
        Some(Health::Healthy) => (format!("✔ healthy{expiry}"), t.ok()),
        Some(Health::NeedsReconsent) => (
            "✖ refused by Google: needs a new consent".to_owned(),
            t.error(),
        ),
        Some(Health::Transient) => (format!("… no verdict yet (Google busy){expiry}"), t.dim()),
        Some(Health::ClientError) => ("✖ our OAuth client was refused".to_owned(), t.error()),
        None => (format!("not checked yet (h checks){expiry}"), t.dim()),
    }
}

/// Rows the pane needs inside its borders at `width`: every fact, the newest entry, and a
/// row for the older ones (or the marker that says they are there).
pub fn rows_needed(m: &Model, width: u16) -> usize {
    let Some(d) = m.shown_detail() else { return 1 };
    let r = rows(m, d, width, Extent::Pane);
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

/// The farthest back the timeline scrolls in the pane `area`: until its first entry shows.
pub fn max_back(m: &Model, area: Rect) -> usize {
    let Some(d) = m.shown_detail() else { return 0 };
    let r = rows(m, d, area.width.saturating_sub(2), Extent::Pane);
    let h = heights(&r);
    let room = older_room(&r, usize::from(area.height.saturating_sub(2)));
    farthest_back(&h, room)
}
