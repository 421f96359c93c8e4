//! Inside an operation: apply a lifecycle transition to a tenant and write it with its
//! timeline entry, in the transaction.

use crate::domain::consent::LinkChange;
use crate::domain::facet;
use crate::domain::lifecycle::Transition;
use crate::domain::model::{Integration, Tenant};
use crate::engine::error::EngineError;
use crate::store::Tx;

/// The tenant, or `UnknownTenant`.
pub fn tenant_in(tx: &dyn Tx, slug: &str) -> Result<Tenant, EngineError> {
    tx.tenant(slug)?
        .ok_or_else(|| EngineError::UnknownTenant(slug.to_owned()))
}

/// Write back links as a decision changed them.
pub fn write_links(tx: &mut dyn Tx, changes: Vec<LinkChange>) -> Result<(), EngineError> {
    for c in changes {
        tx.put_link(&c.hash, c.link)?;
    }
    Ok(())
}

/// Apply `t` to the tenant and write it with its event; the tenant as written.
pub fn apply_in(tx: &mut dyn Tx, slug: &str, t: &Transition) -> Result<Tenant, EngineError> {
    apply_for(tx, slug, None, t)
}

/// Apply `t` to one integration of the tenant (`None`: its first) and write it with its
/// event; the tenant as written.
pub fn apply_for(
    tx: &mut dyn Tx,
    slug: &str,
    integration: Option<Integration>,
    t: &Transition,
) -> Result<Tenant, EngineError> {
    let cur = tenant_in(tx, slug)?;
    let (next, event) = facet::apply_to(&cur, integration, t, tx.now())?;
    tx.put_tenant(next.clone(), Some(event))?;
    Ok(next)
}
