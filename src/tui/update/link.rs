//! The link view of a tenant (its link, issued in this console, to copy, send or export as
//! a QR code) and issuing links: from the table, the link view, the palette or the add form.

use super::effect::{call, flash};
use super::rows::want_detail;
use super::{help, mail, question};
use crate::domain::link_ttl::DEFAULT_LINK_TTL;
use crate::engine::api::{Command, LinkView};
use crate::time::Millis;
use crate::tui::clock::countdown;
use crate::tui::commands::Action;
use crate::tui::model::{ConfirmAction, Effect, Level, Mode, Model, Pending};

pub(super) fn act(m: &mut Model, a: Action, fx: &mut Vec<Effect>) {
    let Mode::Link(slug) = &m.mode else {
        return;
    };
    let slug = slug.clone();
    match a {
        Action::Back => m.mode = Mode::Table,
        Action::Help => help::open(m),
        Action::NewLink => new_link(m, slug, DEFAULT_LINK_TTL.as_secs(), fx),
        Action::Withdraw => question::ask_withdraw(m, slug),
        Action::Mail => mail::mail_shown_link(m, &slug, fx),
        Action::CopyLink | Action::CopyMessage | Action::Export => {
            // Available only with a link issued here.
            let Some(link) = m.links.get(&slug).cloned() else {
                return;
            };
            fx.push(match a {
                Action::CopyLink => Effect::Copy {
                    text: link.url.clone(),
                    what: "the link".into(),
                },
                Action::CopyMessage => Effect::Copy {
                    text: message(m, &slug, &link),
                    what: "the message".into(),
                },
                _ => Effect::Export {
                    folder: m.setup.exports.clone(),
                    name: format!("{slug}-{}", link.id),
                    url: link.url,
                },
            });
        }
        _ => {}
    }
}

/// A new link for `slug`, valid `ttl_secs`. When its detail shows earlier links still
/// active, the operator says first whether they stay valid or are withdrawn with it; when
/// the detail is not in yet, the flash after says what became of them.
pub(super) fn new_link(m: &mut Model, slug: String, ttl_secs: u64, fx: &mut Vec<Effect>) {
    match m.active_links(&slug) {
        Some((n, until)) if n > 0 => {
            let text = format!(
                "New link for {slug}: its {} unless withdrawn now.",
                still_valid(n, until, m.now)
            );
            question::ask(m, text, ConfirmAction::EarlierLinks { slug, ttl_secs });
        }
        _ => issue(m, slug, ttl_secs, false, fx),
    }
}

/// `2 earlier links stay valid (the last expires in 6d 0h)`.
fn still_valid(n: usize, until: Option<Millis>, now: Millis) -> String {
    let when = until.map(|at| countdown(now, at));
    match (n, when) {
        (1, Some(w)) => format!("1 earlier link stays valid (it expires {w})"),
        (1, None) => "1 earlier link stays valid".into(),
        (n, Some(w)) => format!("{n} earlier links stay valid (the last expires {w})"),
        (n, None) => format!("{n} earlier links stay valid"),
    }
}

/// What became of the tenant's other links when this one was issued.
fn earlier_note(l: &LinkView, now: Millis) -> String {
    let withdrawn = l.withdrawn.as_deref().unwrap_or_default();
    let n = withdrawn.len();
    if n > 0 {
        let s = if n == 1 { "" } else { "s" };
        return format!(
            "; {n} earlier link{s} withdrawn ({}): only the new one works",
            withdrawn.join(", ")
        );
    }
    if l.earlier_active > 0 {
        return format!(
            "; {}",
            still_valid(l.earlier_active, l.earlier_active_until_ms, now)
        );
    }
    String::new()
}

/// Ask the engine for the link; with `replace`, the tenant's other active links are
/// withdrawn in the same commit.
pub(super) fn issue(
    m: &mut Model,
    slug: String,
    ttl_secs: u64,
    replace: bool,
    fx: &mut Vec<Effect>,
) {
    call(
        m,
        fx,
        Pending::Link(slug.clone()),
        Command::IssueLink {
            integration: None,
            slug,
            ttl_secs,
            replace,
        },
    );
}

/// The link came: it is kept (only this console ever sees its text) and its view opens,
/// unless the operator is in the middle of something else.
pub(super) fn issued(m: &mut Model, slug: String, l: LinkView, fx: &mut Vec<Effect>) {
    let note = earlier_note(&l, m.now);
    m.links.insert(slug.clone(), l);
    if matches!(m.mode, Mode::Table | Mode::Link(_)) {
        m.mode = Mode::Link(slug.clone());
    }
    flash(m, Level::Ok, format!("✔ new consent link for {slug}{note}"));
    want_detail(m, fx);
}

/// A link issued for this console by someone else (the demo's sample): kept quietly, for
/// its tenant's link view.
pub(super) fn keep(m: &mut Model, link: LinkView) {
    m.links.insert(link.slug.clone(), link);
}

/// The ready-to-send message for a link.
pub fn message(m: &Model, slug: &str, link: &LinkView) -> String {
    let row = m.table.rows.iter().find(|r| r.slug == slug);
    let name = row.map_or(slug, |r| r.display_name.as_str());
    crate::message::render(
        &m.setup.message_template,
        &crate::message::MessageFacts {
            tenant: name,
            link: &link.url,
            expires: &link.expires_at,
            integration: crate::domain::model::Integration::Gmail,
            expected: row.and_then(|r| r.expected_account.as_ref()),
            lang: row
                .and_then(|r| r.lang.as_deref())
                .and_then(crate::i18n::Lang::from_tag),
        },
    )
}
