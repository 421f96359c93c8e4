//! Token health checks: try each consented tenant's refresh token at Google, classify the
//! answer (see [`crate::domain::health`]) and record the verdict through the commit point.
//! An answer that condemns our OAuth client flips no tenant: it raises one alarm and the
//! periodic checks pause (probing one tenant per round) until the client works again.

use serde::{Deserialize, Serialize};

use super::api::{Reply, Skipped};
use super::error::EngineError;
use super::handle::Engine;
use crate::domain::health::{Health, TokenHealth, classify};
use crate::domain::lifecycle::{self, Transition};
use crate::domain::model::TenantStatus;
use crate::store::Durability;
use crate::time::{Millis, now_ms};

/// Checks in flight at once in a round: Google's token endpoint is shared by all tenants.
pub const CHECK_CONCURRENCY: usize = 4;
/// Inconclusive answers in a row that end a round early.
pub const TRANSIENT_STOP: usize = 8;

/// One tenant's check, as faces show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub slug: String,
    pub health: Health,
    pub reason: String,
    pub checked_at: String,
    /// The tenant's status after the check.
    pub status: TenantStatus,
}

pub use crate::domain::health::HealthAlarm;

impl Engine {
    /// The alarm about our OAuth client, if one is raised.
    pub fn health_alarm(&self) -> Option<HealthAlarm> {
        self.store.node().published().health_alarm()
    }

    fn set_alarm(&self, alarm: Option<HealthAlarm>) {
        match self.store.node().published().set_health_alarm(alarm) {
            Some(Some(a)) => tracing::error!(reason = %a.reason, "token checks paused"),
            Some(None) => tracing::info!("token checks resumed: the OAuth client works"),
            None => {}
        }
    }

    /// The tenants a round checks: those holding a consent, in slug order.
    pub fn checkable(&self) -> Vec<String> {
        self.store
            .node()
            .briefs_after(None)
            .iter()
            .filter(|b| b.consent_sub.is_some())
            .map(|b| b.slug.clone())
            .collect()
    }

    /// Check one tenant's refresh token now and record the verdict.
    pub async fn check_health_of(&self, slug: &str) -> Result<HealthCheck, EngineError> {
        let Some(google) = &self.google else {
            return Err(EngineError::Unavailable(format!(
                "token checks need the Google client: {}",
                self.google_missing.clone().unwrap_or_default()
            )));
        };
        let s = slug.to_owned();
        let (tenant, token) = self
            .store
            .read(move |st| Ok((st.tenant(&s)?, st.secret(&s, "refresh_token")?)))
            .await?;
        let tenant = tenant.ok_or_else(|| EngineError::UnknownTenant(slug.to_owned()))?;
        let (Some(token), true) = (token, tenant.holds_consent()) else {
            return Err(crate::domain::transition::TransitionError::NothingToCheck(
                slug.to_owned(),
                "it holds no consent",
            )
            .into());
        };
        let answer = google.refresh(&token).await;
        let (health, reason) = classify(&answer);
        let now = now_ms();
        if health == Health::ClientError {
            self.set_alarm(Some(HealthAlarm {
                reason: reason.clone(),
                since: crate::time::rfc3339(now),
            }));
            return Ok(HealthCheck {
                slug: slug.to_owned(),
                health,
                reason,
                checked_at: crate::time::rfc3339(now),
                status: tenant.status,
            });
        }
        if health != Health::Transient {
            // Google answered for the client: whatever alarm there was is over.
            self.set_alarm(None);
        }
        let consented_at = tenant.consented_at;
        let s = slug.to_owned();
        let t = Transition::HealthChecked {
            health,
            reason: reason.clone(),
        };
        let after = self
            .commit(Durability::Lazy, move |tx| {
                let cur = tx
                    .tenant(&s)?
                    .ok_or_else(|| EngineError::UnknownTenant(s.clone()))?;
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
            checked_at: crate::time::rfc3339(now),
            status: after.status,
        })
    }

    /// Check these tenants, a few at a time. A client error stops the round (the others
    /// would only say the same), and so do [`TRANSIENT_STOP`] inconclusive answers in a row
    /// (Google is busy: asking about every other tenant now would only add to it). Returns
    /// the checks made and the tenants not checked, with why.
    pub async fn check_health(&self, slugs: Vec<String>) -> (Vec<HealthCheck>, Vec<Skipped>) {
        use futures_util::StreamExt;
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let stop = AtomicBool::new(false);
        let transient_run = AtomicUsize::new(0);
        let (stop, transient_run) = (&stop, &transient_run);
        let results: Vec<Result<HealthCheck, Skipped>> = futures_util::stream::iter(slugs)
            .map(|slug| async move {
                if stop.load(Ordering::Relaxed) {
                    return Err(Skipped {
                        slug,
                        reason: "the round stopped early (see the checks made)".into(),
                    });
                }
                let what = format!("token check of {slug}");
                let checked = crate::task_guard::catch_panic(&what, self.check_health_of(&slug))
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

    /// `health [SLUG]`: one tenant, or every tenant holding a consent.
    pub(super) async fn health_command(&self, slug: Option<String>) -> Result<Reply, EngineError> {
        if self.google.is_none() {
            return Err(EngineError::Unavailable(format!(
                "token checks need the Google client: {}",
                self.google_missing.clone().unwrap_or_default()
            )));
        }
        let (checks, skipped) = match slug {
            Some(s) => (vec![self.check_health_of(&s).await?], Vec::new()),
            None => self.check_health(self.checkable()).await,
        };
        Ok(Reply::Health {
            checks,
            skipped,
            alarm: self.health_alarm(),
        })
    }
}

/// What `tenant show` adds about the token: the last check, and for an app in Testing the
/// refresh token's expiry.
pub fn token_view(
    health: Option<&TokenHealth>,
    consented_at: Option<Millis>,
    app_in_testing: bool,
) -> Option<TokenView> {
    let consented_at = consented_at?;
    Some(TokenView {
        health: health.map(|h| h.health),
        reason: health.map(|h| h.reason.clone()),
        checked_at: health.map(|h| crate::time::rfc3339(h.checked_at)),
        healthy_at: health.and_then(|h| h.healthy_at).map(crate::time::rfc3339),
        inconclusive_in_a_row: health.map_or(0, |h| h.transient_in_a_row),
        testing_expires_at: app_in_testing
            .then(|| crate::time::rfc3339(crate::domain::health::testing_expiry(consented_at))),
        testing_expires_ms: app_in_testing
            .then(|| crate::domain::health::testing_expiry(consented_at)),
        account_tokens_issued: 0,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy_at: Option<String>,
    #[serde(default)]
    pub inconclusive_in_a_row: u32,
    /// For an app in Testing status: Google expires the refresh token at this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub testing_expires_at: Option<String>,
    /// `testing_expires_at` in unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub testing_expires_ms: Option<Millis>,
    /// Refresh tokens issued to our client by this tenant's Google account, through every
    /// tenant it consented for; Google keeps at most 100 live and ends the oldest beyond.
    #[serde(default)]
    pub account_tokens_issued: u32,
}
