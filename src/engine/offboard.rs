//! Offboarding: the operator's command, and the one step of it that needs Google (the
//! Blaxel steps run in the provisioner like provisioning's). Each step's result is recorded
//! through the commit point; the last one wipes the tenant's secrets in the same commit.

use super::api::{Reply, Skipped};
use super::consent::PENDING_TOKEN;
use super::error::EngineError;
use super::handle::{Engine, apply_in};
use crate::domain::lifecycle::Transition;
use crate::domain::model::{ProvisionStep, Tenant};
use crate::store::Durability;

/// What giving the grants back came to.
pub enum RevokeOutcome {
    /// Done (or nothing to do): what to put on the timeline.
    Done(String),
    /// No answer, or Google failing: try again later.
    Retry(String),
    /// Cannot be done as things are (no Google client, a refusal): stop with this reason.
    Fail(String),
}

impl Engine {
    /// `offboard`: start offboarding each tenant, a batch per commit.
    pub(super) async fn offboard(&self, slugs: Vec<String>) -> Result<Reply, EngineError> {
        let mut started = Vec::new();
        let mut skipped = Vec::new();
        for batch in slugs.chunks(500) {
            let batch = batch.to_vec();
            let (ok, not) = self
                .commit(Durability::Durable, move |tx| {
                    let (mut ok, mut not) = (Vec::new(), Vec::new());
                    for slug in batch.iter().cloned() {
                        match apply_in(tx, &slug, &Transition::OffboardRequested) {
                            Ok(_) => {
                                // No customer can start or finish a consent from now on.
                                let now = tx.now();
                                for (h, mut l) in tx.links_of(&slug)? {
                                    if l.state(now) == crate::domain::model::LinkState::Active {
                                        l.revoked_at = Some(now);
                                        tx.put_link(&h, l)?;
                                    }
                                }
                                for (h, f) in tx.flows_of(&slug)? {
                                    tx.end_flow(&h, &f)?;
                                }
                                ok.push(slug)
                            }
                            Err(e) => not.push(Skipped {
                                slug,
                                reason: e.to_string(),
                            }),
                        }
                    }
                    Ok((ok, not))
                })
                .await?;
            started.extend(ok);
            skipped.extend(not);
        }
        if !started.is_empty() {
            self.wake_provisioner();
        }
        let note = (!started.is_empty() && !self.provisioner_state().running).then(|| {
            "no provisioner runs in this process (no owner, or no Blaxel credentials): offboarding goes on once `serve` or the console runs with them".to_owned()
        });
        Ok(Reply::Offboarding {
            started,
            skipped,
            note,
        })
    }

    /// The revoke step: give the tenant's refresh token (and a consent waiting for
    /// approval) back at Google, unless another tenant holds a consent by that account.
    pub async fn offboard_revoke(&self, tenant: &Tenant) -> RevokeOutcome {
        let slug = tenant.slug.clone();
        let s = slug.clone();
        let tokens = self
            .store
            .read(move |st| {
                Ok((
                    st.secret(&s, "refresh_token")?,
                    st.secret(&s, PENDING_TOKEN)?,
                ))
            })
            .await;
        let (current, pending) = match tokens {
            Ok(t) => t,
            Err(e) => return RevokeOutcome::Retry(format!("reading the tokens: {e}")),
        };
        let grants: Vec<(secrecy::SecretString, Option<String>, &str)> = [
            current.map(|t| {
                (
                    t,
                    tenant.google.as_ref().map(|g| g.sub.clone()),
                    "the refresh token",
                )
            }),
            pending.map(|t| {
                (
                    t,
                    tenant.pending.as_ref().map(|p| p.identity.sub.clone()),
                    "the consent waiting for approval",
                )
            }),
        ]
        .into_iter()
        .flatten()
        .collect();
        if grants.is_empty() {
            return RevokeOutcome::Done("no grant to give back at Google (no token stored)".into());
        }
        let Some(google) = &self.google else {
            return RevokeOutcome::Fail(format!(
                "the grant cannot be given back at Google: {}",
                self.google_missing.clone().unwrap_or_default()
            ));
        };
        let mut said = Vec::new();
        for (token, sub, what) in grants {
            if let Some(sub) = &sub {
                let holders: Vec<String> = self
                    .store
                    .node()
                    .consents_by(sub)
                    .into_iter()
                    .filter(|h| *h != slug)
                    .collect();
                if !holders.is_empty() {
                    said.push(format!(
                        "{what} was kept at Google: {} hold{} a consent by the same account, which giving it back would end",
                        holders.join(", "),
                        if holders.len() == 1 { "s" } else { "" }
                    ));
                    continue;
                }
            }
            match google.revoke_status(&token).await {
                Ok((200, _)) => said.push(format!("{what} was revoked at Google")),
                Ok((400, body)) if body.contains("invalid_token") => {
                    said.push(format!("{what} was no longer live at Google"))
                }
                Ok((s, body)) if s == 429 || s >= 500 => {
                    return RevokeOutcome::Retry(format!(
                        "Google answered {s} to the revoke: {body}"
                    ));
                }
                Ok((s, body)) => {
                    return RevokeOutcome::Fail(format!("Google refused the revoke ({s}: {body})"));
                }
                Err(e) => return RevokeOutcome::Retry(format!("could not reach Google: {e}")),
            }
        }
        RevokeOutcome::Done(said.join("; "))
    }

    /// An offboarding step that has to wait: the job's next try is set; the timeline hears
    /// of it only when the reason is new (a slow deletion is one entry, not hundreds).
    pub async fn offboard_wait(
        &self,
        slug: &str,
        generation: u64,
        step: ProvisionStep,
        why: String,
        next_attempt_at: crate::time::Millis,
    ) -> Result<(), EngineError> {
        let s = slug.to_owned();
        self.commit(Durability::Lazy, move |tx| {
            let cur = tx
                .tenant(&s)?
                .ok_or_else(|| EngineError::UnknownTenant(s.clone()))?;
            let same = cur.provision.as_ref().and_then(|p| p.last_error.as_deref())
                == Some(crate::text::clean(&why).as_str());
            let t = Transition::ProvisionRetry {
                generation,
                step,
                error: why.clone(),
                next_attempt_at,
            };
            let (next, event) = crate::domain::lifecycle::apply(&cur, &t, tx.now())?;
            tx.put_tenant(next, (!same).then_some(event))?;
            Ok(())
        })
        .await
    }

    /// Record an offboarding step done; after the last one the secrets go in the same
    /// commit (durably: a wipe is not to be replayed from memory).
    pub async fn offboard_step_done(
        &self,
        slug: &str,
        generation: u64,
        step: ProvisionStep,
        detail: String,
    ) -> Result<(), EngineError> {
        let s = slug.to_owned();
        let last = step.next_offboarding() == ProvisionStep::Done;
        let durability = if last {
            Durability::Durable
        } else {
            Durability::Lazy
        };
        self.commit(durability, move |tx| {
            apply_in(
                tx,
                &s,
                &Transition::OffboardStepDone {
                    generation,
                    step,
                    detail: detail.clone(),
                },
            )?;
            if last {
                tx.delete_secrets_of(&s)?;
                tx.destroy_tenant_key(&s)?;
            }
            Ok(())
        })
        .await
    }
}
