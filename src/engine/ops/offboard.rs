//! Offboarding: the operator's command, and the steps the provisioner records (the Blaxel
//! steps run in the provisioner like provisioning's; giving the grants back needs Google,
//! so it is the engine's). The last step wipes the tenant's secrets in the same commit.

use secrecy::SecretString;

use super::apply::{apply_in, tenant_in, write_links};
use super::batch::in_batches;
use super::grants::{PENDING_TOKEN, REFRESH_TOKEN};
use crate::domain::actor::Actor;
use crate::domain::consent::{Withdrawal, holding, withdraw};
use crate::domain::lifecycle::{self, Transition};
use crate::domain::model::{ProvisionStep, Tenant};
use crate::engine::api::Reply;
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::operation::Operation;
use crate::store::Durability;
use crate::time::Millis;

/// `offboard`: start offboarding each tenant, a batch per commit.
pub async fn offboard(
    core: &Core,
    actor: &Actor,
    slugs: Vec<String>,
) -> Result<Reply, EngineError> {
    let started = in_batches(core, actor, &slugs, |tx, slug| {
        apply_in(tx, slug, &Transition::OffboardRequested)?;
        // No customer can start or finish a consent from now on.
        let withdrawn = withdraw(&tx.links_of(slug)?, Withdrawal::Active, tx.now());
        write_links(tx, withdrawn)?;
        for (h, f) in tx.flows_of(slug)? {
            tx.end_flow(&h, &f)?;
        }
        Ok(true)
    })
    .await?;
    if !started.done.is_empty() {
        core.wake_provisioner();
    }
    let note = (!started.done.is_empty() && !core.store().node().published().provisioner().running).then(|| {
        "no provisioner runs in this process (no owner, or no Blaxel credentials): offboarding goes on once `serve` or the console runs with them".to_owned()
    });
    Ok(Reply::Offboarding {
        started: started.done,
        skipped: started.skipped,
        note,
    })
}

/// What giving the grants back came to.
pub enum RevokeResult {
    /// Done (or nothing to do): what to put on the timeline.
    Done(String),
    /// No answer, or Google failing: try again later.
    Retry(String),
    /// Cannot be done as things are (no Google client, a refusal): stop with this reason.
    Fail(String),
}

/// The revoke step: give the tenant's refresh token (and a consent waiting for approval)
/// back at Google, unless another tenant holds a consent by that account.
pub struct GiveBackGrants {
    pub tenant: Tenant,
}

impl Operation for GiveBackGrants {
    type Output = RevokeResult;

    async fn run(self, core: &Core, _actor: &Actor) -> RevokeResult {
        let tenant = self.tenant;
        let slug = tenant.slug.clone();
        let s = slug.clone();
        let tokens = core
            .store()
            .read(move |st| Ok((st.secret(&s, REFRESH_TOKEN)?, st.secret(&s, PENDING_TOKEN)?)))
            .await;
        let (current, pending) = match tokens {
            Ok(t) => t,
            Err(e) => return RevokeResult::Retry(format!("reading the tokens: {e}")),
        };
        let grants: Vec<(SecretString, Option<String>, &str)> = [
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
            return RevokeResult::Done("no grant to give back at Google (no token stored)".into());
        }
        let google = match core.google() {
            Ok(g) => g,
            Err(why) => {
                return RevokeResult::Fail(format!(
                    "the grant cannot be given back at Google: {why}"
                ));
            }
        };
        let mut said = Vec::new();
        for (token, sub, what) in grants {
            if let Some(sub) = &sub {
                let holders: Vec<String> = core
                    .store()
                    .node()
                    .consents_by(sub)
                    .into_iter()
                    .filter(|h| *h != slug)
                    .collect();
                if !holders.is_empty() {
                    said.push(format!(
                        "{what} was kept at Google: {} a consent by the same account, which giving it back would end",
                        holding(&holders)
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
                    return RevokeResult::Retry(format!(
                        "Google answered {s} to the revoke: {body}"
                    ));
                }
                Ok((s, body)) => {
                    return RevokeResult::Fail(format!("Google refused the revoke ({s}: {body})"));
                }
                Err(e) => return RevokeResult::Retry(format!("could not reach Google: {e}")),
            }
        }
        RevokeResult::Done(said.join("; "))
    }
}

/// An offboarding step that has to wait: the job's next try is set; the timeline hears of
/// it only when the reason is new (a slow deletion is one entry, not hundreds).
pub struct OffboardWait {
    pub slug: String,
    pub generation: u64,
    pub step: ProvisionStep,
    pub why: String,
    pub next_attempt_at: Millis,
}

impl Operation for OffboardWait {
    type Output = Result<(), EngineError>;

    async fn run(self, core: &Core, actor: &Actor) -> Self::Output {
        core.commit(actor, Durability::Lazy, move |tx| {
            let cur = tenant_in(tx, &self.slug)?;
            let same = cur.provision.as_ref().and_then(|p| p.last_error.as_deref())
                == Some(crate::text::clean(&self.why).as_str());
            let t = Transition::ProvisionRetry {
                generation: self.generation,
                step: self.step,
                error: self.why.clone(),
                next_attempt_at: self.next_attempt_at,
            };
            let (next, event) = lifecycle::apply(&cur, &t, tx.now())?;
            tx.put_tenant(next, (!same).then_some(event))?;
            Ok(())
        })
        .await
    }
}

/// An offboarding step done; after the last one the secrets go in the same commit
/// (durably: a wipe is not to be replayed from memory).
pub struct OffboardStepDone {
    pub slug: String,
    pub generation: u64,
    pub step: ProvisionStep,
    pub detail: String,
}

impl Operation for OffboardStepDone {
    type Output = Result<(), EngineError>;

    async fn run(self, core: &Core, actor: &Actor) -> Self::Output {
        let last = self.step.next_offboarding() == ProvisionStep::Done;
        let durability = if last {
            Durability::Durable
        } else {
            Durability::Lazy
        };
        core.commit(actor, durability, move |tx| {
            apply_in(
                tx,
                &self.slug,
                &Transition::OffboardStepDone {
                    generation: self.generation,
                    step: self.step,
                    detail: self.detail.clone(),
                },
            )?;
            if last {
                tx.delete_secrets_of(&self.slug)?;
                tx.destroy_tenant_key(&self.slug)?;
            }
            Ok(())
        })
        .await
    }
}
