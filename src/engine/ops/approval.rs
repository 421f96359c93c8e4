//! The identity gate's two actions, per integration. A consent by another Google account
//! than the tenant's waits in `awaiting_approval` on its integration with its refresh token
//! kept aside (encrypted); `approve` makes it that integration's consent (provisioning puts
//! the new token into the same connection) and `reject` gives the new grant back (unless
//! another tenant holds a consent by that account) and wipes it. Either acts on the
//! integration named, or on the only one waiting.
//!
//! One Google account per tenant: approving a new account moves the tenant to it, its other
//! integrations' consents by the previous account need a new consent (see
//! [`crate::domain::consent::approval`]), and the previous account's grant is given back at
//! Google unless another tenant still holds a consent by it.

use secrecy::{ExposeSecret, SecretString};

use super::apply::{apply_for, tenant_in};
use super::grants::{PENDING_TOKEN, REFRESH_TOKEN, give_back_and_note};
use super::tenants::show;
use crate::domain::actor::Actor;
use crate::domain::consent::approval::{
    NotWaiting, previous_accounts, supersede, superseded, which,
};
use crate::domain::facet::with_facet;
use crate::domain::held::integration_secret;
use crate::domain::lifecycle::Transition;
use crate::domain::model::{Integration, PendingConsent, Tenant};
use crate::domain::token_facts::TokenFacts;
use crate::domain::transition::TransitionError;
use crate::engine::api::Reply;
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::store::{Durability, Tx};

/// The tenant, the integration whose consent waits (`asked`, or the only one), its name
/// beyond the first (`None`: the first) and the consent (refused when none waits).
fn waiting(
    tx: &dyn Tx,
    slug: &str,
    asked: Option<Integration>,
) -> Result<(Tenant, Integration, Option<Integration>, PendingConsent), EngineError> {
    let cur = tenant_in(tx, slug)?;
    let i = which(&cur, asked).map_err(|e| match e {
        NotWaiting::Nothing(e) => EngineError::from(e),
        NotWaiting::Several(why) => EngineError::Conflict(why),
    })?;
    let pending = cur
        .facet(i)
        .and_then(|f| f.pending)
        .ok_or_else(|| TransitionError::NothingPending(slug.to_owned()))?;
    let added = (i != cur.integration).then_some(i);
    Ok((cur, i, added, pending))
}

/// The grants to give back once an approval moved the tenant off the account `sub`.
struct Previous {
    sub: Option<String>,
    /// Each integration's refresh token by that account (one live token per OAuth client
    /// is enough: Google's revoke ends the account's whole grant to a client).
    tokens: Vec<(Integration, SecretString)>,
}

pub async fn approve(
    core: &Core,
    actor: &Actor,
    slug: &str,
    asked: Option<Integration>,
) -> Result<Reply, EngineError> {
    let s = slug.to_owned();
    let (previous, new_sub) = core
        .commit(actor, Durability::Durable, move |tx| {
            let (cur, i, added, pending) = waiting(tx, &s, asked)?;
            let (current, kept) = (
                integration_secret(added, REFRESH_TOKEN),
                integration_secret(added, PENDING_TOKEN),
            );
            let new_token = tx.secret(&s, &kept)?.ok_or_else(|| {
                EngineError::Conflict(format!(
                    "the consent waiting for {s} ({i}) has lost its token; reject it and issue a new link"
                ))
            })?;
            let mut tokens: Vec<(Integration, SecretString)> =
                tx.secret(&s, &current)?.map(|t| (i, t)).into_iter().collect();
            let now_by = pending.identity;
            let others = superseded(&cur, i, &now_by.sub);
            apply_for(tx, &s, added, &Transition::Approve)?;
            tx.put_secret(&s, &current, &new_token)?;
            tx.delete_secret(&s, &kept)?;
            let mut approved = tenant_in(tx, &s)?;
            if let Some(slot) = approved.token_facts_mut(i) {
                *slot = Some(TokenFacts::marks_only(new_token.expose_secret()));
            }
            tx.put_tenant(approved, None)?;
            if let Some(was) = cur.google.as_ref() {
                for o in others {
                    let next = tenant_in(tx, &s)?;
                    let other = (o != next.integration).then_some(o);
                    let now = tx.now();
                    let (next, event) =
                        with_facet(&next, other, |f| supersede(f, was, &now_by, i, now))?;
                    tx.put_tenant(next, event)?;
                }
            }
            // A token by an account the tenant no longer is is not kept (one leaving's
            // included): it goes back below (or stays at Google for whoever else holds
            // that account).
            for o in previous_accounts(&cur, i, &now_by.sub) {
                let name = integration_secret((o != cur.integration).then_some(o), REFRESH_TOKEN);
                tokens.extend(tx.secret(&s, &name)?.map(|t| (o, t)));
                tx.delete_secret(&s, &name)?;
            }
            let previous = Previous {
                sub: cur.google.map(|g| g.sub),
                tokens,
            };
            Ok((previous, now_by.sub))
        })
        .await?;
    core.wake_provisioner();
    // The previous account's grants are no longer wanted here.
    if let Some(old_sub) = previous.sub.filter(|old| *old != new_sub) {
        for (i, tokens) in per_client(core, previous.tokens) {
            give_back_and_note(
                core,
                actor,
                slug,
                &tokens,
                &old_sub,
                "the previous account's",
                i,
            )
            .await;
        }
    }
    show(core, slug).await
}

/// `tokens` (all by one account) by OAuth client, each client named by its first
/// integration among them: Google's revoke of one live token ends the account's whole
/// grant to that client, and any of them may be the one still live.
fn per_client(
    core: &Core,
    tokens: Vec<(Integration, SecretString)>,
) -> Vec<(Integration, Vec<SecretString>)> {
    let mut out: Vec<(Integration, Vec<SecretString>)> = Vec::new();
    for (i, token) in tokens {
        let client = core.client_key(i);
        match out.iter_mut().find(|(j, _)| core.client_key(*j) == client) {
            Some((_, same)) => same.push(token),
            None => out.push((i, vec![token])),
        }
    }
    out
}

pub async fn reject(
    core: &Core,
    actor: &Actor,
    slug: &str,
    asked: Option<Integration>,
) -> Result<Reply, EngineError> {
    let s = slug.to_owned();
    let (sub, token, i) = core
        .commit(actor, Durability::Durable, move |tx| {
            let (_, i, added, pending) = waiting(tx, &s, asked)?;
            let kept = integration_secret(added, PENDING_TOKEN);
            let token = tx.secret(&s, &kept)?;
            apply_for(tx, &s, added, &Transition::Reject)?;
            tx.delete_secret(&s, &kept)?;
            Ok((pending.identity.sub, token, i))
        })
        .await?;
    if let Some(token) = token {
        let tokens = [token];
        give_back_and_note(
            core,
            actor,
            slug,
            &tokens,
            &sub,
            "the rejected account's",
            i,
        )
        .await;
    }
    show(core, slug).await
}
