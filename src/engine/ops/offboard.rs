//! Offboarding: the operator's command, and the steps the provisioner records (the Blaxel
//! steps run in the provisioner like provisioning's; giving the grants back needs Google,
//! so it is the engine's, in `revoke`). A tenant is offboarded whole, every integration it
//! holds through a job of its own (see [`crate::domain::offboarding`]); the last step of
//! its first integration's job, the tenant's, wipes the tenant's secrets in the same
//! commit.

use super::apply::{apply_in, tenant_in, write_links};
use super::batch::in_batches;
use super::grants::{PENDING_TOKEN, REFRESH_TOKEN};
use crate::domain::actor::Actor;
use crate::domain::consent::{Withdrawal, withdraw};
use crate::domain::facet::{self, with_facet};
use crate::domain::held::integration_secret;
use crate::domain::lifecycle::{self, Transition};
use crate::domain::model::{Integration, ProvisionStep};
use crate::domain::offboarding::{leaving_whole, offboard_whole};
use crate::engine::api::Reply;
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::operation::Operation;
use crate::store::Durability;
use crate::time::Millis;

/// `offboard`: start offboarding each tenant whole, a batch per commit.
pub async fn offboard(
    core: &Core,
    actor: &Actor,
    slugs: Vec<String>,
) -> Result<Reply, EngineError> {
    let started = in_batches(core, actor, &slugs, |tx, slug| {
        let (next, events) = offboard_whole(&tenant_in(tx, slug)?, tx.now())?;
        for e in events {
            tx.put_tenant(next.clone(), Some(e))?;
        }
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

/// An offboarding step that has to wait: the job's next try is set; the timeline hears of
/// it only when the reason is new (a slow deletion is one entry, not hundreds).
pub struct OffboardWait {
    pub slug: String,
    pub integration: Option<Integration>,
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
            let why = crate::text::clean(&self.why);
            let t = Transition::ProvisionRetry {
                generation: self.generation,
                step: self.step,
                error: self.why.clone(),
                next_attempt_at: self.next_attempt_at,
            };
            let now = tx.now();
            let (next, event) = with_facet(&cur, self.integration, |f| {
                let same = f.provision.as_ref().and_then(|p| p.last_error.as_deref())
                    == Some(why.as_str());
                let (next, event) = lifecycle::apply(f, &t, now)?;
                Ok::<_, EngineError>((next, (!same).then_some(event)))
            })?;
            tx.put_tenant(next, event)?;
            Ok(())
        })
        .await
    }
}

/// An offboarding step done; after the last one the secrets go in the same commit
/// (durably: a wipe is not to be replayed from memory).
pub struct OffboardStepDone {
    pub slug: String,
    pub integration: Option<Integration>,
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
            let t = Transition::OffboardStepDone {
                generation: self.generation,
                step: self.step,
                detail: self.detail.clone(),
            };
            let Some(i) = self.integration else {
                apply_in(tx, &self.slug, &t)?;
                if last {
                    tx.delete_secrets_of(&self.slug)?;
                    tx.destroy_tenant_key(&self.slug)?;
                }
                return Ok(());
            };
            // One integration of the tenant. Removed on its own, after its last step its
            // secrets and its state go, the tenant and its other integrations stay; with the
            // tenant offboarded whole, it stays as `offboarded` and its refresh token waits
            // for the tenant's job, which gives it back and wipes every secret.
            let cur = tenant_in(tx, &self.slug)?;
            let (mut next, mut event) = facet::apply_to(&cur, Some(i), &t, tx.now())?;
            if last {
                let bases = if leaving_whole(&cur) {
                    event.detail = crate::text::clean(&format!(
                        "{}; its refresh token waits for the tenant's offboarding, which gives it back and wipes it: offboarded",
                        self.detail
                    ));
                    vec![PENDING_TOKEN]
                } else {
                    next.added.retain(|a| a.integration != i);
                    vec![REFRESH_TOKEN, PENDING_TOKEN]
                };
                for base in bases {
                    tx.delete_secret(&self.slug, &integration_secret(Some(i), base))?;
                }
            }
            tx.put_tenant(next, Some(event))?;
            Ok(())
        })
        .await
    }
}
