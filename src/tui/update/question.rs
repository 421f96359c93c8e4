//! The questions the console asks before it does something that cannot be taken back
//! (withdrawing links, deciding a waiting consent, offboarding, quitting an owner that
//! others use). A question opens over what the operator was doing and goes back to it.

use super::effect::{call, quit_now};
use crate::engine::api::{Command, StatusView};
use crate::tui::commands::Action;
use crate::tui::model::{Confirm, ConfirmAction, Effect, Mailing, Mode, Model, Pending};

/// Ask `text`, to do `action` on a yes.
pub(super) fn ask(m: &mut Model, text: String, action: ConfirmAction) {
    let back = std::mem::replace(&mut m.mode, Mode::Table).underneath();
    m.mode = Mode::Confirm {
        confirm: Confirm { text, action },
        back: Box::new(back),
    };
}

pub(super) fn ask_withdraw(m: &mut Model, slug: String) {
    ask(
        m,
        format!(
            "Withdraw every unused consent link of {slug}? Customers who have them will see \"This link was withdrawn\"."
        ),
        ConfirmAction::Withdraw(slug),
    );
}

pub(super) fn ask_offboard(m: &mut Model, slug: String) {
    ask(
        m,
        format!(
            "Offboard {slug}? Its grant goes back to Google (unless another tenant holds a consent by that account), its MCP server and connection are deleted at Blaxel and its secrets wiped. The record stays, as offboarded."
        ),
        ConfirmAction::Offboard(slug),
    );
}

/// `A`/`X`: only for a tenant with a consent waiting, shown with both accounts.
pub(super) fn ask_decision(m: &mut Model, a: Action, slug: String) {
    let waiting = m.shown_detail().and_then(|d| {
        d.pending_consent
            .clone()
            .map(|p| (p, d.google_email.clone()))
    });
    // None waiting: the command was not available, and said so.
    let Some((p, before)) = waiting else {
        return;
    };
    let before = before.unwrap_or_else(|| "the previous account".into());
    if a == Action::Approve {
        ask(
            m,
            format!(
                "Approve the consent of {slug} by {}? It replaces {before}: its token goes to Blaxel, and {before}'s grant is given back at Google unless another tenant holds a consent by it.",
                p.account
            ),
            ConfirmAction::Approve(slug),
        );
    } else {
        ask(
            m,
            format!(
                "Reject the consent of {slug} by {}? Its grant is given back at Google (unless another tenant holds a consent by it) and wiped; {before} stays.",
                p.account
            ),
            ConfirmAction::Reject(slug),
        );
    }
}

/// Quitting a console that owns the runtime stops the listener: ask first when that would
/// cut someone off. The numbers are asked for afresh (a console may have attached a moment
/// ago); the answer decides. Any console asks first while a mailing is under way.
pub(super) fn ask_quit(m: &mut Model, fx: &mut Vec<Effect>) {
    if m.setup.owns() {
        if !m.asked(|p| *p == Pending::QuitCheck) {
            call(m, fx, Pending::QuitCheck, Command::Status);
        }
        return;
    }
    match m.mailing.as_ref().map(Mailing::cut_short) {
        Some(mailing) => ask(m, format!("Quit anyway? {mailing}"), ConfirmAction::Quit),
        None => quit_now(m, fx),
    }
}

/// The fresh numbers for `q` on the owning console.
pub(super) fn quit_checked(m: &mut Model, s: &StatusView, fx: &mut Vec<Effect>) {
    let (others, flows) = (s.subscribers.saturating_sub(1), s.pending_flows);
    let mailing = m.mailing.as_ref().map(Mailing::cut_short);
    if others == 0 && flows == 0 && mailing.is_none() {
        quit_now(m, fx);
        return;
    }
    let mut why = Vec::new();
    if others > 0 {
        why.push(format!(
            "{others} other console{} or watcher{} attached",
            plural(others),
            plural(others)
        ));
    }
    if flows > 0 {
        why.push(format!("{flows} customer{} mid-consent", plural(flows)));
    }
    let mut text = if why.is_empty() {
        "Quit and stop the listener?".to_owned()
    } else {
        format!(
            "Quit and stop the listener? {} will lose it.",
            why.join(" and ")
        )
    };
    if let Some(mailing) = mailing {
        text.push(' ');
        text.push_str(&mailing);
    }
    ask(m, text, ConfirmAction::Quit);
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
