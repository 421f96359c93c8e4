//! What the engine says without being asked: its events (a tenant changed or went, a link
//! changed, the provisioner's state), a lag that calls for a fresh load, and the owner going
//! away and coming back.

use super::details;
use super::effect::{call, flash};
use super::load::start_load;
use super::rows::{remove, upsert, want_detail};
use crate::engine::api::Command;
use crate::engine::{Attachment, EventBody, Item};
use crate::tui::model::{Effect, Level, Model, Pending};

/// Ask for the first data (at start, and again when attached anew): the status and the
/// tenants.
pub(super) fn start(m: &mut Model, fx: &mut Vec<Effect>) {
    call(m, fx, Pending::Status, Command::Status);
    start_load(m, fx);
}

pub(super) fn event(m: &mut Model, item: Item, fx: &mut Vec<Effect>) {
    let e = match item {
        Item::Event(e) => e,
        Item::Lagged { missed } => {
            flash(
                m,
                Level::Info,
                format!("caught up after missing {missed} events"),
            );
            start_load(m, fx);
            call(m, fx, Pending::Status, Command::Status);
            return;
        }
    };
    let selected = m.selected_slug();
    match e.body {
        EventBody::TenantChanged { slug, summary, .. } => {
            if let Some(s) = summary {
                upsert(m, s);
            }
            if selected.is_none() || selected.as_deref() == Some(slug.as_str()) {
                want_detail(m, fx);
            }
        }
        EventBody::TenantRemoved { slug } => {
            remove(m, &slug);
            details::gone(m, &slug);
            if selected.as_deref() == Some(slug.as_str()) {
                want_detail(m, fx);
            }
        }
        EventBody::LinkChanged { slug, .. } => {
            if selected.as_deref() == Some(slug.as_str()) {
                want_detail(m, fx);
            }
        }
        EventBody::ProvisionerChanged { provisioner } => m.engine.provisioner = provisioner,
    }
}

/// An attached console's owner went away: said, and nothing in flight will be answered.
pub(super) fn owner_lost(m: &mut Model) {
    if m.engine.lost.is_none() {
        m.engine.lost = Some(m.now);
    }
    let pid = match m.setup.attachment {
        Attachment::Socket { pid, .. } => format!(" (pid {pid})"),
        Attachment::InProcess { .. } => String::new(),
    };
    flash(
        m,
        Level::Error,
        format!("✖ the owner{pid} went away: reconnecting; what is shown may be stale"),
    );
    m.requests.pending.clear();
    m.detail.wanted = None;
}

/// An owner answers again: everything is loaded afresh.
pub(super) fn reattached(m: &mut Model, attachment: Attachment, fx: &mut Vec<Effect>) {
    let pid = match &attachment {
        Attachment::Socket { pid, .. } | Attachment::InProcess { pid, .. } => *pid,
    };
    m.setup.attachment = attachment;
    m.engine.lost = None;
    flash(m, Level::Ok, format!("✔ attached again, to pid {pid}"));
    start(m, fx);
    want_detail(m, fx);
}
