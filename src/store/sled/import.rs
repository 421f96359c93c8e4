//! The import journal: how a large import is one decision without one huge transaction.
//!
//! sled 0.34 keeps every page a transaction replaces until the transaction ends, so one
//! transaction of 100,000 tenants (four writes each) grows the process by gigabytes. So an
//! import is decided in one small transaction (`import_decide`): every slug checked free
//! and reserved, the rows written to the journal in `meta` (`import/ID/` then the chunk
//! number, u32 BE: a JSON list of at most [`CHUNK_ROWS`] rows). From then on the import is
//! all of its rows: each chunk is written as tenants and taken off the journal in one
//! transaction of its own (`import_apply`); a chunk left by a crash is written when the
//! database opens next, and its slugs stay reserved until then, so no other command can
//! take them meanwhile. The transaction's side is in `tx_store`; this file is the
//! journal's keys and the reservations.

use std::collections::HashSet;

use super::layout::decode;
use super::trees::Trees;
use crate::domain::lifecycle::NewTenant;
use crate::store::StoreError;

/// Rows per journal chunk (and per transaction that writes them as tenants).
pub const CHUNK_ROWS: usize = 1000;
const PREFIX: &[u8] = b"import/";

pub(in crate::store) fn chunk_key(id: &str, n: u32) -> Vec<u8> {
    let mut k = PREFIX.to_vec();
    k.extend_from_slice(id.as_bytes());
    k.push(b'/');
    k.extend_from_slice(&n.to_be_bytes());
    k
}

/// The slugs reserved by the journal as stored (when the database opens).
pub(super) fn reserved_in(meta: &sled::Tree) -> Result<HashSet<String>, StoreError> {
    let mut out = HashSet::new();
    for kv in meta.scan_prefix(PREFIX) {
        let (_, v) = kv?;
        let rows: Vec<NewTenant> = decode("import journal", &v)?;
        out.extend(rows.into_iter().map(|r| r.slug));
    }
    Ok(out)
}

/// The journal's chunks not written yet, in order.
pub(super) fn pending(meta: &sled::Tree) -> Result<Vec<Vec<u8>>, StoreError> {
    meta.scan_prefix(PREFIX)
        .map(|kv| Ok(kv?.0.to_vec()))
        .collect()
}

pub(super) fn reserved(trees: &Trees) -> std::sync::MutexGuard<'_, HashSet<String>> {
    trees.importing.lock().unwrap_or_else(|p| p.into_inner())
}

/// Whether `slug` is reserved by an import decided and not yet written.
pub(super) fn is_reserved(trees: &Trees, slug: &str) -> bool {
    reserved(trees).contains(slug)
}
