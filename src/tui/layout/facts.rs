//! How a fact of a tenant, or of one of its integrations, reads in its pane: a consent
//! waiting for approval, a refresh token's health, its MCP server's last check, where its
//! links are mailed and the last one that was.

use ratatui::style::Style;

use crate::domain::health::Health;
use crate::engine::api::{McpView, TenantView, TokenView};
use crate::tui::clock::{countdown, day_or_time};
use crate::tui::model::{Model, set_address};

/// What a consent waiting for approval says, with the keys that act on it.
pub(super) fn approval_text(account: &str) -> String {
    format!("consent by {account}: A approves, X rejects")
}

/// A token's health in words, and its style.
pub(super) fn token(m: &Model, tok: &TokenView) -> (String, Style) {
    let t = m.theme;
    let expiry = tok
        .testing_expires_ms
        .map(|at| format!(", Testing app: ends {}", countdown(m.now, at)))
        .unwrap_or_default();
    // What Google's security events and the last refusal told of it.
    let cause = tok
        .facts
        .cause
        .map(|c| format!(" (likely {})", c.as_str().replace('_', " ")))
        .unwrap_or_default();
    if tok.facts.on_hold_since.is_some() && tok.health != Some(Health::NeedsReconsent) {
        return (
            "✖ ON HOLD: Google disabled the account".to_owned(),
            t.error(),
        );
    }
    match tok.health {
        Some(Health::Healthy) => (format!("✔ healthy{expiry}"), t.ok()),
        Some(Health::NeedsReconsent) => (
            format!("✖ refused by Google: needs a new consent{cause}"),
            t.error(),
        ),
        Some(Health::Transient) => (format!("… no verdict yet (Google busy){expiry}"), t.dim()),
        Some(Health::ClientError) => ("✖ our OAuth client was refused".to_owned(), t.error()),
        None => (format!("not checked yet (h checks){expiry}"), t.dim()),
    }
}

/// The last MCP check in words (its tools and time, or its error), and its style.
pub(super) fn mcp(m: &Model, c: &McpView) -> (String, Style) {
    let t = m.theme;
    if c.usable {
        let text = format!("✔ {} ({} ms)", c.tools.join(", "), c.elapsed_ms);
        return (text, t.ok());
    }
    let error = c.error.as_deref().unwrap_or("no reason given");
    if c.unreachable {
        let text = format!(
            "✖ MCP server unreachable ({} failed checks in a row): {error}",
            c.failures
        );
        return (text, t.error());
    }
    let text = format!("… last MCP check failed ({} in a row): {error}", c.failures);
    (text, t.warn())
}

/// Where the tenant's links are mailed (said when it has an address, or when this console
/// mails and it has none), and its last link mailed with the relay's answer.
pub(super) fn mail(m: &Model, d: &TenantView) -> Vec<(&'static str, String, Style)> {
    let t = m.theme;
    let mut out = Vec::new();
    match &d.mail_to {
        Some(to) => out.push(("mail", to.clone(), Style::new())),
        None if m.setup.mail.is_ok() => {
            let fix = format!("no address: {}", set_address(&d.slug));
            out.push(("mail", fix, t.warn()));
        }
        None => {}
    }
    if let Some(last) = &d.last_mail {
        let (mark, style) = if last.accepted() {
            ("✔", t.ok())
        } else {
            ("✖", t.error())
        };
        let when = day_or_time(m.now, last.at);
        out.push(("mailed", format!("{mark} {when} {}", last.detail()), style));
    }
    out
}
