//! The stored layout (schema version 7): which tree holds what, and how keys are built.
//!
//! | tree | key | value |
//! |---|---|---|
//! | `meta` | `schema_version`, `key_check`, `seq_reserved`, `audit_head` | u32 BE, sealed text, u64 BE, JSON |
//! | `meta` | `import/ID/` chunk (u32 BE): an import decided, not yet written | JSON rows (see `import`) |
//! | `meta` | `risc/JTI`: a security event from Google, received | time (i64 BE), then its JSON |
//! | `tenants` | slug | tenant JSON |
//! | `timeline` | slug, 0, seq (u64 BE) | timeline entry JSON |
//! | `seq` | seq (u64 BE) | slug: the one sequence, for replay |
//! | `links` | SHA-256 of the code | link JSON |
//! | `tenant_links` | slug, 0, created (u64 BE), SHA-256 | empty: a tenant's links |
//! | `flows` | SHA-256 of the state | flow JSON with the sealed PKCE verifier |
//! | `used_flows` | SHA-256 of the state | tombstone JSON (a replay is told apart) |
//! | `secrets` | `tenant/SLUG/NAME`, `flow/HASH` | XChaCha20-Poly1305, bound to the slot |
//! | `tenant_keys` | slug | the tenant's data key, sealed under the master key |
//! | `outbox` | seq (u64 BE) | webhook event JSON, with the ids of the receivers that took it |
//! | `audit` | seq (u64 BE), from 0 (the genesis) | audit entry JSON (see `audit`) |
//!
//! Slugs never contain a 0 byte, so `slug, 0` is an exact prefix.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::domain::model::PendingFlow;
use crate::store::StoreError;

/// The version this release writes: that of its last migration (`open` checks that they
/// agree).
pub const SCHEMA_VERSION: u32 = 7;

/// The trees, in the order the writer's transaction views them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum T {
    Meta = 0,
    Tenants,
    Timeline,
    Seq,
    Links,
    TenantLinks,
    Flows,
    UsedFlows,
    Secrets,
    TenantKeys,
    Outbox,
    Audit,
}

pub const TREES: [(T, &str); 12] = [
    (T::Meta, "meta"),
    (T::Tenants, "tenants"),
    (T::Timeline, "timeline"),
    (T::Seq, "seq"),
    (T::Links, "links"),
    (T::TenantLinks, "tenant_links"),
    (T::Flows, "flows"),
    (T::UsedFlows, "used_flows"),
    (T::Secrets, "secrets"),
    (T::TenantKeys, "tenant_keys"),
    (T::Outbox, "outbox"),
    (T::Audit, "audit"),
];

pub const META_SCHEMA: &[u8] = b"schema_version";
pub const META_KEY_CHECK: &[u8] = crate::store::KEY_CHECK_RECORD.1;
pub const META_SEQ_RESERVED: &[u8] = b"seq_reserved";
/// Where Google's security events are recorded, by `jti` (one each, so each is acted on
/// once).
pub const META_RISC_PREFIX: &[u8] = b"risc/";
/// The audit chain's head (last entry's sequence number and hash, with a MAC).
pub const META_AUDIT_HEAD: &[u8] = b"audit_head";

/// A flow as stored: the verifier sealed, base64.
#[derive(Serialize, Deserialize)]
pub struct StoredFlow {
    pub flow: PendingFlow,
    pub verifier: String,
}

pub fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    // Serializing our own plain structs to JSON cannot fail.
    serde_json::to_vec(v).unwrap_or_default()
}

pub fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Codec {
        what: what.to_owned(),
        detail: e.to_string(),
    })
}

pub fn tenant_prefix(slug: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(slug.len() + 1);
    k.extend_from_slice(slug.as_bytes());
    k.push(0);
    k
}

pub fn timeline_key(slug: &str, seq: u64) -> Vec<u8> {
    let mut k = tenant_prefix(slug);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

pub fn seq_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

pub fn tenant_link_key(slug: &str, created_at: i64, hash: &[u8]) -> Vec<u8> {
    let mut k = tenant_prefix(slug);
    k.extend_from_slice(&u64::try_from(created_at.max(0)).unwrap_or(0).to_be_bytes());
    k.extend_from_slice(hash);
    k
}

/// The link hash at the end of a `tenant_links` key.
pub fn hash_of_tenant_link(key: &[u8]) -> Option<&[u8]> {
    key.len().checked_sub(32).map(|at| &key[at..])
}

pub fn u64_of(bytes: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(bytes).ok().map(u64::from_be_bytes)
}

pub fn u32_of(bytes: &[u8]) -> Option<u32> {
    <[u8; 4]>::try_from(bytes).ok().map(u32::from_be_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_keys_sort_by_time_and_end_in_the_hash() {
        let a = tenant_link_key("acme", 5, &[1; 32]);
        let b = tenant_link_key("acme", 6, &[0; 32]);
        assert!(a < b);
        assert!(a.starts_with(&tenant_prefix("acme")));
        assert!(!a.starts_with(&tenant_prefix("acm")));
        assert_eq!(hash_of_tenant_link(&a), Some(&[1u8; 32][..]));
        assert!(timeline_key("a", 1) < timeline_key("a", 256));
    }
}
