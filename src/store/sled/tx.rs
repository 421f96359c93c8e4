//! The sled transaction: what an operation sees on the writer thread. Reads see the
//! committed state plus the writes of the batch so far; writes are buffered and committed
//! with the batch (all or nothing). Every tenant or link written is published as one
//! change, numbered in the one sequence; a timeline entry shares its change's number.
//!
//! This file: the transaction's core, tenants and the audit chain; links and flows are in
//! `tx_links`, secrets, the outbox and imports in `tx_store`.

use std::sync::Arc;

use super::deferred::{Counts, Deferred};
use super::layout::{self, T, decode, encode, seq_key, tenant_prefix, timeline_key};
use super::overlay::{Overlay, SEQ_RESERVE, SeqState};
use super::trees::Trees;
use crate::domain::audit::{AuditHead, Operator};
use crate::domain::model::{AuditEvent, ProvisionerState, Tenant, TimelineEntry, UsedFlow};
use crate::store::index_update::IndexUpdate;
use crate::store::{Change, Committed, FlowTx, SecretTx, StoreError, TenantTx, Tx};
use crate::time::Millis;

pub(super) struct Parts {
    pub writes: Overlay,
    pub changes: Vec<Committed>,
    pub updates: Vec<IndexUpdate>,
    pub written_counts: Vec<(Vec<u8>, Counts)>,
}

/// Keys and values, in key order.
pub(super) type Rows = Vec<(Vec<u8>, Vec<u8>)>;

pub(super) struct SledTx<'a> {
    pub(super) trees: &'a Trees,
    batch: &'a Overlay,
    writes: Overlay,
    pub(super) changes: Vec<Committed>,
    pub(super) updates: Vec<IndexUpdate>,
    seq: &'a mut SeqState,
    deferred: &'a std::sync::Mutex<Deferred>,
    /// Deferred counts [`LinkTx::link`](crate::store::LinkTx::link) added to what it read,
    /// per link.
    pub(super) applied: std::cell::RefCell<std::collections::HashMap<Vec<u8>, Counts>>,
    /// Deferred counts this operation wrote out (taken off once its batch commits).
    pub(super) written_counts: Vec<(Vec<u8>, Counts)>,
    now: Millis,
    /// Who this operation is done for (an operator's command), for the audit chain.
    actor: Option<Operator>,
}

impl<'a> SledTx<'a> {
    pub(super) fn new(
        trees: &'a Trees,
        batch: &'a Overlay,
        seq: &'a mut SeqState,
        deferred: &'a std::sync::Mutex<Deferred>,
        now: Millis,
        actor: Option<Operator>,
    ) -> Self {
        Self {
            trees,
            batch,
            writes: Overlay::new(),
            changes: Vec::new(),
            updates: Vec::new(),
            seq,
            deferred,
            applied: Default::default(),
            written_counts: Vec::new(),
            now,
            actor,
        }
    }

    /// What the operation wrote, what it publishes, how the index changes, and the
    /// deferred counts it wrote out (to take off once the batch commits).
    pub(super) fn into_parts(self) -> Parts {
        Parts {
            writes: self.writes,
            changes: self.changes,
            updates: self.updates,
            written_counts: self.written_counts,
        }
    }

    pub(super) fn pending(&self, hash: &[u8]) -> Option<Counts> {
        self.lock().links.get(hash).copied()
    }

    /// Drop everything this operation wrote (its sequence numbers stay used).
    pub(super) fn discard(&mut self) {
        self.writes.clear();
        self.changes.clear();
        self.updates.clear();
        self.written_counts.clear();
    }

    pub(super) fn next_seq(&mut self) -> u64 {
        let s = self.seq.next;
        self.seq.next += 1;
        if s > self.seq.reserved {
            self.seq.reserved = s + SEQ_RESERVE;
        }
        s
    }

    pub(super) fn get(&self, t: T, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let k = (t, key.to_vec());
        if let Some(v) = self.writes.get(&k) {
            return Ok(v.clone());
        }
        if let Some(v) = self.batch.get(&k) {
            return Ok(v.clone());
        }
        Ok(self.trees.tree(t).get(key)?.map(|v| v.to_vec()))
    }

    pub(super) fn put(&mut self, t: T, key: Vec<u8>, value: Vec<u8>) {
        self.writes.insert((t, key), Some(value));
    }

    pub(super) fn del(&mut self, t: T, key: Vec<u8>) {
        self.writes.insert((t, key), None);
    }

    /// Every key with `prefix` in `t`, as the batch so far sees it, in key order.
    pub(super) fn scan(&self, t: T, prefix: &[u8]) -> Result<Rows, StoreError> {
        let mut out = std::collections::BTreeMap::new();
        for kv in self.trees.tree(t).scan_prefix(prefix) {
            let (k, v) = kv?;
            out.insert(k.to_vec(), Some(v.to_vec()));
        }
        for ov in [self.batch, &self.writes] {
            for ((tree, k), v) in ov.range((t, prefix.to_vec())..) {
                if *tree != t || !k.starts_with(prefix) {
                    break;
                }
                out.insert(k.clone(), v.clone());
            }
        }
        Ok(out
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect())
    }

    /// Write a backup of everything committed so far and this batch's writes before this
    /// point (a consistent snapshot: the writer does nothing else meanwhile).
    pub(super) fn backup_to(
        &self,
        path: &std::path::Path,
    ) -> Result<crate::store::backup::BackupSummary, StoreError> {
        super::backup::write_snapshot(self.trees, &[self.batch, &self.writes], path)
    }

    /// Publish `change` under the next sequence number (once the batch commits).
    pub(super) fn publish(&mut self, change: Change) -> u64 {
        let seq = self.next_seq();
        self.changes.push(Committed { seq, change });
        seq
    }
}

impl SledTx<'_> {
    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, Deferred> {
        self.deferred.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl TenantTx for SledTx<'_> {
    fn tenant(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        self.get(T::Tenants, slug.as_bytes())?
            .map(|v| decode(&format!("tenant {slug}"), &v))
            .transpose()
    }

    /// Write a tenant, with the timeline line its transition produced (if any); returns
    /// the change's sequence number.
    fn put_tenant(&mut self, tenant: Tenant, entry: Option<AuditEvent>) -> Result<u64, StoreError> {
        if let Some(e) = &entry {
            let (what, detail) = crate::store::audit::of_event(e);
            self.append_audit("event", &what, Some(&tenant.slug), &detail)?;
        }
        let seq = self.next_seq();
        // Any write may change the status (not only those with a timeline line).
        if self
            .trees
            .outbox_on
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            self.enqueue_webhook_event(&tenant, seq)?;
        }
        self.put(T::Tenants, tenant.slug.as_bytes().to_vec(), encode(&tenant));
        let entry = entry.map(|e| TimelineEntry {
            seq,
            at: e.at,
            tenant: tenant.slug.clone(),
            kind: e.kind,
            detail: e.detail,
            status: tenant.status,
            integration: e.integration,
        });
        if let Some(e) = &entry {
            self.put(T::Timeline, timeline_key(&tenant.slug, seq), encode(e));
            self.put(
                T::Seq,
                seq_key(seq).to_vec(),
                tenant.slug.as_bytes().to_vec(),
            );
        }
        let tenant = Arc::new(tenant);
        self.updates.push(IndexUpdate::Tenant(tenant.clone()));
        self.changes.push(Committed {
            seq,
            change: Change::Tenant { tenant, entry },
        });
        Ok(seq)
    }

    /// Add a new tenant; `false` (and nothing written) if the slug is taken (by a tenant,
    /// or by an import decided and not yet written).
    fn insert_tenant(&mut self, tenant: Tenant, entry: AuditEvent) -> Result<bool, StoreError> {
        if self.get(T::Tenants, tenant.slug.as_bytes())?.is_some()
            || super::import::is_reserved(self.trees, &tenant.slug)
        {
            return Ok(false);
        }
        self.put_tenant(tenant, Some(entry))?;
        Ok(true)
    }

    /// Delete a tenant with its timeline, links and secrets.
    fn remove_tenant(&mut self, slug: &str) -> Result<(), StoreError> {
        let prefix = tenant_prefix(slug);
        // Its pending OAuth flows and their tombstones go too: a callback for one is then
        // a state never seen, and touches nothing (not a new tenant of the same slug).
        for (h, _) in self.flows_of(slug)? {
            self.lock().flows.remove(&h);
            self.del(T::Flows, h.clone());
            self.updates.push(IndexUpdate::FlowGone(h));
        }
        for (k, v) in self.scan(T::UsedFlows, &[])? {
            if decode::<UsedFlow>("used flow", &v).is_ok_and(|u| u.tenant == slug) {
                self.del(T::UsedFlows, k);
            }
        }
        for (k, v) in self.scan(T::Timeline, &prefix)? {
            if let Ok(e) = decode::<TimelineEntry>("timeline entry", &v) {
                self.del(T::Seq, seq_key(e.seq).to_vec());
            }
            self.del(T::Timeline, k);
        }
        for (k, _) in self.scan(T::TenantLinks, &prefix)? {
            if let Some(h) = layout::hash_of_tenant_link(&k) {
                self.del(T::Links, h.to_vec());
                // Counts and flow lists kept in memory for the link go with it: nothing
                // would ever write them, and the writer would wait for them forever.
                let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
                let mut d = self.lock();
                d.links.remove(h);
                d.link_flows.remove(&hex);
                if d.is_empty() {
                    d.since = None;
                }
            }
            self.del(T::TenantLinks, k);
        }
        self.delete_secrets_of(slug)?;
        self.destroy_tenant_key(slug)?;
        self.del(T::Tenants, slug.as_bytes().to_vec());
        self.updates
            .push(IndexUpdate::RemoveTenant(slug.to_owned()));
        self.publish(Change::TenantRemoved {
            slug: slug.to_owned(),
        });
        Ok(())
    }
}

impl Tx for SledTx<'_> {
    fn now(&self) -> Millis {
        self.now
    }

    /// Its hash covers the previous head's, and the new head carries a MAC under the key
    /// derived from the master key.
    fn append_audit(
        &mut self,
        kind: &str,
        what: &str,
        tenant: Option<&str>,
        detail: &str,
    ) -> Result<(), StoreError> {
        // A head that cannot be read fails the commit: starting the chain again from no head
        // would overwrite its first entries.
        let head: Option<AuditHead> = match self.get(T::Meta, layout::META_AUDIT_HEAD)? {
            Some(v) => Some(decode("audit head", &v)?),
            None => None,
        };
        let entry = crate::store::audit::Entry {
            at: self.now,
            kind,
            what,
            tenant,
            detail,
            actor: self.actor.clone(),
        };
        let (rec, head) = crate::store::audit::link(&self.trees.cipher, head.as_ref(), entry);
        self.put(T::Audit, super::audit::key(rec.seq).to_vec(), encode(&rec));
        self.put(T::Meta, layout::META_AUDIT_HEAD.to_vec(), encode(&head));
        Ok(())
    }

    fn publish_provisioner(&mut self, state: ProvisionerState) -> Result<(), StoreError> {
        self.publish(Change::Provisioner(state));
        Ok(())
    }
}

impl SledTx<'_> {
    /// Put the webhook events this tenant's change is (one per integration whose status
    /// changed) in the outbox, in the same commit as the change: no event is lost to a
    /// crash, and none is sent for a change that did not happen.
    fn enqueue_webhook_event(&mut self, tenant: &Tenant, seq: u64) -> Result<(), StoreError> {
        // The tenant before, read as the commit sees it: a read that fails fails the
        // commit rather than send an event for a change that may not be one.
        let before = match self.get(T::Tenants, tenant.slug.as_bytes())? {
            Some(v) => Some(decode::<Tenant>("tenant", &v)?),
            None => None,
        };
        for (key, event) in crate::store::outbox::queued(before.as_ref(), tenant, seq, self.now) {
            self.put(T::Outbox, key, encode(&event));
        }
        Ok(())
    }
}
