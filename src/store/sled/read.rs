//! Reads of the sled database outside the writer (see [`crate::store::Reader`]): blocking,
//! so they run on a blocking thread.

use std::sync::{Arc, Mutex};

use secrecy::SecretString;

use super::deferred::Deferred;
use super::layout::{self, META_SCHEMA, StoredFlow, T, decode};
use super::trees::Trees;
use crate::domain::anchor::AuditAnchor;
use crate::domain::audit::{AuditHead, AuditRecord};
use crate::domain::model::{ConsentLink, PendingFlow, Tenant, TimelineEntry, UsedFlow};
use crate::domain::outbox::OutboxEvent;
use crate::store::audit::Verdict;
use crate::store::{Reader, StoreError, secret_slot};
use crate::time::Millis;

pub(super) struct SledReader {
    pub trees: Arc<Trees>,
    pub deferred: Arc<Mutex<Deferred>>,
}

impl SledReader {
    fn tree(&self, t: T) -> &sled::Tree {
        self.trees.tree(t)
    }
}

impl Reader for SledReader {
    fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(self
            .tree(T::Meta)
            .get(META_SCHEMA)?
            .and_then(|v| layout::u32_of(&v))
            .unwrap_or(0))
    }

    fn tenant(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        self.tree(T::Tenants)
            .get(slug.as_bytes())?
            .map(|v| decode(&format!("tenant {slug}"), &v))
            .transpose()
    }

    /// Every tenant record, decoded (slow with many tenants: the index is for lists).
    fn tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        self.tree(T::Tenants)
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                decode(&format!("tenant {}", String::from_utf8_lossy(&k)), &v)
            })
            .collect()
    }

    /// A tenant's timeline, oldest first.
    fn timeline(&self, slug: &str) -> Result<Vec<TimelineEntry>, StoreError> {
        self.tree(T::Timeline)
            .scan_prefix(layout::tenant_prefix(slug))
            .map(|kv| decode("timeline entry", &kv?.1))
            .collect()
    }

    /// Timeline entries with a sequence number above `after`, in order, at most `limit`.
    fn entries_since(&self, after: u64, limit: usize) -> Result<Vec<TimelineEntry>, StoreError> {
        let mut out = Vec::new();
        let start = layout::seq_key(after.saturating_add(1));
        for kv in self.tree(T::Seq).range(start..) {
            if out.len() >= limit {
                break;
            }
            let (k, slug) = kv?;
            let Some(seq) = layout::u64_of(&k) else {
                continue;
            };
            let slug = String::from_utf8_lossy(&slug).into_owned();
            if let Some(v) = self
                .tree(T::Timeline)
                .get(layout::timeline_key(&slug, seq))?
            {
                out.push(decode("timeline entry", &v)?);
            }
        }
        Ok(out)
    }

    fn secret(&self, slug: &str, name: &str) -> Result<Option<SecretString>, StoreError> {
        let slot = secret_slot(slug, name);
        let Some(sealed) = self.tree(T::Secrets).get(&slot)? else {
            return Ok(None);
        };
        let key = self.tree(T::TenantKeys).get(slug.as_bytes())?;
        let cipher = self.trees.tenant_cipher(slug, key.as_deref())?;
        cipher
            .open_string(&slot, &sealed)
            .map(Some)
            .map_err(|_| StoreError::Decrypt)
    }

    /// The audit chain's entries in order, those of `tenant` only when given, from `since`.
    fn audit_records(
        &self,
        tenant: Option<&str>,
        since: Option<Millis>,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let mut out = Vec::new();
        for kv in self.tree(T::Audit).iter() {
            let (_, v) = kv?;
            let r: AuditRecord = decode("audit entry", &v)?;
            if tenant.is_some_and(|t| r.tenant.as_deref() != Some(t)) {
                continue;
            }
            if since.is_some_and(|s| r.at < s) {
                continue;
            }
            out.push(r);
        }
        Ok(out)
    }

    /// Check the audit chain (see [`audit::verify`]), with the anchors an operator noted.
    fn verify_audit(&self, anchors: &[AuditAnchor]) -> Result<Verdict, StoreError> {
        let t = &self.trees;
        super::audit::verify_stored(
            t.tree(T::Audit),
            t.tree(T::Meta),
            t.tree(T::Tenants).len(),
            &t.cipher,
            anchors,
        )
    }

    /// The audit chain's head and when its entry was written, if its MAC holds.
    fn audit_head(&self) -> Result<Result<(AuditHead, Millis), String>, StoreError> {
        let t = &self.trees;
        super::audit::stored_checked_head(t.tree(T::Audit), t.tree(T::Meta), &t.cipher)
    }

    /// Up to `limit` events of the webhook outbox after `after` (from the oldest when
    /// `None`), in order, with their keys.
    fn outbox_after(
        &self,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, OutboxEvent)>, StoreError> {
        use std::ops::Bound;
        let from = match after {
            Some(k) => Bound::Excluded(k.to_vec()),
            None => Bound::Unbounded,
        };
        let mut out = Vec::new();
        for kv in self
            .tree(T::Outbox)
            .range::<Vec<u8>, _>((from, Bound::Unbounded))
            .take(limit)
        {
            let (k, v) = kv?;
            out.push((k.to_vec(), decode("outbox event", &v)?));
        }
        Ok(out)
    }

    /// The import journal's chunks not written yet (see `import`), in order.
    fn pending_import_chunks(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        super::import::pending(self.tree(T::Meta))
    }

    fn security_events(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut out = Vec::new();
        for kv in self
            .tree(T::Meta)
            .scan_prefix(super::layout::META_RISC_PREFIX)
        {
            let (_, v) = kv?;
            // The time it came (8 bytes), then its claims.
            out.push(v.get(8..).unwrap_or_default().to_vec());
        }
        Ok(out)
    }

    fn sealed_secret_for_tests(&self, slug: &str, name: &str) -> Option<Vec<u8>> {
        self.tree(T::Secrets)
            .get(secret_slot(slug, name))
            .ok()
            .flatten()
            .map(|v| v.to_vec())
    }

    fn open_sealed_for_tests(
        &self,
        slug: &str,
        name: &str,
        sealed: &[u8],
    ) -> Result<SecretString, StoreError> {
        let key = self.tree(T::TenantKeys).get(slug.as_bytes())?;
        let cipher = self.trees.tenant_cipher(slug, key.as_deref())?;
        cipher
            .open_string(&secret_slot(slug, name), sealed)
            .map_err(|_| StoreError::Decrypt)
    }

    fn link(&self, code_hash: &[u8]) -> Result<Option<ConsentLink>, StoreError> {
        self.tree(T::Links)
            .get(code_hash)?
            .map(|v| decode("consent link", &v))
            .transpose()
    }

    /// A tenant's links, oldest first, found through the per-tenant key (no scan of all).
    /// Opens and Continues counted in the last moments are included.
    fn links_for(&self, slug: &str) -> Result<Vec<ConsentLink>, StoreError> {
        let mut out = Vec::new();
        for kv in self
            .tree(T::TenantLinks)
            .scan_prefix(layout::tenant_prefix(slug))
        {
            let (k, _) = kv?;
            if let Some(h) = layout::hash_of_tenant_link(&k)
                && let Some(mut l) = self.link(h)?
            {
                // Counts not written yet.
                let pending = self
                    .deferred
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .links
                    .get(h)
                    .copied();
                if let Some(c) = pending {
                    l.open_count = l.open_count.saturating_add(c.opens);
                    l.continue_count = l.continue_count.saturating_add(c.continues);
                }
                out.push(l);
            }
        }
        Ok(out)
    }

    fn pending_flow(&self, state_hash: &[u8]) -> Result<Option<PendingFlow>, StoreError> {
        self.tree(T::Flows)
            .get(state_hash)?
            .map(|v| decode::<StoredFlow>("pending flow", &v).map(|s| s.flow))
            .transpose()
    }

    fn used_flow(&self, state_hash: &[u8]) -> Result<Option<UsedFlow>, StoreError> {
        self.tree(T::UsedFlows)
            .get(state_hash)?
            .map(|v| decode("used flow", &v))
            .transpose()
    }
}
