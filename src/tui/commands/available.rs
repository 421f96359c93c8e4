//! Whether a command can be used now, from what the model holds: the hints bar offers only
//! what is ready, the help greys the rest, and a key whose command is blocked says why.
//!
//! The console's copy of a tenant can lag the engine by a moment, so only what the console
//! knows for sure blocks a key (no tenant shown, no consent waiting, no link issued here,
//! no MCP URL, no relay or no address to mail to, a mailing under way); for the rest (a
//! retry on a job that does not look stopped, ...) the key still asks the engine, which has
//! the last word, but the command is not offered.

use super::{Action, Scope, Target};
use crate::domain::model::{LinkState, TenantStatus};
use crate::domain::standing;
use crate::engine::api::TenantSummary;
use crate::mail::no_address;
use crate::tui::layout;
use crate::tui::model::{Level, Model};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// Offered: in the hints bar, plain in the help.
    Ready,
    /// Not offered now (nothing the console holds says it would work), but its key still
    /// asks the engine.
    Unlikely,
    /// Not possible now: its key says why, at this level, and does nothing.
    Blocked(Level, String),
}

use Availability::{Blocked, Ready, Unlikely};

/// Whether `action` can be used in `scope` now.
pub fn of(scope: Scope, action: Action, m: &Model) -> Availability {
    match scope {
        Scope::Table => on_table(action, m),
        // Its copy needs a URL, as on the table.
        Scope::Details if action == Action::CopyMcpUrl => on_table(action, m),
        Scope::Link => match m.mode.link_slug() {
            Some(slug) => in_link_view(action, slug, m),
            None => Ready,
        },
        _ => Ready,
    }
}

/// Ready or not.
fn ready(yes: bool) -> Availability {
    if yes { Ready } else { Unlikely }
}

fn on_table(a: Action, m: &Model) -> Availability {
    if a == Action::ClearFilter {
        return ready(m.table.filtered());
    }
    if let Some(no) = mail_blocked(a, m) {
        return no;
    }
    if a == Action::MailAll && !m.load.loaded {
        return Blocked(
            Level::Info,
            "still loading: M mails the rows shown once all are loaded".into(),
        );
    }
    if a == Action::MailAll && m.table.visible.is_empty() {
        return Blocked(Level::Info, "no tenant shown to mail to".into());
    }
    if a.target() != Target::Tenant {
        return Ready;
    }
    let Some(row) = m.selected_row() else {
        let why = if m.table.rows.is_empty() {
            "no tenant yet: press a to add one"
        } else {
            "no tenant shown: esc clears the filter"
        };
        return Blocked(Level::Info, why.into());
    };
    let slug = &row.slug;
    match a {
        Action::NewLink => ready(takes_links(row)),
        Action::Mail if row.mail_to.is_none() => Blocked(Level::Info, no_address(slug)),
        Action::Mail => ready(takes_links(row)),
        Action::Edit | Action::Offboard => ready(active(row)),
        Action::Withdraw => ready(m.active_links(slug).is_none_or(|(n, _)| n > 0)),
        Action::Retry => ready(standing::retry_offered(&row.standings())),
        Action::CheckToken => ready(holds_consent(row)),
        Action::Approve | Action::Reject => {
            if m.shown_detail()
                .is_some_and(|d| d.pending_consent.is_some())
            {
                Ready
            } else {
                Blocked(
                    Level::Error,
                    format!("{slug} has no consent waiting for approval"),
                )
            }
        }
        Action::CopyMcpUrl => match m.mcp_url() {
            Some(_) => Ready,
            None => Blocked(
                Level::Info,
                format!("{slug} has no MCP URL yet: it comes once its server is deployed"),
            ),
        },
        Action::TimelineBack => ready(layout::timeline_max_back(m) > 0),
        Action::TimelineOn => ready(m.timeline_back() > 0),
        _ => Ready,
    }
}

fn in_link_view(a: Action, slug: &str, m: &Model) -> Availability {
    if let Some(no) = mail_blocked(a, m) {
        return no;
    }
    let issued_here = m.links.contains_key(slug);
    let row = m.row_of(slug).and_then(|i| m.table.rows.get(i));
    match a {
        Action::CopyLink | Action::CopyMessage | Action::Export | Action::Mail if !issued_here => {
            Blocked(
                Level::Info,
                "no link issued in this console yet: press n for a new one".into(),
            )
        }
        Action::Withdraw => ready(issued_here || m.active_links(slug).is_none_or(|(n, _)| n > 0)),
        Action::NewLink => ready(row.is_none_or(takes_links)),
        Action::Mail if row.is_none_or(|r| r.mail_to.is_none()) => {
            Blocked(Level::Info, no_address(slug))
        }
        Action::Mail => match m.issued_link_state(slug) {
            Some(state) if state != LinkState::Active => Blocked(
                Level::Info,
                format!(
                    "this link is {}: it would not work; n issues a new one",
                    state.as_str()
                ),
            ),
            _ => Ready,
        },
        _ => Ready,
    }
}

/// Mailing needs the console's relay, and waits for the mailing under way to end.
fn mail_blocked(a: Action, m: &Model) -> Option<Availability> {
    if !matches!(a, Action::Mail | Action::MailAll) {
        return None;
    }
    if let Err(why) = &m.setup.mail {
        return Some(Blocked(Level::Info, why.clone()));
    }
    let busy = m.mailing.as_ref()?;
    Some(Blocked(
        Level::Info,
        format!("{} (one mailing at a time)", busy.progress()),
    ))
}

/// Offboarding and offboarded tenants take no new links, edits or offboarding.
fn active(row: &TenantSummary) -> bool {
    !matches!(
        row.status,
        TenantStatus::Offboarding | TenantStatus::Offboarded
    )
}

/// Whether the tenant holds a consent whose token can be checked (as the engine's health
/// check decides, from what the row shows: an account that consented, an integration that
/// still stands on it).
fn holds_consent(row: &TenantSummary) -> bool {
    row.google_email.is_some() && standing::token_checkable(&row.standings())
}

/// A tenant waiting for the operator's approval takes no new link until it is decided.
pub(crate) fn takes_links(row: &TenantSummary) -> bool {
    active(row) && row.status != TenantStatus::AwaitingApproval
}

/// The hints of `scope` that can be used now.
pub fn offered(scope: Scope, m: &Model) -> Vec<super::Hint> {
    super::hints(scope)
        .into_iter()
        .filter(|h| of(scope, h.action, m) == Ready)
        .collect()
}
