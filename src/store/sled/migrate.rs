//! Bringing an older database up to the current layout, on open, before anything else
//! reads it. Each step is safe to run again after a crash part-way: it first clears what it
//! builds, and the schema version is written last.
//!
//! Version 1 (the first release) kept a tenant's events under `events` keyed by slug and
//! sled-generated id, and found a tenant's links by scanning every link. Version 2 numbers
//! every timeline entry in one sequence (`timeline`, with `seq` for replay in order), keys a
//! tenant's links (`tenant_links`), and reserves sequence numbers ahead on disk.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::layout::{
    self, META_SCHEMA, META_SEQ_RESERVED, encode, seq_key, tenant_link_key, timeline_key,
};
use super::overlay::SEQ_RESERVE;
use crate::domain::model::{ConsentLink, EventKind, Tenant, TenantStatus, TimelineEntry};
use crate::store::{Cipher, StoreError, slug_of_secret_slot, tenant_key_slot};

/// A version 1 event: what `events` held.
#[derive(Deserialize)]
struct V1Event {
    at: i64,
    tenant: String,
    kind: EventKind,
    detail: String,
}

/// The status an entry of this kind left the tenant in, as the lifecycle sets it (version 1
/// entries did not store it); kinds that do not decide the status keep `before`.
fn status_after(kind: EventKind, detail: &str, before: TenantStatus) -> TenantStatus {
    let consented = before.has_consent();
    match kind {
        EventKind::TenantAdded => TenantStatus::Created,
        EventKind::LinkIssued if !consented => TenantStatus::LinkIssued,
        EventKind::LinkOpened if !consented => TenantStatus::LinkOpened,
        EventKind::Consented => TenantStatus::Consented,
        EventKind::ConsentFailed if !detail.contains("earlier consent kept") => {
            TenantStatus::Failed
        }
        EventKind::ConnectionReady => TenantStatus::ConnectionReady,
        EventKind::ServerCreated => TenantStatus::ServerCreated,
        EventKind::Deployed => TenantStatus::Deployed,
        EventKind::ProvisionFailed => TenantStatus::Failed,
        // "operator asked to retry provisioning from the STEP step": the status of that step.
        EventKind::RetryRequested if detail.contains("from the connection step") => {
            TenantStatus::Consented
        }
        EventKind::RetryRequested if detail.contains("from the function step") => {
            TenantStatus::ConnectionReady
        }
        EventKind::RetryRequested if detail.contains("from the deploy step") => {
            TenantStatus::ServerCreated
        }
        _ => before,
    }
}

pub(super) fn v1_to_v2(db: &sled::Db) -> Result<(), StoreError> {
    tracing::info!("migrating the database from schema version 1 to 2");
    let timeline = db.open_tree("timeline")?;
    let seq = db.open_tree("seq")?;
    let tenant_links = db.open_tree("tenant_links")?;
    timeline.clear()?;
    seq.clear()?;
    tenant_links.clear()?;

    // Version 1 ids came from one generator, so they order events across tenants.
    let events = db.open_tree("events")?;
    let mut ordered: BTreeMap<u64, V1Event> = BTreeMap::new();
    for kv in events.iter() {
        let (k, v) = kv?;
        let id = k
            .len()
            .checked_sub(8)
            .and_then(|at| layout::u64_of(&k[at..]))
            .unwrap_or(0);
        let e: V1Event = layout::decode("version 1 event", &v)?;
        ordered.insert(id, e);
    }
    let mut status: BTreeMap<String, TenantStatus> = BTreeMap::new();
    let mut n: u64 = 0;
    let mut batch_t = sled::Batch::default();
    let mut batch_s = sled::Batch::default();
    for e in ordered.into_values() {
        n += 1;
        let before = status
            .get(&e.tenant)
            .copied()
            .unwrap_or(TenantStatus::Created);
        let after = status_after(e.kind, &e.detail, before);
        status.insert(e.tenant.clone(), after);
        let entry = TimelineEntry {
            seq: n,
            at: e.at,
            tenant: e.tenant.clone(),
            kind: e.kind,
            detail: e.detail,
            status: after,
            integration: None,
        };
        batch_t.insert(timeline_key(&e.tenant, n), encode(&entry));
        batch_s.insert(&seq_key(n), e.tenant.as_bytes());
    }
    timeline.apply_batch(batch_t)?;
    seq.apply_batch(batch_s)?;
    // Every tenant must read under the current model before the version moves on.
    for kv in db.open_tree("tenants")?.iter() {
        let (_, v) = kv?;
        layout::decode::<Tenant>("tenant", &v)?;
    }

    let links = db.open_tree("links")?;
    let mut batch_l = sled::Batch::default();
    for kv in links.iter() {
        let (k, v) = kv?;
        let l: ConsentLink = layout::decode("consent link", &v)?;
        batch_l.insert(
            tenant_link_key(&l.tenant, l.created_at, &k),
            Vec::<u8>::new(),
        );
    }
    tenant_links.apply_batch(batch_l)?;

    let meta = db.open_tree("meta")?;
    meta.insert(META_SEQ_RESERVED, &(n + SEQ_RESERVE).to_be_bytes())?;
    db.flush()?;
    meta.insert(META_SCHEMA, &2u32.to_be_bytes())?;
    db.flush()?;
    db.drop_tree("events")?;
    db.flush()?;
    tracing::info!(entries = n, "migration to schema version 2 done");
    Ok(())
}

/// Version 3 seals each tenant's secrets under a data key of its own (made here, sealed
/// under the master key in `tenant_keys`), so that offboarding can destroy it. Safe to run
/// again after a crash part-way: a secret that no longer opens with the master key is one
/// re-sealed already, and is checked to open with its tenant's key.
pub(super) fn v2_to_v3(db: &sled::Db, master: &Cipher) -> Result<(), StoreError> {
    let secrets = db.open_tree("secrets")?;
    let keys = db.open_tree("tenant_keys")?;
    let meta = db.open_tree("meta")?;
    let mut ciphers: BTreeMap<String, Cipher> = BTreeMap::new();
    for item in secrets.iter() {
        let (slot, sealed) = item?;
        let Some(slug) = slug_of_secret_slot(&slot).map(str::to_owned) else {
            continue;
        };
        if !ciphers.contains_key(&slug) {
            let cipher = match keys.get(slug.as_bytes())? {
                Some(k) => tenant_cipher(master, &slug, &k)?,
                None => {
                    use rand::RngCore;
                    let mut key = zeroize::Zeroizing::new([0u8; 32]);
                    rand::thread_rng().fill_bytes(key.as_mut());
                    keys.insert(
                        slug.as_bytes(),
                        master.seal(&tenant_key_slot(&slug), key.as_ref()),
                    )?;
                    Cipher::from_key(&key)
                }
            };
            ciphers.insert(slug.clone(), cipher);
        }
        let Some(cipher) = ciphers.get(&slug) else {
            continue;
        };
        match master.open(&slot, &sealed) {
            Ok(plain) => {
                let plain = zeroize::Zeroizing::new(plain);
                secrets.insert(&slot, cipher.seal(&slot, &plain))?;
            }
            // Re-sealed by an earlier, interrupted run.
            Err(_) => {
                cipher
                    .open(&slot, &sealed)
                    .map_err(|_| StoreError::Decrypt)?;
            }
        }
    }
    db.flush()?;
    meta.insert(META_SCHEMA, &3u32.to_be_bytes())?;
    db.flush()?;
    Ok(())
}

fn tenant_cipher(master: &Cipher, slug: &str, sealed: &[u8]) -> Result<Cipher, StoreError> {
    let key = zeroize::Zeroizing::new(
        master
            .open(&tenant_key_slot(slug), sealed)
            .map_err(|_| StoreError::Decrypt)?,
    );
    let key: &[u8; 32] = key.as_slice().try_into().map_err(|_| StoreError::Decrypt)?;
    Ok(Cipher::from_key(key))
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_rebuilt_as_the_lifecycle_sets_them() {
        use EventKind as K;
        use TenantStatus as S;
        let mut s = S::Created;
        let mut seen = Vec::new();
        for (k, d) in [
            (K::TenantAdded, ""),
            (K::LinkIssued, ""),
            (K::LinkOpened, ""),
            (K::ConsentStarted, ""),
            (K::Consented, ""),
            (K::ConsentFailed, "x (earlier consent kept)"),
            (K::LinkIssued, ""),
            (K::ConnectionReady, ""),
            (K::ProvisionFailed, ""),
            (
                K::RetryRequested,
                "operator asked to retry provisioning from the function step",
            ),
        ] {
            s = status_after(k, d, s);
            seen.push(s);
        }
        assert_eq!(
            seen,
            vec![
                S::Created,
                S::LinkIssued,
                S::LinkOpened,
                S::LinkOpened,
                S::Consented,
                S::Consented,
                S::Consented,
                S::ConnectionReady,
                S::Failed,
                S::ConnectionReady
            ]
        );
    }
}

#[cfg(test)]
mod v3_tests {
    use super::*;
    use crate::store::Cipher;

    #[test]
    fn v2_to_v3_reseals_under_tenant_keys_and_may_run_again_after_a_crash() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let master = Cipher::from_key(&[7u8; 32]);
        let secrets = db.open_tree("secrets").unwrap();
        for (slug, token) in [("acme", "1//a"), ("beta", "1//b")] {
            let slot = crate::store::secret_slot(slug, "refresh_token");
            secrets
                .insert(&slot, master.seal(&slot, token.as_bytes()))
                .unwrap();
        }
        v2_to_v3(&db, &master).unwrap();
        let keys = db.open_tree("tenant_keys").unwrap();
        let open = |slug: &str| {
            let slot = crate::store::secret_slot(slug, "refresh_token");
            let sealed = secrets.get(&slot).unwrap().unwrap();
            assert!(
                master.open(&slot, &sealed).is_err(),
                "no longer under the master key"
            );
            let c = tenant_cipher(&master, slug, &keys.get(slug).unwrap().unwrap()).unwrap();
            String::from_utf8(c.open(&slot, &sealed).unwrap()).unwrap()
        };
        assert_eq!(open("acme"), "1//a");
        assert_eq!(open("beta"), "1//b");
        // As if the schema version had not been written before a crash: a second run
        // finds everything re-sealed and keeps it.
        v2_to_v3(&db, &master).unwrap();
        assert_eq!(open("acme"), "1//a");
        let meta = db.open_tree("meta").unwrap();
        assert_eq!(
            layout::u32_of(&meta.get(META_SCHEMA).unwrap().unwrap()),
            Some(3)
        );
    }
}
