//! Before the sweep drops expired flows: for each tenant with a link a customer went on to
//! Google through, note on its timeline the links whose flows expired with no callback
//! ([`crate::domain::no_callback`]). Written in the sweep's transaction, on either backend,
//! from what is stored (the flows and the tenant); nothing new is stored.

use crate::domain::model::AuditEvent;
use crate::domain::no_callback::no_callback_entries;
use crate::engine::error::EngineError;
use crate::store::Tx;
use crate::time::Millis;

/// Note the tenants among `slugs` whose flows that expired before `before` saw no
/// callback; the entries that went on timelines (to log once committed).
pub(super) fn note(
    tx: &mut dyn Tx,
    slugs: &[String],
    before: Millis,
) -> Result<Vec<AuditEvent>, EngineError> {
    let mut noted = Vec::new();
    for slug in slugs {
        let expired: Vec<_> = tx
            .flows_of(slug)?
            .into_iter()
            .map(|(_, f)| f)
            .filter(|f| f.expires_at < before)
            .collect();
        if expired.is_empty() {
            continue;
        }
        let Some(tenant) = tx.tenant(slug)? else {
            continue;
        };
        for entry in no_callback_entries(&tenant, &expired, tx.now()) {
            tx.put_tenant(tenant.clone(), Some(entry.clone()))?;
            noted.push(entry);
        }
    }
    Ok(noted)
}
