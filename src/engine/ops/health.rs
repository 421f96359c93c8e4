//! Token health checks: try the refresh token of each integration holding a consent at
//! Google (with that integration's own OAuth client), classify the answer (see
//! [`crate::domain::health`]) and record the verdict on that integration through the
//! commit point.
//! An answer that condemns an OAuth client flips no tenant: it raises that client's alarm
//! (see [`crate::domain::health_alarm`]), and the round in progress checks no more tokens
//! through that client ([`Paused`]); only an answer through the same client clears it.
//! Rounds: [`super::health_round`].

use std::sync::Mutex;

use super::apply::tenant_in;
use super::grants::REFRESH_TOKEN;
use crate::domain::actor::Actor;
use crate::domain::facet::with_facet;
use crate::domain::health::{Health, HealthAlarm, classify};
use crate::domain::health_alarm::Client;
use crate::domain::health_each::tenant_verdict;
use crate::domain::held::integration_secret;
use crate::domain::lifecycle::{self, Transition};
use crate::domain::model::{Integration, Tenant, TenantStatus};
use crate::domain::token_cause::note_cause;
use crate::domain::transition::TransitionError;
use crate::engine::api::HealthCheck;
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::store::{Durability, StoreError};
use crate::time::{now_ms, rfc3339};

/// Checks in flight at once in a round: Google's token endpoint is shared by all tenants.
pub const CHECK_CONCURRENCY: usize = 4;
/// Inconclusive answers in a row that end a round early.
pub const TRANSIENT_STOP: usize = 8;

/// What a paused client's integration says in a tenant's check.
pub const NOT_CHECKED: &str =
    "not checked: Google refused its OAuth client in this round (see the alarm)";

/// The OAuth clients a round checks no more tokens through: Google condemned them (in this
/// round, or before it and a probe did not clear the alarm).
#[derive(Debug, Default)]
pub struct Paused(Mutex<Vec<Client>>);

impl Paused {
    pub fn add(&self, client: Client) {
        if let Ok(mut p) = self.0.lock()
            && !p.contains(&client)
        {
            p.push(client);
        }
    }

    pub fn holds(&self, client: Client) -> bool {
        self.0.lock().is_ok_and(|p| p.contains(&client))
    }
}

/// Record what a check through `client` said of it, and say when its alarm is raised or
/// over.
fn set_alarm(core: &Core, client: Client, alarm: Option<HealthAlarm>) {
    let which = client.map_or_else(|| "[google]'s".to_owned(), |i| format!("{i}'s own"));
    match core
        .store()
        .node()
        .published()
        .set_health_alarm(client, alarm)
    {
        Some(Some(a)) => {
            tracing::error!(client = %which, reason = %a.reason, "token checks through this OAuth client paused");
        }
        Some(None) => {
            tracing::info!(client = %which, "token checks through this OAuth client resumed: it works");
        }
        None => {}
    }
}

/// The tenants a round checks: those holding a consent (by any of their integrations), in
/// slug order.
pub fn checkable(core: &Core) -> Vec<String> {
    core.store()
        .node()
        .briefs_after(None)
        .iter()
        .filter(|b| !b.consented.is_empty())
        .map(|b| b.slug.clone())
        .collect()
}

pub(super) fn no_client(why: &str) -> EngineError {
    EngineError::Unavailable(format!("token checks need the Google client: {why}"))
}

/// Check one tenant's refresh tokens now, each integration's holding a consent with its
/// own client (but through a client `paused`), and record each verdict on its integration;
/// the check reports the verdict needing attention first (see [`tenant_verdict`]), an
/// integration not checked for its paused client as [`NOT_CHECKED`]. `None`: every one was
/// paused, nothing was checked.
pub(super) async fn check_one(
    core: &Core,
    actor: &Actor,
    slug: &str,
    paused: &Paused,
) -> Result<Option<HealthCheck>, EngineError> {
    let s = slug.to_owned();
    let tenant = core.store().read(move |st| st.tenant(&s)).await?;
    let tenant = tenant.ok_or_else(|| EngineError::UnknownTenant(slug.to_owned()))?;
    let mut status = tenant.summary_status();
    let (mut checked, mut not_checked) = (Vec::new(), Vec::new());
    for i in tenant.consented_integrations() {
        if paused.holds(core.client_key(i)) {
            // The answer would only say the same of that client.
            not_checked.push((i, Health::ClientError, NOT_CHECKED.to_owned()));
            continue;
        }
        let Some((health, reason, after)) =
            check_integration(core, actor, &tenant, i, paused).await?
        else {
            continue;
        };
        status = after;
        checked.push((i, health, reason));
    }
    if checked.is_empty() && !not_checked.is_empty() {
        return Ok(None);
    }
    checked.extend(not_checked);
    let Some((health, reason)) = tenant_verdict(&checked) else {
        return Err(TransitionError::NothingToCheck(slug.to_owned(), "it holds no consent").into());
    };
    Ok(Some(HealthCheck {
        slug: slug.to_owned(),
        health,
        reason,
        checked_at: rfc3339(now_ms()),
        status,
    }))
}

/// Check `integration`'s refresh token with its own client and record the verdict on it:
/// the verdict, its reason and the tenant's status after (`None`: no token is stored). A
/// client error raises that client's alarm and pauses it for the round; any other answer
/// but an inconclusive one clears that client's alarm.
async fn check_integration(
    core: &Core,
    actor: &Actor,
    tenant: &Tenant,
    integration: Integration,
    paused: &Paused,
) -> Result<Option<(Health, String, TenantStatus)>, EngineError> {
    let added = (integration != tenant.integration).then_some(integration);
    let (s, name) = (
        tenant.slug.clone(),
        integration_secret(added, REFRESH_TOKEN),
    );
    let token = core.store().read(move |st| st.secret(&s, &name)).await?;
    let google = core.google_as(actor, integration).map_err(no_client)?;
    let Some(token) = token else {
        return Ok(None);
    };
    let answer = google.refresh(&token).await.map_err(StoreError::from)?;
    let (health, reason) = classify(&answer);
    let client = core.client_key(integration);
    if health == Health::ClientError {
        paused.add(client);
        // An integration's own client is named: the others may work.
        let said = if client.is_some() {
            format!("{integration}'s own OAuth client: {reason}")
        } else {
            reason.clone()
        };
        let alarm = HealthAlarm {
            reason: said,
            since: rfc3339(now_ms()),
        };
        set_alarm(core, client, Some(alarm));
        return Ok(Some((health, reason, tenant.summary_status())));
    }
    if health != Health::Transient {
        // Google answered for this client: whatever alarm there was about it is over.
        set_alarm(core, client, None);
    }
    let consented_at = tenant.facet(integration).and_then(|f| f.consented_at);
    let s = tenant.slug.clone();
    let t = Transition::HealthChecked {
        health,
        reason: reason.clone(),
    };
    let after = core
        .commit(actor, Durability::Lazy, move |tx| {
            let cur = tenant_in(tx, &s)?;
            let unchanged = cur
                .facet(integration)
                .is_some_and(|f| f.consented_at == consented_at && f.holds_consent());
            if !unchanged {
                // A new consent (a new token) came while we asked about the old one.
                return Ok(cur.summary_status());
            }
            let now = tx.now();
            let issued_now = cur.tokens_issued_for_account();
            let (next, event) = with_facet(&cur, added, |f| {
                let (mut next, event) = lifecycle::apply(f, &t, now)?;
                if health == Health::NeedsReconsent {
                    note_cause(&mut next, issued_now, now);
                }
                let keep = lifecycle::health_entry_kept(f.health.as_ref(), next.health.as_ref());
                if !keep && next.status == f.status {
                    // The same verdict again is no change to show as the tenant's last.
                    next.updated_at = f.updated_at;
                }
                Ok::<_, EngineError>((next, keep.then_some(event)))
            })?;
            let status = next.summary_status();
            tx.put_tenant(next, event)?;
            Ok(status)
        })
        .await?;
    Ok(Some((health, reason, after)))
}
