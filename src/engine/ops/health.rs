//! Token health checks: try each consented tenant's refresh token at Google, classify the
//! answer (see [`crate::domain::health`]) and record the verdict through the commit point.
//! An answer that condemns our OAuth client flips no tenant: it raises one alarm and the
//! periodic checks pause (probing one tenant per round) until the client works again.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use futures_util::StreamExt;

use super::apply::tenant_in;
use super::grants::REFRESH_TOKEN;
use crate::domain::actor::Actor;
use crate::domain::health::{Health, HealthAlarm, classify};
use crate::domain::lifecycle::{self, Transition};
use crate::domain::transition::TransitionError;
use crate::engine::api::{HealthCheck, Reply, Skipped};
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::operation::Operation;
use crate::store::Durability;
use crate::time::{now_ms, rfc3339};

/// Checks in flight at once in a round: Google's token endpoint is shared by all tenants.
pub const CHECK_CONCURRENCY: usize = 4;
/// Inconclusive answers in a row that end a round early.
pub const TRANSIENT_STOP: usize = 8;

/// Record what a check said about our client, and say when the alarm is raised or over.
fn set_alarm(core: &Core, alarm: Option<HealthAlarm>) {
    match core.store().node().published().set_health_alarm(alarm) {
        Some(Some(a)) => tracing::error!(reason = %a.reason, "token checks paused"),
        Some(None) => tracing::info!("token checks resumed: the OAuth client works"),
        None => {}
    }
}

/// The tenants a round checks: those holding a consent, in slug order.
pub fn checkable(core: &Core) -> Vec<String> {
    core.store()
        .node()
        .briefs_after(None)
        .iter()
        .filter(|b| b.consent_sub.is_some())
        .map(|b| b.slug.clone())
        .collect()
}

fn no_client(why: &str) -> EngineError {
    EngineError::Unavailable(format!("token checks need the Google client: {why}"))
}

/// Check one tenant's refresh token now and record the verdict.
async fn check_one(core: &Core, actor: &Actor, slug: &str) -> Result<HealthCheck, EngineError> {
    let google = core.google().map_err(no_client)?;
    let s = slug.to_owned();
    let (tenant, token) = core
        .store()
        .read(move |st| Ok((st.tenant(&s)?, st.secret(&s, REFRESH_TOKEN)?)))
        .await?;
    let tenant = tenant.ok_or_else(|| EngineError::UnknownTenant(slug.to_owned()))?;
    let (Some(token), true) = (token, tenant.holds_consent()) else {
        return Err(TransitionError::NothingToCheck(slug.to_owned(), "it holds no consent").into());
    };
    let answer = google.refresh(&token).await;
    let (health, reason) = classify(&answer);
    let now = now_ms();
    if health == Health::ClientError {
        set_alarm(
            core,
            Some(HealthAlarm {
                reason: reason.clone(),
                since: rfc3339(now),
            }),
        );
        return Ok(HealthCheck {
            slug: slug.to_owned(),
            health,
            reason,
            checked_at: rfc3339(now),
            status: tenant.status,
        });
    }
    if health != Health::Transient {
        // Google answered for the client: whatever alarm there was is over.
        set_alarm(core, None);
    }
    let consented_at = tenant.consented_at;
    let s = slug.to_owned();
    let t = Transition::HealthChecked {
        health,
        reason: reason.clone(),
    };
    let after = core
        .commit(actor, Durability::Lazy, move |tx| {
            let cur = tenant_in(tx, &s)?;
            if cur.consented_at != consented_at || !cur.holds_consent() {
                // A new consent (a new token) came while we asked about the old one.
                return Ok(cur);
            }
            let (mut next, event) = lifecycle::apply(&cur, &t, tx.now())?;
            let keep = lifecycle::health_entry_kept(cur.health.as_ref(), next.health.as_ref());
            if !keep && next.status == cur.status {
                // The same verdict again is no change to show as the tenant's last.
                next.updated_at = cur.updated_at;
            }
            tx.put_tenant(next.clone(), keep.then_some(event))?;
            Ok(next)
        })
        .await?;
    Ok(HealthCheck {
        slug: slug.to_owned(),
        health,
        reason,
        checked_at: rfc3339(now),
        status: after.status,
    })
}

/// A round of checks of these tenants, a few at a time. A client error stops the round
/// (the others would only say the same), and so do [`TRANSIENT_STOP`] inconclusive answers
/// in a row (Google is busy: asking about every other tenant now would only add to it).
/// Its output: the checks made and the tenants not checked, with why.
pub struct CheckRound {
    pub slugs: Vec<String>,
}

impl Operation for CheckRound {
    type Output = (Vec<HealthCheck>, Vec<Skipped>);

    async fn run(self, core: &Core, actor: &Actor) -> Self::Output {
        let stop = AtomicBool::new(false);
        let transient_run = AtomicUsize::new(0);
        let (stop, transient_run) = (&stop, &transient_run);
        let results: Vec<Result<HealthCheck, Skipped>> = futures_util::stream::iter(self.slugs)
            .map(|slug| async move {
                if stop.load(Ordering::Relaxed) {
                    return Err(Skipped {
                        slug,
                        reason: "the round stopped early (see the checks made)".into(),
                    });
                }
                let what = format!("token check of {slug}");
                let checked = crate::task_guard::catch_panic(&what, check_one(core, actor, &slug))
                    .await
                    .unwrap_or_else(|why| {
                        Err(EngineError::Unavailable(format!(
                            "an internal error stopped the check ({why}; logged)"
                        )))
                    });
                match checked {
                    Ok(check) => {
                        match check.health {
                            Health::ClientError => stop.store(true, Ordering::Relaxed),
                            Health::Transient => {
                                if transient_run.fetch_add(1, Ordering::Relaxed) + 1
                                    >= TRANSIENT_STOP
                                {
                                    stop.store(true, Ordering::Relaxed);
                                }
                            }
                            _ => transient_run.store(0, Ordering::Relaxed),
                        }
                        Ok(check)
                    }
                    Err(e) => Err(Skipped {
                        slug,
                        reason: e.to_string(),
                    }),
                }
            })
            .buffer_unordered(CHECK_CONCURRENCY)
            .collect()
            .await;
        let (mut done, mut skipped) = (Vec::new(), Vec::new());
        for r in results {
            match r {
                Ok(c) => done.push(c),
                Err(s) => skipped.push(s),
            }
        }
        done.sort_by(|a, b| a.slug.cmp(&b.slug));
        skipped.sort_by(|a, b| a.slug.cmp(&b.slug));
        (done, skipped)
    }
}

/// `health [SLUG]`: one tenant, or every tenant holding a consent.
pub async fn command(
    core: &Core,
    actor: &Actor,
    slug: Option<String>,
) -> Result<Reply, EngineError> {
    core.google().map_err(no_client)?;
    let (checks, skipped) = match slug {
        Some(s) => (vec![check_one(core, actor, &s).await?], Vec::new()),
        None => {
            CheckRound {
                slugs: checkable(core),
            }
            .run(core, actor)
            .await
        }
    };
    Ok(Reply::Health {
        checks,
        skipped,
        alarm: core.store().node().published().health_alarm(),
    })
}
