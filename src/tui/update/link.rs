//! The link view of a tenant (its link, issued in this console, to copy, send or export as
//! a QR code) and issuing links: from the table, the link view, the palette or the add form.

use std::time::Duration;

use super::effect::call;
use super::rows::want_detail;
use super::{help, question};
use crate::engine::api::{Command, LinkView};
use crate::tui::commands::Action;
use crate::tui::model::{Effect, Level, Mode, Model, Pending};

/// A link's lifetime unless the operator says otherwise.
pub(super) const DEFAULT_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

pub(super) fn act(m: &mut Model, a: Action, fx: &mut Vec<Effect>) {
    let Mode::Link(slug) = &m.mode else {
        return;
    };
    let slug = slug.clone();
    match a {
        Action::Back => m.mode = Mode::Table,
        Action::Help => help::open(m),
        Action::NewLink => new_link(m, slug, DEFAULT_TTL.as_secs(), fx),
        Action::Withdraw => question::ask_withdraw(m, slug),
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
                    data_dir: m.setup.data_dir.clone().into(),
                    name: format!("{slug}-{}", link.id),
                    url: link.url,
                },
            });
        }
        _ => {}
    }
}

/// A new link for `slug`, valid `ttl_secs`.
pub(super) fn new_link(m: &mut Model, slug: String, ttl_secs: u64, fx: &mut Vec<Effect>) {
    issue(m, slug, ttl_secs, false, fx);
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
            slug,
            ttl_secs,
            replace,
        },
    );
}

/// The link came: it is kept (only this console ever sees its text) and its view opens,
/// unless the operator is in the middle of something else.
pub(super) fn issued(m: &mut Model, slug: String, l: LinkView, fx: &mut Vec<Effect>) {
    m.links.insert(slug.clone(), l);
    if matches!(m.mode, Mode::Table | Mode::Link(_)) {
        m.mode = Mode::Link(slug.clone());
    }
    super::effect::flash(m, Level::Ok, format!("✔ new consent link for {slug}"));
    want_detail(m, fx);
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
        },
    )
}
