//! The integrations a tenant holds: adding one, and removing one it holds beyond its first.
//! Removing one offboards it alone (its Blaxel resources, when it has any, through the
//! provisioner), wipes its tokens and gives its grant back at Google only while no other
//! integration of any tenant (the same tenant's included) holds a consent by that account
//! (Google's revoke ends the account's whole grant to our client, see
//! [`super::revoke::GiveBackGrants`]); otherwise it says why the grant was kept. The
//! links that ask for it alone are withdrawn (see [`super::links_leaving`]). Each change
//! goes on the timeline naming the integration.

use super::apply::tenant_in;
use super::grants::{PENDING_TOKEN, REFRESH_TOKEN};
use super::links_leaving::withdraw_asking;
use super::revoke::{GiveBackGrants, RevokeResult};
use super::tenants::show;
use crate::domain::actor::Actor;
use crate::domain::facet::apply_to;
use crate::domain::held::integration_secret;
use crate::domain::lifecycle::Transition;
use crate::domain::model::{EventKind, Integration, Tenant};
use crate::domain::transition::{ensure_active, event};
use crate::engine::api::Reply;
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::operation::Operation;
use crate::store::{Durability, Tx};
use crate::time::Millis;

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

/// What `tenant` may not do to remove `integration`, if anything.
fn refusal(tenant: &Tenant, integration: Integration) -> Option<String> {
    let slug = &tenant.slug;
    if tenant.integration == integration {
        return Some(format!(
            "{integration} is the first integration of tenant {slug}: `mcp-onboard offboard {slug}` offboards the tenant"
        ));
    }
    (!tenant.holds(integration)).then(|| format!("tenant {slug} does not hold {integration}"))
}

/// `tenant integration remove`: an integration with Blaxel resources is offboarded by the
/// provisioner (its grant given back or kept, its MCP server and connection deleted, then
/// its tokens and state wiped); one without is removed now, its grant given back (or kept,
/// and why) and its tokens wiped. That decision is made again in the commit that removes
/// it: a consent that came in meanwhile is never wiped without its grant going back.
pub async fn remove(
    core: &Core,
    actor: &Actor,
    slug: String,
    integration: Integration,
) -> Result<Reply, EngineError> {
    let s = slug.clone();
    let tenant = core.store().read(move |st| st.tenant(&s)).await?;
    let tenant = tenant.ok_or_else(|| EngineError::UnknownTenant(slug.clone()))?;
    ensure_active(&tenant)?;
    if let Some(why) = refusal(&tenant, integration) {
        return Err(EngineError::Conflict(why));
    }
    let Some(facet) = tenant.facet(integration) else {
        return Err(EngineError::Conflict(format!(
            "tenant {slug} does not hold {integration}"
        )));
    };
    if facet.provision.is_some() {
        let s = slug.clone();
        core.commit(actor, Durability::Durable, move |tx| {
            start_leaving(tx, &s, integration, None)
        })
        .await?;
        core.wake_provisioner();
        return show(core, &slug).await;
    }
    let seen = traces(&facet);
    let give_back = GiveBackGrants {
        tenant: facet,
        integration: Some(integration),
    };
    let said = match give_back.run(core, actor).await {
        RevokeResult::Done(said) => said,
        RevokeResult::Retry(why) | RevokeResult::Fail(why) => {
            return Err(EngineError::Unavailable(format!(
                "{why}; nothing was removed"
            )));
        }
        RevokeResult::NotLeader => {
            return Err(crate::store::StoreError::from(crate::store::NotLeader).into());
        }
    };
    let s = slug.clone();
    let removed = core
        .commit(actor, Durability::Durable, move |tx| {
            let cur = tenant_in(tx, &s)?;
            ensure_active(&cur)?;
            let now = cur.facet(integration).ok_or_else(|| {
                EngineError::Conflict(format!("tenant {s} does not hold {integration}"))
            })?;
            if now.provision.is_some() {
                // A consent came in while Google answered: it leaves as one provisioned
                // does, and its revoke step gives back the grant it holds now.
                start_leaving(tx, &s, integration, Some(&said))?;
                return Ok(false);
            }
            if traces(&now) != seen {
                return Err(EngineError::Conflict(format!(
                    "{integration} of tenant {s} changed while it was being removed (a consent came in): nothing was removed; run the command again"
                )));
            }
            withdraw_asking(tx, &s, integration)?;
            let mut next = cur;
            for base in [REFRESH_TOKEN, PENDING_TOKEN] {
                tx.delete_secret(&s, &integration_secret(Some(integration), base))?;
            }
            next.added.retain(|a| a.integration != integration);
            let at = tx.now();
            next.updated_at = at;
            let detail = format!("{integration} removed: {said}");
            let mut entry = event(&s, at, EventKind::IntegrationRemoved, detail);
            entry.integration = Some(integration);
            tx.put_tenant(next, Some(entry))?;
            Ok(true)
        })
        .await?;
    if !removed {
        core.wake_provisioner();
    }
    show(core, &slug).await
}

/// What of an integration (`f`, as a tenant of it alone) removing it decides on: its
/// consent, its job, and a consent of its own waiting for approval.
fn traces(f: &Tenant) -> (Option<Millis>, bool, Option<Millis>) {
    (
        f.consented_at,
        f.provision.is_some(),
        f.pending.as_ref().map(|p| p.at),
    )
}

/// Start the offboarding of `integration` alone, its links that ask for it alone withdrawn;
/// `given_back`: what giving its grant back said already, for the timeline.
fn start_leaving(
    tx: &mut dyn Tx,
    slug: &str,
    integration: Integration,
    given_back: Option<&str>,
) -> Result<(), EngineError> {
    withdraw_asking(tx, slug, integration)?;
    let cur = tenant_in(tx, slug)?;
    let (next, mut entry) = apply_to(
        &cur,
        Some(integration),
        &Transition::OffboardRequested,
        tx.now(),
    )?;
    if let Some(said) = given_back {
        entry.detail = crate::text::clean(&format!(
            "{} (a consent came in while it was being removed without Blaxel resources; before it: {said})",
            entry.detail
        ));
    }
    tx.put_tenant(next, Some(entry))?;
    Ok(())
}
