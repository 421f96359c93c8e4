//! The identity gate's two actions. A consent by another Google account than the previous
//! one waits in `awaiting_approval` with its refresh token kept aside (encrypted);
//! `approve` makes it the tenant's consent (provisioning puts the new token into the same
//! connection) and gives the old account's grant back at Google unless another tenant still
//! holds a consent by it; `reject` gives the new grant back (by the same rule) and wipes it.

use super::apply::{apply_in, tenant_in};
use super::grants::{PENDING_TOKEN, REFRESH_TOKEN, give_back_and_note};
use super::tenants::show;
use crate::domain::actor::Actor;
use crate::domain::lifecycle::Transition;
use crate::domain::model::{PendingConsent, Tenant};
use crate::domain::transition::TransitionError;
use crate::engine::api::Reply;
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::store::{Durability, Tx};

/// The tenant and the consent waiting for its approval (refused when none waits).
fn waiting(tx: &dyn Tx, slug: &str) -> Result<(Tenant, PendingConsent), EngineError> {
    let cur = tenant_in(tx, slug)?;
    let pending = cur
        .pending
        .clone()
        .ok_or_else(|| TransitionError::NothingPending(slug.to_owned()))?;
    Ok((cur, pending))
}

pub async fn approve(core: &Core, actor: &Actor, slug: &str) -> Result<Reply, EngineError> {
    let s = slug.to_owned();
    let (old_sub, old_token, new_sub) = core
        .commit(actor, Durability::Durable, move |tx| {
            let (cur, pending) = waiting(tx, &s)?;
            let new_token = tx.secret(&s, PENDING_TOKEN)?.ok_or_else(|| {
                EngineError::Conflict(format!(
                    "the consent waiting for {s} has lost its token; reject it and issue a new link"
                ))
            })?;
            let old_token = tx.secret(&s, REFRESH_TOKEN)?;
            apply_in(tx, &s, &Transition::Approve)?;
            tx.put_secret(&s, REFRESH_TOKEN, &new_token)?;
            tx.delete_secret(&s, PENDING_TOKEN)?;
            Ok((cur.google.map(|g| g.sub), old_token, pending.identity.sub))
        })
        .await?;
    core.wake_provisioner();
    // The old account's grant is no longer wanted here.
    if let (Some(old_sub), Some(old_token)) = (old_sub, old_token)
        && old_sub != new_sub
    {
        give_back_and_note(
            core,
            actor,
            slug,
            &old_token,
            &old_sub,
            "the previous account's",
        )
        .await;
    }
    show(core, slug).await
}

pub async fn reject(core: &Core, actor: &Actor, slug: &str) -> Result<Reply, EngineError> {
    let s = slug.to_owned();
    let (sub, token) = core
        .commit(actor, Durability::Durable, move |tx| {
            let (_, pending) = waiting(tx, &s)?;
            let token = tx.secret(&s, PENDING_TOKEN)?;
            apply_in(tx, &s, &Transition::Reject)?;
            tx.delete_secret(&s, PENDING_TOKEN)?;
            Ok((pending.identity.sub, token))
        })
        .await?;
    if let Some(token) = token {
        give_back_and_note(core, actor, slug, &token, &sub, "the rejected account's").await;
    }
    show(core, slug).await
}
