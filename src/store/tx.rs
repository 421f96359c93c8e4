//! The typed view an operation gets on the writer thread: reads see the committed state
//! plus the writes of the batch so far; writes are buffered and committed with the batch
//! (all or nothing). Every tenant or link written is published as one change, numbered in
//! the one sequence; a timeline entry shares its change's number.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};

use super::index::Index;
use super::layout::{
    self, StoredFlow, T, decode, encode, flow_slot, secret_prefix, secret_slot, seq_key,
    tenant_link_key, tenant_prefix, timeline_key,
};
use super::writer::{Overlay, SEQ_RESERVE, SeqState};
use super::{StoreError, Trees};
use crate::domain::model::{
    AuditEvent, ConsentLink, PendingFlow, ProvisionerState, Tenant, TimelineEntry, UsedFlow,
};
use crate::time::Millis;

/// What a committed operation changed, as published to subscribers.
#[derive(Debug, Clone)]
pub enum Change {
    /// A tenant record was written; `entry` is the timeline line it came with, if any.
    Tenant {
        tenant: Arc<Tenant>,
        entry: Option<TimelineEntry>,
    },
    /// A tenant record was deleted (a tenant that never consented, removed).
    TenantRemoved { slug: String },
    /// A consent link was written (issued, opened, used, withdrawn, superseded).
    Link { link: ConsentLink },
    /// The provisioner's state changed (nothing stored).
    Provisioner(ProvisionerState),
}

/// A change with its number in the one sequence.
#[derive(Debug, Clone)]
pub struct Committed {
    pub seq: u64,
    pub change: Change,
}

pub(super) enum IndexUpdate {
    Tenant(Arc<Tenant>),
    RemoveTenant(String),
    Link(Vec<u8>, ConsentLink),
    FlowPut(Vec<u8>, Millis),
    FlowGone(Vec<u8>),
    SweepLinks,
}

impl IndexUpdate {
    pub(super) fn apply(&self, index: &mut Index, now: Millis) {
        match self {
            IndexUpdate::Tenant(t) => index.put_tenant(t),
            IndexUpdate::RemoveTenant(s) => index.remove_tenant(s),
            IndexUpdate::Link(h, l) => index.put_link(h, l, now),
            IndexUpdate::FlowPut(h, e) => index.put_flow(h, *e),
            IndexUpdate::FlowGone(h) => index.remove_flow(h),
            IndexUpdate::SweepLinks => {
                index.sweep_links(now);
            }
        }
    }
}

/// Opens and Continues counted on a link but not yet written: a busy link is written once
/// per [`super::LAZY_FLUSH`], not once per request. Reads through a [`Tx`] include them.
#[derive(Default)]
pub(super) struct Deferred {
    /// When the oldest item not written yet came (the writer writes them within
    /// [`super::LAZY_FLUSH`] of that).
    pub since: Option<std::time::Instant>,
    pub links: std::collections::HashMap<Vec<u8>, Counts>,
    /// Flows staged by request handlers and not written yet (within a flush interval).
    pub flows: std::collections::HashMap<Vec<u8>, StoredFlow>,
    /// Every pending flow per link, staged or written, oldest first.
    pub link_flows: LinkFlows,
    /// Written flows pushed out by the per-link cap, to delete.
    pub evicted: Vec<Vec<u8>>,
}

impl Deferred {
    pub fn is_empty(&self) -> bool {
        self.links.is_empty() && self.flows.is_empty() && self.evicted.is_empty()
    }

    /// Note that something waits to be written.
    pub fn touch(&mut self) {
        self.since.get_or_insert_with(std::time::Instant::now);
    }

    /// Count a repeat open or Continue of a link.
    pub fn count(&mut self, hash: &[u8], continued: bool) {
        self.touch();
        let c = self.links.entry(hash.to_vec()).or_default();
        if continued {
            c.continues = c.continues.saturating_add(1);
        } else {
            c.opens = c.opens.saturating_add(1);
        }
    }

    /// Take off counts that were written; forget the clock once nothing waits.
    pub fn written(&mut self, hash: &[u8], counts: Counts) {
        if let Some(c) = self.links.get_mut(hash) {
            *c = c.minus(counts);
            if *c == Counts::default() {
                self.links.remove(hash);
            }
        }
        if self.is_empty() {
            self.since = None;
        }
    }

    /// Note a new flow of a link; returns the written flows the cap pushes out (staged
    /// ones are simply dropped).
    fn add_flow(&mut self, link_hash: &str, state_hash: &[u8]) -> Vec<Vec<u8>> {
        let mine = self.link_flows.entry(link_hash.to_owned()).or_default();
        mine.push_back(state_hash.to_vec());
        let mut out = Vec::new();
        while mine.len() > MAX_FLOWS_PER_LINK {
            if let Some(old) = mine.pop_front()
                && self.flows.remove(&old).is_none()
            {
                out.push(old);
            }
        }
        out
    }

    fn forget_flow(&mut self, link_hash: &str, state_hash: &[u8]) {
        if let Some(q) = self.link_flows.get_mut(link_hash) {
            q.retain(|h| h != state_hash);
            if q.is_empty() {
                self.link_flows.remove(link_hash);
            }
        }
    }

    /// Stage a flow from a request handler: it is found by the callback at once and
    /// written with the next lazy flush (a press of Continue costs no disk write of its
    /// own, and a flood of them is bounded by the per-link cap).
    pub fn stage_flow(&mut self, state_hash: &[u8], flow: PendingFlow, sealed: String) {
        self.touch();
        let evicted = self.add_flow(&flow.link_hash, state_hash);
        self.evicted.extend(evicted);
        self.flows.insert(
            state_hash.to_vec(),
            StoredFlow {
                flow,
                verifier: sealed,
            },
        );
    }

    /// Staged flows still within their sign-in window.
    pub fn staged_pending(&self, now: Millis) -> usize {
        self.flows
            .values()
            .filter(|f| f.flow.expires_at > now)
            .count()
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Counts {
    pub opens: u32,
    pub continues: u32,
}

impl Counts {
    fn minus(self, other: Counts) -> Counts {
        Counts {
            opens: self.opens.saturating_sub(other.opens),
            continues: self.continues.saturating_sub(other.continues),
        }
    }

    fn apply(self, l: &mut ConsentLink) {
        l.open_count = l.open_count.saturating_add(self.opens);
        l.continue_count = l.continue_count.saturating_add(self.continues);
    }
}

/// Pending flows per link (hex SHA-256 of the link code), oldest first: the writer keeps at
/// most [`MAX_FLOWS_PER_LINK`] per link, so pressing Continue again and again cannot grow
/// the store without bound (the oldest flow goes; its callback is then not recognised).
pub(super) type LinkFlows = std::collections::HashMap<String, std::collections::VecDeque<Vec<u8>>>;

/// Pending flows kept per link: a few browser tabs' worth.
pub const MAX_FLOWS_PER_LINK: usize = 4;

pub(super) struct Parts {
    pub writes: Overlay,
    pub changes: Vec<Committed>,
    pub updates: Vec<IndexUpdate>,
    pub written_counts: Vec<(Vec<u8>, Counts)>,
}

/// What counting a request on a link found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counted {
    /// The first of its kind on this link: written now, and here is the link.
    First(Box<ConsentLink>),
    /// Counted (written with the next lazy flush).
    Again,
    /// The link cannot start a flow (any more), or does not exist: nothing counted.
    NotLive,
}

/// What taking a flow found.
pub enum TakenFlow {
    /// The flow, now removed (a tombstone stays), and its PKCE verifier.
    Taken(PendingFlow, SecretString),
    /// Already used, by a callback for this tenant.
    Used(UsedFlow),
    Unknown,
}

/// Keys and values, in key order.
type Rows = Vec<(Vec<u8>, Vec<u8>)>;

pub struct Tx<'a> {
    trees: &'a Trees,
    batch: &'a Overlay,
    writes: Overlay,
    changes: Vec<Committed>,
    updates: Vec<IndexUpdate>,
    seq: &'a mut SeqState,
    deferred: &'a std::sync::Mutex<Deferred>,
    /// Deferred counts [`Tx::link`] added to what it read, per link.
    applied: std::cell::RefCell<std::collections::HashMap<Vec<u8>, Counts>>,
    /// Deferred counts this operation wrote out (taken off once its batch commits).
    written_counts: Vec<(Vec<u8>, Counts)>,
    now: Millis,
    /// Who this operation is done for (an operator's command), for the audit chain.
    actor: Option<crate::domain::model::Actor>,
}

impl<'a> Tx<'a> {
    pub(super) fn new(
        trees: &'a Trees,
        batch: &'a Overlay,
        seq: &'a mut SeqState,
        deferred: &'a std::sync::Mutex<Deferred>,
        now: Millis,
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
            actor: None,
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

    fn pending(&self, hash: &[u8]) -> Option<Counts> {
        self.lock().links.get(hash).copied()
    }

    /// Drop everything this operation wrote (its sequence numbers stay used).
    pub(super) fn discard(&mut self) {
        self.writes.clear();
        self.changes.clear();
        self.updates.clear();
        self.written_counts.clear();
    }

    /// The batch's clock: one time for every operation in it.
    pub fn now(&self) -> Millis {
        self.now
    }

    fn next_seq(&mut self) -> u64 {
        let s = self.seq.next;
        self.seq.next += 1;
        if s > self.seq.reserved {
            self.seq.reserved = s + SEQ_RESERVE;
        }
        s
    }

    pub(super) fn trees(&self) -> &Trees {
        self.trees
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
    fn scan(&self, t: T, prefix: &[u8]) -> Result<Rows, StoreError> {
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

    // ---- tenants and their timeline ----

    pub fn tenant(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        self.get(T::Tenants, slug.as_bytes())?
            .map(|v| decode(&format!("tenant {slug}"), &v))
            .transpose()
    }

    /// Write a tenant, with the timeline line its transition produced (if any); returns
    /// the change's sequence number.
    pub fn put_tenant(&mut self, tenant: Tenant, entry: Option<AuditEvent>) -> u64 {
        if let Some(e) = &entry {
            let what = serde_json::to_value(e.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            self.append_audit("event", &what, Some(&tenant.slug), &e.detail);
        }
        let seq = self.next_seq();
        // Any write may change the status (not only those with a timeline line).
        if self
            .trees
            .outbox_on
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            self.enqueue_webhook_event(&tenant, seq);
        }
        self.put(T::Tenants, tenant.slug.as_bytes().to_vec(), encode(&tenant));
        let entry = entry.map(|e| TimelineEntry {
            seq,
            at: e.at,
            tenant: tenant.slug.clone(),
            kind: e.kind,
            detail: e.detail,
            status: tenant.status,
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
        seq
    }

    /// Add a new tenant; `false` (and nothing written) if the slug is taken (by a tenant,
    /// or by an import decided and not yet written).
    pub fn insert_tenant(&mut self, tenant: Tenant, entry: AuditEvent) -> Result<bool, StoreError> {
        if self.get(T::Tenants, tenant.slug.as_bytes())?.is_some()
            || super::import::is_reserved(self.trees, &tenant.slug)
        {
            return Ok(false);
        }
        self.put_tenant(tenant, Some(entry));
        Ok(true)
    }

    /// Delete a tenant with its timeline, links and secrets.
    pub fn remove_tenant(&mut self, slug: &str) -> Result<(), StoreError> {
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
        for (k, _) in self.scan(T::Secrets, &secret_prefix(slug))? {
            self.del(T::Secrets, k);
        }
        self.destroy_tenant_key(slug);
        self.del(T::Tenants, slug.as_bytes().to_vec());
        let seq = self.next_seq();
        self.updates
            .push(IndexUpdate::RemoveTenant(slug.to_owned()));
        self.changes.push(Committed {
            seq,
            change: Change::TenantRemoved {
                slug: slug.to_owned(),
            },
        });
        Ok(())
    }

    // ---- the audit chain ----

    /// Say who this operation is done for (its events are audited with it).
    pub fn set_actor(&mut self, actor: Option<crate::domain::model::Actor>) {
        self.actor = actor;
    }

    /// Append an entry to the audit chain: its hash covers the previous head's, and the
    /// new head carries a MAC under the key derived from the master key.
    pub fn append_audit(&mut self, kind: &str, what: &str, tenant: Option<&str>, detail: &str) {
        let head: Option<crate::domain::model::AuditHead> = self
            .get(T::Meta, layout::META_AUDIT_HEAD)
            .ok()
            .flatten()
            .and_then(|v| decode("audit head", &v).ok());
        let entry = super::audit::Entry {
            at: self.now,
            kind,
            what,
            tenant,
            detail,
            actor: self.actor.clone(),
        };
        let (rec, head) = super::audit::link(&self.trees.cipher, head.as_ref(), entry);
        self.put(T::Audit, super::audit::key(rec.seq).to_vec(), encode(&rec));
        self.put(T::Meta, layout::META_AUDIT_HEAD.to_vec(), encode(&head));
    }

    // ---- the webhook outbox ----

    /// Put the webhook event this tenant's change is (if any) in the outbox, in the same
    /// commit as the change: no event is lost to a crash, and none is sent for a change
    /// that did not happen.
    fn enqueue_webhook_event(&mut self, tenant: &Tenant, seq: u64) {
        let before = self
            .get(T::Tenants, tenant.slug.as_bytes())
            .ok()
            .flatten()
            .and_then(|v| decode::<Tenant>("tenant", &v).ok())
            .map(|t| t.status);
        let Some((event_type, data)) = crate::domain::model::OutboxEvent::of_change(before, tenant)
        else {
            return;
        };
        // Keyed by the change's sequence number: the order of the changes, across batches
        // and restarts, whatever the clock does.
        let key = seq_key(seq).to_vec();
        // A random part too: two installations sending to one receiver never share an id.
        let salt: u64 = rand::random();
        let event = crate::domain::model::OutboxEvent {
            id: format!("msg_{seq:016x}{salt:016x}"),
            event_type: event_type.to_owned(),
            at: self.now,
            data,
            delivered: Vec::new(),
        };
        self.put(T::Outbox, key, encode(&event));
    }

    /// Note that the receiver recorded as `receiver` (its id, never its URL) took the event
    /// under `key`; once every webhook that wants it has, the event goes.
    pub fn outbox_delivered(
        &mut self,
        key: &[u8],
        receiver: &str,
        done: impl Fn(&crate::domain::model::OutboxEvent) -> bool,
    ) -> Result<(), StoreError> {
        let Some(raw) = self.get(T::Outbox, key)? else {
            return Ok(());
        };
        let mut e: crate::domain::model::OutboxEvent = decode("outbox event", &raw)?;
        if !e.delivered.iter().any(|r| r == receiver) {
            e.delivered.push(receiver.to_owned());
        }
        if done(&e) {
            self.del(T::Outbox, key.to_vec());
        } else {
            self.put(T::Outbox, key.to_vec(), encode(&e));
        }
        Ok(())
    }

    /// Drop an event from the outbox (nobody wants it, or it is too old to matter).
    pub fn outbox_drop(&mut self, key: &[u8]) {
        self.del(T::Outbox, key.to_vec());
    }

    // ---- backups ----

    /// Write a backup of everything committed so far and this batch's writes before this
    /// operation (a consistent snapshot: the writer does nothing else meanwhile).
    pub fn backup_to(&self, path: &std::path::Path) -> Result<super::BackupSummary, StoreError> {
        super::backup::write_file(self.trees, &[self.batch, &self.writes], path)
    }

    // ---- secrets ----

    /// Store a secret under the tenant's own data key (made on first use, sealed under the
    /// master key), so that destroying that key at offboarding leaves any copy of its old
    /// ciphertext (sled keeps overwritten data on disk for a while) unreadable.
    pub fn put_secret(
        &mut self,
        slug: &str,
        name: &str,
        value: &SecretString,
    ) -> Result<(), StoreError> {
        let cipher = match self.get(T::TenantKeys, slug.as_bytes())? {
            Some(sealed) => self.trees.tenant_cipher(slug, Some(&sealed))?,
            None => {
                let (cipher, sealed) = self.trees.new_tenant_key(slug);
                self.put(T::TenantKeys, slug.as_bytes().to_vec(), sealed);
                cipher
            }
        };
        let slot = secret_slot(slug, name);
        let sealed = cipher.seal(&slot, value.expose_secret().as_bytes());
        self.put(T::Secrets, slot, sealed);
        Ok(())
    }

    pub fn delete_secret(&mut self, slug: &str, name: &str) {
        self.del(T::Secrets, secret_slot(slug, name));
    }

    /// Delete every secret of the tenant.
    pub fn delete_secrets_of(&mut self, slug: &str) -> Result<(), StoreError> {
        for (k, _) in self.scan(T::Secrets, &secret_prefix(slug))? {
            self.del(T::Secrets, k);
        }
        Ok(())
    }

    /// Destroy the tenant's data key: whatever was sealed under it can never be opened
    /// again, wherever a copy lies.
    pub fn destroy_tenant_key(&mut self, slug: &str) {
        self.del(T::TenantKeys, slug.as_bytes().to_vec());
    }

    pub fn secret(&self, slug: &str, name: &str) -> Result<Option<SecretString>, StoreError> {
        let slot = secret_slot(slug, name);
        let Some(sealed) = self.get(T::Secrets, &slot)? else {
            return Ok(None);
        };
        let key = self.get(T::TenantKeys, slug.as_bytes())?;
        let cipher = self.trees.tenant_cipher(slug, key.as_deref())?;
        cipher
            .open_string(&slot, &sealed)
            .map(Some)
            .map_err(|_| StoreError::Decrypt)
    }

    // ---- consent links ----

    /// A link, with the opens and Continues counted but not written yet.
    pub fn link(&self, hash: &[u8]) -> Result<Option<ConsentLink>, StoreError> {
        let mut link: Option<ConsentLink> = self
            .get(T::Links, hash)?
            .map(|v| decode("consent link", &v))
            .transpose()?;
        if !self.written_counts.iter().any(|(h, _)| h == hash)
            && let (Some(l), Some(c)) = (link.as_mut(), self.pending(hash))
        {
            c.apply(l);
            self.applied.borrow_mut().insert(hash.to_vec(), c);
        }
        Ok(link)
    }

    /// Count an open of a link's page (`continued`: a press of its Continue). The first of
    /// each is written at once (the caller puts it on the timeline); later ones are written
    /// together with the next lazy flush, so a link opened again and again costs one write
    /// per flush interval, not one per request.
    pub fn count_on_link(&mut self, hash: &[u8], continued: bool) -> Result<Counted, StoreError> {
        let Some(mut link) = self.link(hash)? else {
            return Ok(Counted::NotLive);
        };
        if link.state(self.now) != crate::domain::model::LinkState::Active {
            return Ok(Counted::NotLive);
        }
        let first = if continued {
            link.continued_at.is_none()
        } else {
            link.opened_at.is_none()
        };
        if first {
            if continued {
                link.continue_count = link.continue_count.saturating_add(1);
                link.continued_at = Some(self.now);
            } else {
                link.open_count = link.open_count.saturating_add(1);
                link.opened_at = Some(self.now);
            }
            self.put_link(hash, link.clone());
            return Ok(Counted::First(Box::new(link)));
        }
        self.lock().count(hash, continued);
        Ok(Counted::Again)
    }

    /// Write out the staged flows and the evictions of written ones.
    pub(super) fn write_staged_flows(&mut self) {
        let (flows, evicted) = {
            let mut d = self.lock();
            let taken = (std::mem::take(&mut d.flows), std::mem::take(&mut d.evicted));
            if d.is_empty() {
                d.since = None;
            }
            taken
        };
        for h in evicted {
            self.del(T::Flows, h.clone());
            self.updates.push(IndexUpdate::FlowGone(h));
        }
        for (h, stored) in flows {
            self.updates
                .push(IndexUpdate::FlowPut(h.clone(), stored.flow.expires_at));
            self.put(T::Flows, h, encode(&stored));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Deferred> {
        self.deferred.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Write out every count not written yet; returns how many links were written.
    pub(super) fn write_deferred_counts(&mut self) -> Result<usize, StoreError> {
        let hashes: Vec<Vec<u8>> = self
            .deferred
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .links
            .keys()
            .cloned()
            .collect();
        for h in &hashes {
            match self.link(h)? {
                Some(l) => self.put_link(h, l),
                // The link is gone (its tenant was removed): its counts with it.
                None => {
                    let mut d = self.lock();
                    d.links.remove(h);
                    if d.is_empty() {
                        d.since = None;
                    }
                }
            }
        }
        Ok(hashes.len())
    }

    /// Write a link (new or changed) and publish it. `link` must have been read through
    /// [`Tx::link`] (it then carries the counts not written yet).
    pub fn put_link(&mut self, hash: &[u8], link: ConsentLink) {
        if !self.written_counts.iter().any(|(h, _)| h == hash) {
            // Exactly what `link` added to this link: counts that came since stay.
            if let Some(c) = self.applied.borrow_mut().remove(hash) {
                self.written_counts.push((hash.to_vec(), c));
            }
        }
        self.put(T::Links, hash.to_vec(), encode(&link));
        self.put(
            T::TenantLinks,
            tenant_link_key(&link.tenant, link.created_at, hash),
            Vec::new(),
        );
        let seq = self.next_seq();
        self.updates
            .push(IndexUpdate::Link(hash.to_vec(), link.clone()));
        self.changes.push(Committed {
            seq,
            change: Change::Link { link },
        });
    }

    /// A tenant's links with their hashes, oldest first.
    pub fn links_of(&self, slug: &str) -> Result<Vec<(Vec<u8>, ConsentLink)>, StoreError> {
        let mut out = Vec::new();
        for (k, _) in self.scan(T::TenantLinks, &tenant_prefix(slug))? {
            let Some(h) = layout::hash_of_tenant_link(&k) else {
                continue;
            };
            if let Some(l) = self.link(h)? {
                out.push((h.to_vec(), l));
            }
        }
        Ok(out)
    }

    // ---- pending OAuth flows ----

    pub fn put_flow(&mut self, state_hash: &[u8], flow: PendingFlow, verifier: &SecretString) {
        let sealed = self.trees.seal_flow_verifier(state_hash, verifier);
        self.put_sealed_flow(state_hash, flow, sealed);
    }

    /// Store a flow whose verifier was sealed already (see
    /// [`super::Store::seal_flow_verifier`], which the request thread can run).
    pub fn put_sealed_flow(&mut self, state_hash: &[u8], flow: PendingFlow, sealed: String) {
        let evicted = self.lock().add_flow(&flow.link_hash, state_hash);
        for old in evicted {
            self.del(T::Flows, old.clone());
            self.updates.push(IndexUpdate::FlowGone(old));
        }
        self.updates
            .push(IndexUpdate::FlowPut(state_hash.to_vec(), flow.expires_at));
        let stored = StoredFlow {
            flow,
            verifier: sealed,
        };
        self.put(T::Flows, state_hash.to_vec(), encode(&stored));
    }

    /// The pending flow under `state_hash`, staged or written, left in place.
    pub fn pending_flow(&self, state_hash: &[u8]) -> Result<Option<PendingFlow>, StoreError> {
        if let Some(s) = self.lock().flows.get(state_hash) {
            return Ok(Some(s.flow.clone()));
        }
        match self.get(T::Flows, state_hash)? {
            Some(raw) => Ok(Some(decode::<StoredFlow>("pending flow", &raw)?.flow)),
            None => Ok(None),
        }
    }

    /// Remove the flow and leave a tombstone, so a replay is told apart from a state that
    /// never existed; of two callbacks for one state exactly one gets it.
    pub fn take_flow(&mut self, state_hash: &[u8]) -> Result<TakenFlow, StoreError> {
        let staged = self.lock().flows.remove(state_hash);
        let stored: Result<StoredFlow, StoreError> = match staged {
            Some(s) => Ok(s),
            None => {
                let Some(raw) = self.get(T::Flows, state_hash)? else {
                    return Ok(match self.get(T::UsedFlows, state_hash)? {
                        Some(v) => TakenFlow::Used(decode("used flow", &v)?),
                        None => TakenFlow::Unknown,
                    });
                };
                self.del(T::Flows, state_hash.to_vec());
                self.updates
                    .push(IndexUpdate::FlowGone(state_hash.to_vec()));
                decode("pending flow", &raw)
            }
        };
        if let Ok(s) = &stored {
            self.lock().forget_flow(&s.flow.link_hash, state_hash);
        }
        let tenant = stored
            .as_ref()
            .map(|s| s.flow.tenant.clone())
            .unwrap_or_default();
        self.put(
            T::UsedFlows,
            state_hash.to_vec(),
            encode(&UsedFlow {
                tenant,
                used_at: self.now,
            }),
        );
        let stored = stored?;
        let sealed = STANDARD
            .decode(&stored.verifier)
            .map_err(|_| StoreError::Decrypt)?;
        let verifier = self
            .trees
            .cipher
            .open_string(&flow_slot(state_hash), &sealed)
            .map_err(|_| StoreError::Decrypt)?;
        Ok(TakenFlow::Taken(stored.flow, verifier))
    }

    /// Pending flows of a tenant, with their state hashes.
    pub fn flows_of(&self, slug: &str) -> Result<Vec<(Vec<u8>, PendingFlow)>, StoreError> {
        let mut out: Vec<(Vec<u8>, PendingFlow)> = self
            .lock()
            .flows
            .iter()
            .filter(|(_, s)| s.flow.tenant == slug)
            .map(|(h, s)| (h.clone(), s.flow.clone()))
            .collect();
        for (k, v) in self.scan(T::Flows, &[])? {
            if let Ok(s) = decode::<StoredFlow>("pending flow", &v)
                && s.flow.tenant == slug
            {
                out.push((k, s.flow));
            }
        }
        Ok(out)
    }

    /// End a pending flow without using it (its link was withdrawn): a callback for it is
    /// then refused as already used.
    pub fn end_flow(&mut self, state_hash: &[u8], flow: &PendingFlow) {
        let tenant = flow.tenant.as_str();
        {
            let mut d = self.lock();
            d.flows.remove(state_hash);
            d.forget_flow(&flow.link_hash, state_hash);
        }
        self.del(T::Flows, state_hash.to_vec());
        self.updates
            .push(IndexUpdate::FlowGone(state_hash.to_vec()));
        self.put(
            T::UsedFlows,
            state_hash.to_vec(),
            encode(&UsedFlow {
                tenant: tenant.to_owned(),
                used_at: self.now,
            }),
        );
    }

    /// Drop flows that expired and tombstones older than `before`; returns how many went.
    pub fn sweep_flows(&mut self, before: Millis) -> Result<usize, StoreError> {
        let mut n = 0;
        {
            let mut d = self.lock();
            let old: Vec<(Vec<u8>, String)> = d
                .flows
                .iter()
                .filter(|(_, s)| s.flow.expires_at < before)
                .map(|(h, s)| (h.clone(), s.flow.link_hash.clone()))
                .collect();
            for (h, link) in old {
                d.flows.remove(&h);
                d.forget_flow(&link, &h);
                n += 1;
            }
        }
        for (k, v) in self.scan(T::Flows, &[])? {
            let stored: Result<StoredFlow, _> = serde_json::from_slice(&v);
            let old = match &stored {
                Ok(s) => s.flow.expires_at < before,
                Err(_) => true,
            };
            if old {
                if let Ok(s) = &stored {
                    self.lock().forget_flow(&s.flow.link_hash, &k);
                }
                self.updates.push(IndexUpdate::FlowGone(k.clone()));
                self.del(T::Flows, k);
                n += 1;
            }
        }
        for (k, v) in self.scan(T::UsedFlows, &[])? {
            let used: Result<UsedFlow, _> = serde_json::from_slice(&v);
            if used.map(|u| u.used_at < before).unwrap_or(true) {
                self.del(T::UsedFlows, k);
                n += 1;
            }
        }
        Ok(n)
    }

    /// Let the index forget links that expired (they stay stored).
    pub fn sweep_live_links(&mut self) {
        self.updates.push(IndexUpdate::SweepLinks);
    }

    // ---- notices ----

    /// Publish the provisioner's state (nothing is stored).
    pub fn provisioner(&mut self, state: ProvisionerState) {
        let seq = self.next_seq();
        self.changes.push(Committed {
            seq,
            change: Change::Provisioner(state),
        });
    }
}
