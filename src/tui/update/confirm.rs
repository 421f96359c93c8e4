//! The answer to a question: yes does what was asked, no (or `Esc`) goes back to where it
//! was asked. A new link's question about the earlier links has three answers: keep them,
//! withdraw them, or issue nothing.

use super::effect::{call, quit_now};
use super::{link, mail};
use crate::engine::api::Command;
use crate::tui::commands::Action;
use crate::tui::model::{ConfirmAction, Effect, Mode, Model, Pending};

pub(super) fn act(m: &mut Model, a: Action, fx: &mut Vec<Effect>) {
    let Mode::Confirm { confirm, back } = std::mem::replace(&mut m.mode, Mode::Table) else {
        return;
    };
    m.mode = *back;
    if !matches!(
        a,
        Action::Confirm | Action::KeepLinks | Action::WithdrawLinks
    ) {
        return;
    }
    let (p, command) = match confirm.action {
        ConfirmAction::Withdraw(slug) => (
            Pending::Withdraw(slug.clone()),
            Command::RevokeLinks { slug },
        ),
        ConfirmAction::Approve(slug) => (Pending::Approve(slug.clone()), Command::Approve { slug }),
        ConfirmAction::Reject(slug) => (Pending::Reject(slug.clone()), Command::Reject { slug }),
        ConfirmAction::Offboard(slug) => (
            Pending::Offboard(slug.clone()),
            Command::Offboard { slugs: vec![slug] },
        ),
        ConfirmAction::Quit => return quit_now(m, fx),
        ConfirmAction::EarlierLinks { slug, ttl_secs } => {
            let replace = a == Action::WithdrawLinks;
            return link::issue(m, slug, ttl_secs, replace, fx);
        }
        ConfirmAction::MailAll { to, without } => return mail::mail_all(m, &to, without, fx),
    };
    call(m, fx, p, command);
}
