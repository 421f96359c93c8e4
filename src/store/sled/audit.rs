//! The audit chain in sled: tree `audit` keyed by sequence number (u64 BE), its head in
//! `meta` (see [`crate::store::audit`] for the chain itself).

use super::layout::{META_AUDIT_HEAD, decode, encode, u64_of};
use crate::domain::anchor::AuditAnchor;
use crate::domain::audit::{AuditHead, AuditRecord};
use crate::store::audit::{Verdict, checked_head, genesis, verify};
use crate::store::{Cipher, StoreError};
use crate::time::Millis;

pub(super) fn key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

/// Write the genesis of a new chain straight into sled (the database being made).
pub(super) fn start_chain(db: &sled::Db, cipher: &Cipher) -> Result<(), StoreError> {
    let (rec, head) = genesis(
        cipher,
        crate::time::now_ms(),
        "database_created",
        &format!(
            "the audit chain starts with the database (schema version {})",
            super::layout::SCHEMA_VERSION
        ),
    );
    db.open_tree("audit")?.insert(key(rec.seq), encode(&rec))?;
    db.open_tree("meta")?
        .insert(META_AUDIT_HEAD, encode(&head))?;
    Ok(())
}

/// The stored head, if any (unreadable counts as none).
pub(super) fn stored_head(meta: &sled::Tree) -> Result<Option<AuditHead>, StoreError> {
    Ok(meta
        .get(META_AUDIT_HEAD)?
        .and_then(|v| decode("audit head", &v).ok()))
}

/// Check the chain as stored (see [`verify`]).
pub(super) fn verify_stored(
    audit: &sled::Tree,
    meta: &sled::Tree,
    tenants: usize,
    cipher: &Cipher,
    anchors: &[AuditAnchor],
) -> Result<Verdict, StoreError> {
    let entries = audit.iter().map(|kv| {
        let (k, v) = kv?;
        let at = u64_of(&k).unwrap_or(u64::MAX);
        Ok((at, decode::<AuditRecord>("audit entry", &v)))
    });
    verify(entries, stored_head(meta)?, tenants, cipher, anchors)
}

/// The head as stored, checked (see [`checked_head`]).
pub(super) fn stored_checked_head(
    audit: &sled::Tree,
    meta: &sled::Tree,
    cipher: &Cipher,
) -> Result<Result<(AuditHead, Millis), String>, StoreError> {
    checked_head(stored_head(meta)?, cipher, |seq| {
        Ok(audit
            .get(key(seq))?
            .and_then(|v| decode::<AuditRecord>("audit entry", &v).ok()))
    })
}
