//! The integrations a tenant holds: adding one, and removing one it holds beyond its first.
//! Removing one wipes its tokens and gives its grant back at Google only while no other
//! integration of any tenant (the same tenant's included) holds a consent by that account
//! (Google's revoke ends the account's whole grant to our client); otherwise it says why
//! the grant was kept. Each change goes on the timeline naming the integration.

use secrecy::SecretString;

use super::apply::tenant_in;
use super::grants::{PENDING_TOKEN, REFRESH_TOKEN};
use super::tenants::show;
use crate::domain::actor::Actor;
use crate::domain::consent::{GiveBack, give_back, holders_besides};
use crate::domain::model::{EventKind, Integration, Tenant};
use crate::domain::transition::{ensure_active, event};
use crate::engine::api::Reply;
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::store::Durability;

/// `tenant integration add`: the tenant holds `integration` from now on, not yet consented.
pub async fn add(
    core: &Core,
    actor: &Actor,
    slug: String,
    integration: Integration,
) -> Result<Reply, EngineError> {
    let s = slug.clone();
    core.commit(actor, Durability::Durable, move |tx| {
        let mut next = tenant_in(tx, &s)?;
        ensure_active(&next)?;
        let now = tx.now();
        next.add_integration(integration, now)
            .map_err(|e| EngineError::Conflict(format!("tenant {s}: {e}")))?;
        next.updated_at = now;
        let mut entry = event(
            &s,
            now,
            EventKind::IntegrationAdded,
            format!("{integration} added: it waits for the customer's consent"),
        );
        entry.integration = Some(integration);
        tx.put_tenant(next, Some(entry))?;
        Ok(())
    })
    .await?;
    show(core, &slug).await
}

/// Each tenant holding a consent by the account `sub` now, with the integrations holding
/// one (a consent waiting for approval counts for the tenant's first).
pub fn holding_consents_by(core: &Core, sub: &str) -> Vec<(String, Vec<Integration>)> {
    let node = core.store().node();
    node.consents_by(sub)
        .into_iter()
        .filter_map(|slug| {
            let b = node.brief(&slug)?;
            let mut held = if b.consent_sub.as_deref() == Some(sub) {
                b.consented.clone()
            } else {
                Vec::new()
            };
            if b.pending_sub.as_deref() == Some(sub) && !held.contains(&b.integration) {
                held.insert(0, b.integration);
            }
            Some((slug, held))
        })
        .collect()
}

/// What `tenant` may not do to remove `integration`, if anything.
fn refusal(tenant: &Tenant, integration: Integration) -> Option<String> {
    let slug = &tenant.slug;
    if tenant.integration == integration {
        return Some(format!(
            "{integration} is the first integration of tenant {slug}: `mcp-onboard offboard {slug}` offboards the tenant"
        ));
    }
    let Some(state) = tenant.added_state(integration) else {
        return Some(format!("tenant {slug} does not hold {integration}"));
    };
    state.provision.as_ref().map(|_| {
        format!(
            "{integration} of tenant {slug} has Blaxel resources: they are offboarded with the tenant (`mcp-onboard offboard {slug}`)"
        )
    })
}

/// `tenant integration remove`: give the integration's grant back (or keep it, and say
/// why), wipe its tokens and stop holding it.
pub async fn remove(
    core: &Core,
    actor: &Actor,
    slug: String,
    integration: Integration,
) -> Result<Reply, EngineError> {
    let s = slug.clone();
    let (tenant, current, pending) = core
        .store()
        .read(move |st| {
            let t = st.tenant(&s)?;
            let name = |base: &str| t.as_ref().and_then(|t| t.secret_name(integration, base));
            let current = name(REFRESH_TOKEN).map(|n| st.secret(&s, &n)).transpose()?;
            let pending = name(PENDING_TOKEN).map(|n| st.secret(&s, &n)).transpose()?;
            Ok((t, current.flatten(), pending.flatten()))
        })
        .await?;
    let tenant = tenant.ok_or_else(|| EngineError::UnknownTenant(slug.clone()))?;
    ensure_active(&tenant)?;
    if let Some(why) = refusal(&tenant, integration) {
        return Err(EngineError::Conflict(why));
    }
    let pending_sub = tenant
        .added_state(integration)
        .and_then(|s| s.pending.as_ref())
        .map(|p| p.identity.sub.clone());
    let current_sub = tenant.google.as_ref().map(|g| g.sub.clone());
    let mut said = Vec::new();
    for (token, sub, what) in [
        (current, current_sub, "its refresh token"),
        (pending, pending_sub, "its consent waiting for approval"),
    ] {
        let Some(token) = token else { continue };
        said.push(give_back_one(core, &tenant, integration, &token, sub.as_deref(), what).await?);
    }
    if said.is_empty() {
        said.push("no grant to give back at Google (no token stored)".into());
    }
    let detail = format!("{integration} removed: {}", said.join("; "));
    let s = slug.clone();
    core.commit(actor, Durability::Durable, move |tx| {
        let mut next = tenant_in(tx, &s)?;
        for base in [REFRESH_TOKEN, PENDING_TOKEN] {
            if let Some(name) = next.secret_name(integration, base) {
                tx.delete_secret(&s, &name)?;
            }
        }
        next.added.retain(|a| a.integration != integration);
        let now = tx.now();
        next.updated_at = now;
        let mut entry = event(&s, now, EventKind::IntegrationRemoved, detail.clone());
        entry.integration = Some(integration);
        tx.put_tenant(next, Some(entry))?;
        Ok(())
    })
    .await?;
    show(core, &slug).await
}

/// Give one grant of `integration` back at Google, or keep it; what happened, for the
/// timeline. A failure to reach Google removes nothing (the operator tries again).
async fn give_back_one(
    core: &Core,
    tenant: &Tenant,
    integration: Integration,
    token: &SecretString,
    sub: Option<&str>,
    what: &str,
) -> Result<String, EngineError> {
    let holders = sub.map_or_else(Vec::new, |s| {
        holders_besides((&tenant.slug, integration), &holding_consents_by(core, s))
    });
    if let GiveBack::Keep(why) = give_back(sub, &holders) {
        return Ok(format!("{what} was kept at Google ({why}) and wiped here"));
    }
    let google = core.google_for(integration).map_err(|why| {
        EngineError::Unavailable(format!(
            "{what} cannot be given back at Google: {why}; nothing was removed"
        ))
    })?;
    match google.revoke_status(token).await {
        Ok((200, _)) => Ok(format!("{what} was revoked at Google")),
        Ok((400, body)) if body.contains("invalid_token") => {
            Ok(format!("{what} was no longer live at Google"))
        }
        Ok((s, body)) => Err(EngineError::Unavailable(format!(
            "Google answered {s} to the revoke of {what}: {body}; nothing was removed"
        ))),
        Err(e) => Err(EngineError::Unavailable(format!(
            "could not reach Google to revoke {what}: {e}; nothing was removed"
        ))),
    }
}
