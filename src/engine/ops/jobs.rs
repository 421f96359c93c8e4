//! Provisioning jobs: the operator's retries, and what the provisioner asks of the engine
//! (its tenant's record and token, each step's result, a deploy poll, its own state).
//!
//! `retry SLUG`: provisioning that stopped runs again. A tenant that failed before it
//! consented (the customer pressed Deny, ...) has nothing to retry: the refusal says what
//! can be done instead (its link still works until it expires; a new link), the same story
//! the console tells.

use std::collections::HashSet;

use secrecy::SecretString;

use super::apply::{apply_for, apply_in, tenant_in};
use super::batch::in_batches;
use super::grants::REFRESH_TOKEN;
use super::tenants::show;
use crate::domain::actor::Actor;
use crate::domain::brief::Brief;
use crate::domain::facet::with_facet;
use crate::domain::lifecycle::{self, Transition, TransitionError};
use crate::domain::model::{Integration, ProvisionerState, Tenant};
use crate::domain::{before_consent, standing};
use crate::engine::api::Reply;
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::operation::Operation;
use crate::store::Durability;
use crate::time::{Millis, now_ms};

pub async fn retry(core: &Core, actor: &Actor, slug: &str) -> Result<Reply, EngineError> {
    // An integration added after the first whose job stopped is retried with the first's.
    let s = slug.to_owned();
    let stopped = core
        .store()
        .read(move |st| {
            Ok(st
                .tenant(&s)?
                .map(|t| t.added_stopped())
                .unwrap_or_default())
        })
        .await?;
    if !stopped.is_empty() {
        let s = slug.to_owned();
        core.commit(actor, Durability::Durable, move |tx| {
            for i in &stopped {
                apply_for(tx, &s, Some(*i), &Transition::RetryRequested)?;
            }
            // The first's too, when it has anything to retry.
            match apply_in(tx, &s, &Transition::RetryRequested) {
                Ok(_) | Err(EngineError::Transition(TransitionError::NothingToRetry(..))) => Ok(()),
                Err(e) => Err(e),
            }
        })
        .await?;
        core.wake_provisioner();
        return show(core, slug).await;
    }
    let done = Record {
        slug: slug.to_owned(),
        integration: None,
        transition: Transition::RetryRequested,
        durability: Durability::Durable,
    }
    .run(core, actor)
    .await;
    if let Err(e) = done {
        if matches!(
            e,
            EngineError::Transition(TransitionError::NothingToRetry(..))
        ) && let Some(why) = before_consent_refusal(core, slug).await?
        {
            return Err(EngineError::Conflict(why));
        }
        return Err(e);
    }
    core.wake_provisioner();
    show(core, slug).await
}

/// The refusal for a tenant that failed before it consented; `None` for any other.
async fn before_consent_refusal(core: &Core, slug: &str) -> Result<Option<String>, EngineError> {
    let s = slug.to_owned();
    let (tenant, links) = core
        .store()
        .read(move |st| Ok((st.tenant(&s)?, st.links_for(&s)?)))
        .await?;
    let Some(t) = tenant else {
        return Ok(None);
    };
    // Its failure and reason are those of the integration needing attention, named.
    let b = Brief::of(&t);
    if !standing::failed_before_consent(b.status, &b.standings()) {
        return Ok(None);
    }
    let now = now_ms();
    let until =
        before_consent::link_works_until(links.iter().map(|l| (l.state(now), l.expires_at)));
    Ok(Some(before_consent::retry_refusal(
        slug,
        b.failure,
        b.reason.as_deref(),
        until,
        &format!("`mcp-onboard link {slug}`"),
    )))
}

/// Retry each failed integration whose provisioning stopped (`integration`: only that
/// one's), of every tenant (only those of `only`, when given), a batch per commit; a
/// tenant's integrations that work are left as they are. One that changed meanwhile and
/// has nothing to retry is skipped with the reason.
pub async fn retry_all_failed(
    core: &Core,
    actor: &Actor,
    only: Vec<String>,
    integration: Option<Integration>,
) -> Result<Reply, EngineError> {
    let only: HashSet<String> = only.into_iter().collect();
    // Those that failed before consent have no job to run again: a new link it is.
    let failed: Vec<String> = core
        .store()
        .node()
        .briefs_after(None)
        .iter()
        .filter(|b| !b.stopped(integration).is_empty())
        .filter(|b| only.is_empty() || only.contains(&b.slug))
        .map(|b| b.slug.clone())
        .collect();
    let retried = in_batches(core, actor, &failed, move |tx, slug| {
        let t = match tenant_in(tx, slug) {
            Ok(t) => t,
            // Gone since the list: nothing to say.
            Err(EngineError::UnknownTenant(_)) => return Ok(false),
            Err(e) => return Err(e),
        };
        let stopped: Vec<Integration> = Brief::of(&t).stopped(integration);
        if stopped.is_empty() {
            return Err(TransitionError::NothingToRetry(
                slug.to_owned(),
                "its provisioning is not stopped",
            )
            .into());
        }
        for i in stopped {
            let added = (i != t.integration).then_some(i);
            apply_for(tx, slug, added, &Transition::RetryRequested)?;
        }
        Ok(true)
    })
    .await?;
    if !retried.done.is_empty() {
        core.wake_provisioner();
    }
    Ok(Reply::Retried {
        retried: retried.done,
        skipped: retried.skipped,
    })
}

/// The provisioner: a tenant's record, to run its job's due step.
pub struct Job {
    pub slug: String,
}

impl Operation for Job {
    type Output = Result<Option<Tenant>, EngineError>;

    async fn run(self, core: &Core, _actor: &Actor) -> Self::Output {
        Ok(core.store().read(move |st| st.tenant(&self.slug)).await?)
    }
}

/// The provisioner: the refresh token a tenant's connection is made with (`integration`:
/// one added after its first).
pub struct RefreshToken {
    pub slug: String,
    pub integration: Option<Integration>,
}

impl Operation for RefreshToken {
    type Output = Result<Option<SecretString>, EngineError>;

    async fn run(self, core: &Core, _actor: &Actor) -> Self::Output {
        Ok(core
            .store()
            .read(move |st| {
                let name = match self.integration {
                    None => Some(REFRESH_TOKEN.to_owned()),
                    Some(i) => st
                        .tenant(&self.slug)?
                        .and_then(|t| t.secret_name(i, REFRESH_TOKEN)),
                };
                name.map_or(Ok(None), |n| st.secret(&self.slug, &n))
            })
            .await?)
    }
}

/// A lifecycle transition recorded through the commit point (a step's result, a retry);
/// the tenant as written.
pub struct Record {
    pub slug: String,
    /// One added after the tenant's first (`None`: its first).
    pub integration: Option<Integration>,
    pub transition: Transition,
    pub durability: Durability,
}

impl Operation for Record {
    type Output = Result<Tenant, EngineError>;

    async fn run(self, core: &Core, actor: &Actor) -> Self::Output {
        let Record {
            slug,
            integration,
            transition,
            durability,
        } = self;
        let deployed = matches!(transition, Transition::Deployed { .. });
        let key = crate::domain::facet::job_key(&slug, integration);
        let written = core
            .commit(actor, durability, move |tx| {
                apply_for(tx, &slug, integration, &transition)
            })
            .await?;
        if deployed {
            core.mcp_after_deploy(key);
        }
        Ok(written)
    }
}

/// A deploy poll that found the server still on its way: the job's bookkeeping moves on,
/// and a timeline entry is written only when Blaxel's status changed.
pub struct DeployPolled {
    pub slug: String,
    pub integration: Option<Integration>,
    pub generation: u64,
    pub status: String,
    pub gap_ms: i64,
    pub next_attempt_at: Millis,
}

impl Operation for DeployPolled {
    type Output = Result<(), EngineError>;

    async fn run(self, core: &Core, actor: &Actor) -> Self::Output {
        core.commit(actor, Durability::Lazy, move |tx| {
            let cur = tenant_in(tx, &self.slug)?;
            let now = tx.now();
            let (next, event) = with_facet(&cur, self.integration, |f| {
                lifecycle::deploy_polled(
                    f,
                    self.generation,
                    &self.status,
                    self.gap_ms,
                    self.next_attempt_at,
                    now,
                )
            })?;
            tx.put_tenant(next, event)?;
            Ok(())
        })
        .await
    }
}

/// The provisioner's state, recorded and published (only when it changed).
pub struct PublishProvisioner(pub ProvisionerState);

impl Operation for PublishProvisioner {
    type Output = ();

    async fn run(self, core: &Core, actor: &Actor) {
        let state = self.0;
        if !core.store().node().published().set_provisioner(&state) {
            return;
        }
        let res = core
            .commit(actor, Durability::Lazy, move |tx| {
                tx.publish_provisioner(state.clone())?;
                Ok(())
            })
            .await;
        if let Err(e) = res {
            tracing::debug!(error = %e, "provisioner state not published");
        }
    }
}
