//! The engine's answers, matched with what they were asked for (a reply nobody waits for
//! any more is dropped): pages of the list, the status, a tenant's detail, and the outcome
//! of each command, said in a flash.

use super::effect::{call, flash, quit_now};
use super::load::{page_failed, page_in};
use super::rows::{select_slug, upsert, want_detail};
use super::{attached, link, question, selected};
use crate::domain::health::Health;
use crate::engine::ApiError;
use crate::engine::api::{Command, Reply, TenantSummary, TenantView};
use crate::tui::model::{Effect, Level, Mode, Model, Pending};

pub(super) fn reply(m: &mut Model, id: u64, result: Result<Reply, ApiError>, fx: &mut Vec<Effect>) {
    let Some(p) = m.requests.pending.remove(&id) else {
        return; // Stale: nobody waits for it.
    };
    match result {
        Ok(r) => answered(m, id, p, r, fx),
        Err(e) => refused(m, id, p, e, fx),
    }
}

fn refused(m: &mut Model, id: u64, p: Pending, e: ApiError, fx: &mut Vec<Effect>) {
    match &p {
        // The engine cannot say: nothing to protect that could be seen.
        Pending::QuitCheck => return quit_now(m, fx),
        Pending::Add { .. } | Pending::Edit(_) => {
            if let Mode::Form(f) = &mut m.mode {
                f.error = Some(e.message.clone());
                return;
            }
        }
        Pending::Show(_) => {
            m.detail.view = None;
            if m.detail.wanted.take().is_some() {
                want_detail(m, fx);
            }
            return;
        }
        Pending::Retry(slug) => return selected::retry_refused(m, slug, &e.message),
        Pending::CheckOnline => return super::online::refused(m, id, &e.message),
        Pending::Page { generation, .. } if page_failed(m, *generation) => {
            flash(
                m,
                Level::Error,
                format!("✖ could not load the tenants: {}; trying again", e.message),
            );
            return;
        }
        _ => {}
    }
    flash(m, Level::Error, format!("✖ {}", e.message));
}

fn answered(m: &mut Model, id: u64, p: Pending, r: Reply, fx: &mut Vec<Effect>) {
    match (p, r) {
        (Pending::Page { generation, limit }, Reply::Tenants { tenants, .. }) => {
            page_in(m, generation, limit, tenants, fx);
        }
        (Pending::CheckOnline, Reply::Online { lines }) => super::online::done(m, id, lines),
        (Pending::Status, Reply::Status(s)) => {
            m.engine.provisioner = s.provisioner_state.clone();
            attached::take_status(m, &s);
            m.engine.status = Some(*s);
        }
        (Pending::QuitCheck, Reply::Status(s)) => {
            m.engine.provisioner = s.provisioner_state.clone();
            question::quit_checked(m, &s, fx);
            m.engine.status = Some(*s);
        }
        (Pending::Show(slug), Reply::Tenant(t)) => {
            let still = m.selected_slug().as_deref() == Some(slug.as_str());
            if still {
                m.detail.view = Some(*t);
            }
            if let Some(next) = m.detail.wanted.take()
                && (next != slug || !still)
            {
                want_detail(m, fx);
            }
        }
        (Pending::Add { slug, ttl }, Reply::Tenant(t)) => added(m, slug, ttl, &t, fx),
        (Pending::Edit(slug), Reply::Tenant(t)) => {
            if matches!(m.mode, Mode::Form(_)) {
                m.mode = Mode::Table;
            }
            flash(m, Level::Ok, format!("✔ tenant {slug} saved"));
            set_detail_if_selected(m, *t);
        }
        (Pending::Link(slug), Reply::Link(l)) => link::issued(m, slug, l, fx),
        (Pending::Withdraw(slug), Reply::Tenant(t)) => {
            m.links.remove(&slug);
            flash(m, Level::Ok, format!("✔ unused links of {slug} withdrawn"));
            set_detail_if_selected(m, *t);
        }
        (Pending::Retry(slug), Reply::Tenant(t)) => {
            flash(m, Level::Ok, format!("✔ provisioning of {slug} runs again"));
            set_detail_if_selected(m, *t);
        }
        (
            Pending::Offboard(slug),
            Reply::Offboarding {
                started, skipped, ..
            },
        ) => {
            if started.contains(&slug) {
                flash(
                    m,
                    Level::Ok,
                    format!("✔ offboarding {slug}: each step shows on its timeline"),
                );
            } else {
                let why = skipped
                    .first()
                    .map_or("refused".to_owned(), |s| s.reason.clone());
                flash(m, Level::Error, format!("✖ {slug} not offboarded: {why}"));
            }
        }
        (Pending::Approve(slug), Reply::Tenant(t)) => {
            flash(
                m,
                Level::Ok,
                format!("✔ {slug}: the new account's consent is in; provisioning runs"),
            );
            set_detail_if_selected(m, *t);
        }
        (Pending::Reject(slug), Reply::Tenant(t)) => {
            flash(
                m,
                Level::Ok,
                format!("✔ {slug}: the waiting consent was rejected and wiped"),
            );
            set_detail_if_selected(m, *t);
        }
        (Pending::CheckToken(slug), Reply::Health { checks, alarm, .. }) => {
            if let Some(s) = m.engine.status.as_mut() {
                s.health_alarm = alarm.clone();
            }
            match checks.first() {
                Some(c) => {
                    let level = match c.health {
                        Health::Healthy => Level::Ok,
                        Health::Transient => Level::Info,
                        _ => Level::Error,
                    };
                    flash(
                        m,
                        level,
                        format!("{slug}: token {}: {}", c.health, c.reason),
                    );
                }
                None => flash(m, Level::Info, format!("{slug}: nothing checked")),
            }
            // The check may have changed the tenant: its event brings the row; ask the detail.
            if m.selected_slug().as_deref() == Some(slug.as_str()) {
                call(
                    m,
                    fx,
                    Pending::Show(slug.clone()),
                    Command::ShowTenant { slug },
                );
            }
        }
        _ => {}
    }
}

/// A tenant was added: its row at once (its event may come later), selected, the form
/// closed, and its first link asked for when the form gave a lifetime.
fn added(m: &mut Model, slug: String, ttl: Option<u64>, t: &TenantView, fx: &mut Vec<Effect>) {
    if matches!(m.mode, Mode::Form(_)) {
        m.mode = Mode::Table;
    }
    upsert(
        m,
        TenantSummary {
            slug: t.slug.clone(),
            display_name: t.display_name.clone(),
            status: t.status,
            failure: t.failure,
            reason: t.reason.clone(),
            google_email: t.google_email.clone(),
            expected_account: t.expected_account.clone(),
            step: None,
            blaxel_status: None,
            mcp_url: None,
            lang: t.lang.clone(),
            statuses: t.statuses.clone(),
            mail_to: t.mail_to.clone(),
            mailed: t.mailed.clone(),
            updated_at: t.updated_at.clone(),
            updated_ms: m.now,
        },
    );
    select_slug(m, &slug, fx);
    flash(m, Level::Ok, format!("✔ tenant {slug} added"));
    if let Some(ttl) = ttl {
        link::issue(m, slug, ttl, false, fx);
    }
}

/// A reply carries a tenant's detail: shown only if that tenant is still the one selected
/// (the operator may have moved on while it was out).
fn set_detail_if_selected(m: &mut Model, t: TenantView) {
    if m.selected_slug().as_deref() == Some(t.slug.as_str()) {
        m.detail.view = Some(t);
    }
}
