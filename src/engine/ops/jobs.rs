//! Provisioning jobs: the operator's retries, and what the provisioner asks of the engine
//! (its tenant's record and token, each step's result, a deploy poll, its own state).
//!
//! `retry SLUG`: provisioning that stopped runs again. A tenant that failed before it
//! consented (the customer pressed Deny, ...) has nothing to retry: the refusal says what
//! can be done instead (its link still works until it expires; a new link), the same story
//! the console tells.

use std::collections::HashSet;

use secrecy::SecretString;

use super::apply::{apply_in, tenant_in};
use super::batch::in_batches;
use super::grants::REFRESH_TOKEN;
use super::tenants::{list, show};
use crate::domain::actor::Actor;
use crate::domain::before_consent;
use crate::domain::lifecycle::{self, Transition, TransitionError};
use crate::domain::model::{ProvisionStep, ProvisionerState, Tenant, TenantStatus};
use crate::engine::api::{ListQuery, Reply};
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::operation::Operation;
use crate::store::Durability;
use crate::time::{Millis, now_ms};

pub async fn retry(core: &Core, actor: &Actor, slug: &str) -> Result<Reply, EngineError> {
    let done = Record {
        slug: slug.to_owned(),
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
    if !before_consent::failed_before_consent(t.status, t.provision.is_some()) {
        return Ok(None);
    }
    let now = now_ms();
    let until =
        before_consent::link_works_until(links.iter().map(|l| (l.state(now), l.expires_at)));
    Ok(Some(before_consent::retry_refusal(
        slug,
        t.failure,
        t.reason.as_deref(),
        until,
        &format!("`mcp-onboard link {slug}`"),
    )))
}

/// Retry every failed tenant whose provisioning stopped (only those of `only`, when
/// given), a batch per commit; one that changed meanwhile and cannot be retried is skipped
/// with the reason.
pub async fn retry_all_failed(
    core: &Core,
    actor: &Actor,
    only: Vec<String>,
) -> Result<Reply, EngineError> {
    let only: HashSet<String> = only.into_iter().collect();
    let query = ListQuery {
        status: vec![TenantStatus::Failed],
        ..Default::default()
    };
    let failed: Vec<String> = match list(core, &query) {
        // Those that failed before consent have no job to run again: a new link it is.
        Reply::Tenants { tenants, .. } => tenants
            .into_iter()
            .filter(|t| t.step == Some(ProvisionStep::Stopped))
            .filter(|t| only.is_empty() || only.contains(&t.slug))
            .map(|t| t.slug)
            .collect(),
        _ => Vec::new(),
    };
    let retried = in_batches(core, actor, &failed, |tx, slug| {
        match apply_in(tx, slug, &Transition::RetryRequested) {
            Ok(_) => Ok(true),
            // Gone since the list: nothing to say.
            Err(EngineError::UnknownTenant(_)) => Ok(false),
            Err(e) => Err(e),
        }
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

/// The provisioner: the refresh token a tenant's connection is made with.
pub struct RefreshToken {
    pub slug: String,
}

impl Operation for RefreshToken {
    type Output = Result<Option<SecretString>, EngineError>;

    async fn run(self, core: &Core, _actor: &Actor) -> Self::Output {
        Ok(core
            .store()
            .read(move |st| st.secret(&self.slug, REFRESH_TOKEN))
            .await?)
    }
}

/// A lifecycle transition recorded through the commit point (a step's result, a retry);
/// the tenant as written.
pub struct Record {
    pub slug: String,
    pub transition: Transition,
    pub durability: Durability,
}

impl Operation for Record {
    type Output = Result<Tenant, EngineError>;

    async fn run(self, core: &Core, actor: &Actor) -> Self::Output {
        let Record {
            slug,
            transition,
            durability,
        } = self;
        core.commit(actor, durability, move |tx| {
            apply_in(tx, &slug, &transition)
        })
        .await
    }
}

/// A deploy poll that found the server still on its way: the job's bookkeeping moves on,
/// and a timeline entry is written only when Blaxel's status changed.
pub struct DeployPolled {
    pub slug: String,
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
            let (next, event) = lifecycle::deploy_polled(
                &cur,
                self.generation,
                &self.status,
                self.gap_ms,
                self.next_attempt_at,
                tx.now(),
            )?;
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
