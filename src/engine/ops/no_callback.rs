//! Noting the customers who went on to Google and never came back
//! ([`crate::domain::no_callback`]), from the flows that expired unused: those the sweep
//! drops, and those of links a withdrawal ends. Written in the same transaction, on either
//! backend, from the flows and their tenants; each link noted is marked, so a link is noted
//! once however many sweeps its flows go in.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::model::{AuditEvent, PendingFlow};
use crate::domain::no_callback::no_callback_entries;
use crate::engine::error::EngineError;
use crate::engine::token::unhex;
use crate::store::Tx;

/// Note the links of the `expired` flows (any tenants) that saw no callback; the entries
/// that went on timelines (to log once committed).
pub(super) fn note(
    tx: &mut dyn Tx,
    expired: &[PendingFlow],
) -> Result<Vec<AuditEvent>, EngineError> {
    let now = tx.now();
    let mut noted = Vec::new();
    let tenants: BTreeSet<&str> = expired.iter().map(|f| f.tenant.as_str()).collect();
    for slug in tenants {
        let Some(tenant) = tx.tenant(slug)? else {
            continue;
        };
        // A link noted already (in an earlier sweep) is not noted again; each link is read
        // once.
        let mut already: BTreeMap<&str, bool> = BTreeMap::new();
        let mut fresh = Vec::new();
        for f in expired.iter().filter(|f| f.tenant == slug) {
            let noted = match already.get(f.link_hash.as_str()) {
                Some(n) => *n,
                None => {
                    let n = noted_already(tx, &f.link_hash)?;
                    already.insert(&f.link_hash, n);
                    n
                }
            };
            if !noted {
                fresh.push(f.clone());
            }
        }
        let entries = no_callback_entries(&tenant, &fresh, now);
        for n in &entries {
            tx.put_tenant(tenant.clone(), Some(n.entry.clone()))?;
            noted.push(n.entry.clone());
        }
        let hashes: BTreeSet<&str> = entries.iter().map(|n| n.link_hash.as_str()).collect();
        for hash in hashes.into_iter().filter(|h| !h.is_empty()) {
            let h = unhex(hash);
            if let Some(mut link) = tx.link(&h)? {
                link.no_callback_at = Some(now);
                tx.put_link(&h, link)?;
            }
        }
    }
    Ok(noted)
}

/// Whether the link of this hex hash was noted already (a flow of an earlier release
/// carries no hash: its link cannot be told, and is noted).
fn noted_already(tx: &dyn Tx, link_hash: &str) -> Result<bool, EngineError> {
    if link_hash.is_empty() {
        return Ok(false);
    }
    Ok(tx
        .link(&unhex(link_hash))?
        .is_some_and(|l| l.no_callback_at.is_some()))
}

/// Log what was noted, with the likely causes.
pub(super) fn log(noted: &[AuditEvent]) {
    if noted.is_empty() {
        return;
    }
    let likely: Vec<&str> = crate::domain::google_errors::own_page()
        .map(|e| e.code)
        .collect();
    let likely = likely.join(", ");
    for e in noted {
        tracing::warn!(tenant = %e.tenant, detail = %e.detail, %likely, "no callback from Google; `tenant show` gives each likely cause's fix");
    }
}
