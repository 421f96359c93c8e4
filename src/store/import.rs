//! The import journal: how a large import is one decision without one huge transaction.
//!
//! sled 0.34 keeps every page a transaction replaces until the transaction ends, so one
//! transaction of 100,000 tenants (four writes each) grows the process by gigabytes. So an
//! import is decided in one small transaction ([`Tx::import_decide`]): every slug checked
//! free and reserved, the rows written to the journal in `meta` (`import/ID/` then the
//! chunk number, u32 BE: a JSON list of at most [`CHUNK_ROWS`] rows). From then on the
//! import is all of its rows: each chunk is written as tenants and taken off the journal
//! in one transaction of its own ([`Tx::import_apply`]); a chunk left by a crash is written
//! when the database opens next, and its slugs stay reserved until then, so no other
//! command can take them meanwhile.

use std::collections::HashSet;

use super::layout::{T, decode, encode};
use super::tx::Tx;
use super::{StoreError, Trees};
use crate::domain::lifecycle::{NewTenant, new_tenant};

/// Rows per journal chunk (and per transaction that writes them as tenants).
pub const CHUNK_ROWS: usize = 1000;
const PREFIX: &[u8] = b"import/";

fn chunk_key(id: &str, n: u32) -> Vec<u8> {
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

fn reserved(trees: &Trees) -> std::sync::MutexGuard<'_, HashSet<String>> {
    trees.importing.lock().unwrap_or_else(|p| p.into_inner())
}

/// Whether `slug` is reserved by an import decided and not yet written.
pub(super) fn is_reserved(trees: &Trees, slug: &str) -> bool {
    reserved(trees).contains(slug)
}

impl Tx<'_> {
    /// Decide an import (`rows` checked valid by the caller): `Err` with the slugs taken
    /// (by a tenant, or by another import) and nothing written; else the rows journaled
    /// and their slugs reserved, and the keys of the chunks to write.
    pub fn import_decide(
        &mut self,
        id: &str,
        rows: Vec<NewTenant>,
    ) -> Result<Result<Vec<Vec<u8>>, Vec<String>>, StoreError> {
        let mut taken = Vec::new();
        for r in &rows {
            if self.get(T::Tenants, r.slug.as_bytes())?.is_some()
                || is_reserved(self.trees(), &r.slug)
            {
                taken.push(r.slug.clone());
            }
        }
        if !taken.is_empty() {
            return Ok(Err(taken));
        }
        let mut keys = Vec::new();
        for (n, chunk) in (0u32..).zip(rows.chunks(CHUNK_ROWS)) {
            let key = chunk_key(id, n);
            self.put(T::Meta, key.clone(), encode(&chunk));
            keys.push(key);
        }
        reserved(self.trees()).extend(rows.into_iter().map(|r| r.slug));
        Ok(Ok(keys))
    }

    /// Write the journal chunk under `key` as tenants and take it off the journal; `0`
    /// when it was written already.
    pub fn import_apply(&mut self, key: &[u8]) -> Result<usize, StoreError> {
        let Some(raw) = self.get(T::Meta, key)? else {
            return Ok(0);
        };
        let rows: Vec<NewTenant> = decode("import journal", &raw)?;
        let now = self.now();
        let mut written = 0;
        for r in &rows {
            // Checked when the import was decided, and reserved since: only a journal
            // restored over other data could fail here; that row is left out, and said.
            let made = new_tenant(r, now);
            let free = self.get(T::Tenants, r.slug.as_bytes())?.is_none();
            match made {
                Ok((tenant, event)) if free => {
                    self.put_tenant(tenant, Some(event));
                    written += 1;
                }
                Ok(_) => {
                    tracing::warn!(slug = %r.slug, "an imported tenant exists already: its row is left out")
                }
                Err(e) => {
                    tracing::warn!(slug = %r.slug, error = %e, "an imported row is not valid: it is left out")
                }
            }
        }
        self.del(T::Meta, key.to_vec());
        let mut held = reserved(self.trees());
        for r in &rows {
            held.remove(&r.slug);
        }
        Ok(written)
    }
}
