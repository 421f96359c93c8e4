//! `update(&mut Model, Msg) -> Vec<Effect>`: every change of the console's state, decided
//! without IO. The runner performs the effects and feeds their results back as messages,
//! tagged with the request id they answer.
//!
//! Keys go by what the console is doing ([`keys`]) to the file of that concern: the table,
//! the filter, the palette, the forms, the link view, the full view of a tenant, questions,
//! the help and the set-up panel (its online checks in [`online`]); the engine's events
//! and replies have theirs.

mod attached;
mod confirm;
mod details;
mod effect;
mod engine_events;
mod filter;
mod form;
mod help;
mod keys;
mod link;
mod load;
mod mail;
mod online;
mod palette;
mod question;
mod replies;
mod rows;
mod selected;
mod table;

pub use form::{add_form, validate_form};
pub use load::{FIRST_PAGE, PAGE};
#[cfg(test)]
pub(crate) use mail::summary as mail_summary;
pub use rows::{refilter, set_rows};

use effect::{call, flash, quit_now};

use super::model::{Effect, Level, Model, Msg, Pending};
use crate::engine::api::Command;
use crate::time::Millis;

/// The status is asked again this often (the alarm about our client is in it).
const STATUS_EVERY_MS: i64 = 30_000;

pub fn update(m: &mut Model, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    match msg {
        Msg::Start => engine_events::start(m, &mut fx),
        Msg::Tick(now) => tick(m, now, &mut fx),
        Msg::Resize(w, h) => {
            m.size = (w, h);
            rows::keep_in_view(m);
        }
        Msg::Key(k) => keys::key(m, k, &mut fx),
        Msg::Paste(text) => keys::paste(m, &text, &mut fx),
        Msg::Engine(item) => engine_events::event(m, item, &mut fx),
        Msg::Reply { id, result } => replies::reply(m, id, result, &mut fx),
        Msg::Copied(r) => match r {
            Ok(what) => flash(
                m,
                Level::Ok,
                format!("✔ {what} copied to the clipboard (OSC 52)"),
            ),
            Err(e) => flash(m, Level::Error, format!("copy failed: {e}")),
        },
        Msg::Exported(r) => match r {
            Ok(paths) => flash(
                m,
                Level::Ok,
                format!("✔ QR code written to {}", selected::files(&paths)),
            ),
            Err(e) => flash(m, Level::Error, format!("export failed: {e}")),
        },
        Msg::Signal(name) => {
            tracing::info!(signal = name, "leaving on a signal");
            quit_now(m, &mut fx);
        }
        Msg::OwnerLost => engine_events::owner_lost(m),
        Msg::Reattached(attachment) => engine_events::reattached(m, attachment, &mut fx),
        Msg::LinkIssued(link) => link::keep(m, link),
        Msg::MailProgress { id, done, total } => mail::progress(m, id, done, total),
        Msg::Mailed {
            id,
            reports,
            not_issued,
        } => mail::mailed(m, id, reports, not_issued),
    }
    fx
}

fn tick(m: &mut Model, now: Millis, fx: &mut Vec<Effect>) {
    m.now = now;
    if now - m.engine.status_asked_at >= STATUS_EVERY_MS
        && !m.asked(|p| matches!(p, Pending::Status))
    {
        m.engine.status_asked_at = now;
        call(m, fx, Pending::Status, Command::Status);
    }
    if m.load.reload_at.is_some_and(|t| t <= now) {
        m.load.reload_at = None;
        load::start_load(m, fx);
    }
    if m.flash.as_ref().is_some_and(|f| f.until <= now) {
        m.flash = None;
    }
    mail::keep_progress_shown(m);
}
