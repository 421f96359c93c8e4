//! How a fact of a tenant, or of one of its integrations, reads in its pane: a consent
//! waiting for approval, a refresh token's health, its MCP server's last check, where its
//! links are mailed and the last one that was.

use ratatui::style::Style;

use crate::domain::health::Health;
use crate::domain::link_mail::MailOutcome;
use crate::engine::api::{McpView, TenantView, TokenView};
use crate::mail::set_address;
use crate::tui::clock::{countdown, day_or_time};
use crate::tui::model::Model;

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
/// mails and it has none) and the last one that was, in a row: what the relay said in full
/// is in its timeline.
pub(super) fn mail(m: &Model, d: &TenantView) -> Option<(String, Style)> {
    let t = m.theme;
    let last = d.last_mail.as_ref().map(|l| {
        let when = day_or_time(m.now, l.at, &m.zone);
        let to = match &d.mail_to {
            Some(now) if *now == l.to => String::new(),
            _ => format!(" to {}", l.to),
        };
        match &l.outcome {
            MailOutcome::Accepted { .. } => {
                (format!("✔ link {} mailed{to} {when}", l.link_id), None)
            }
            MailOutcome::Refused { reply, .. } => (
                format!("✖ link {}{to} not mailed {when}: {reply}", l.link_id),
                Some(t.error()),
            ),
        }
    });
    let (to, style) = match &d.mail_to {
        Some(to) => (to.clone(), Style::new()),
        None if m.setup.mail.is_ok() || last.is_some() => {
            (format!("no address: {}", set_address(&d.slug)), t.warn())
        }
        None => return None,
    };
    Some(match last {
        Some((last, refused)) => (format!("{to} · {last}"), refused.unwrap_or(style)),
        None => (to, style),
    })
}
