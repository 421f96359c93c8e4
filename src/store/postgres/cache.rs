//! What the writer's batch has read or written of tenants, their links and data keys, and
//! of the audit chain's head, kept for the rest of the batch: the database would answer
//! the same (the batch's own writes, under its snapshot), one round trip later. An
//! operation's entries join the batch's when it is kept, and go with it when it is undone.
//! Every write to those rows goes through the transaction, which keeps this in step.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use crate::domain::audit::AuditHead;
use crate::domain::model::{ConsentLink, Tenant};

/// Entries of the batch, under those of the current operation.
struct Layered<K, V> {
    batch: RefCell<HashMap<K, V>>,
    op: RefCell<HashMap<K, V>>,
}

impl<K, V> Default for Layered<K, V> {
    fn default() -> Self {
        Self {
            batch: RefCell::default(),
            op: RefCell::default(),
        }
    }
}

impl<K: Hash + Eq, V: Clone> Layered<K, V> {
    fn get<Q>(&self, k: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(v) = self.op.borrow().get(k) {
            return Some(v.clone());
        }
        self.batch.borrow().get(k).cloned()
    }

    fn set(&self, k: K, v: V) {
        self.op.borrow_mut().insert(k, v);
    }

    fn end(&self, keep: bool) {
        let op = std::mem::take(&mut *self.op.borrow_mut());
        if keep {
            self.batch.borrow_mut().extend(op);
        }
    }
}

/// A tenant's row and what is read with it: its links (hashes in `links_of`'s order) and
/// its data key as stored.
pub(super) struct Prefetched {
    pub tenant: Option<Tenant>,
    pub links: Vec<(Vec<u8>, ConsentLink)>,
    pub key: Option<Vec<u8>>,
}

#[derive(Default)]
pub(super) struct Cache {
    tenants: Layered<String, Option<Arc<Tenant>>>,
    /// Links by hash, as stored (counts from their columns); `None`: known absent.
    links: Layered<Vec<u8>, Option<ConsentLink>>,
    /// A tenant's link hashes in `links_of`'s order; `None`: not known (any more).
    tenant_links: Layered<String, Option<Vec<Vec<u8>>>>,
    keys: Layered<String, Option<Vec<u8>>>,
    /// The chain's head, and whether the batch moved it (written once, at its end).
    head: Layered<(), (Option<AuditHead>, bool)>,
}

impl Cache {
    /// The tenant as the batch knows it: `None` when it was neither read nor written.
    pub fn tenant(&self, slug: &str) -> Option<Option<Arc<Tenant>>> {
        self.tenants.get(slug)
    }

    pub fn set_tenant(&self, slug: &str, tenant: Option<Arc<Tenant>>) {
        self.tenants.set(slug.to_owned(), tenant);
    }

    /// Keep what a tenant's read brought (a tenant written in this batch keeps that).
    pub fn prefetched(&self, slug: &str, p: Prefetched) {
        if self.tenants.get(slug).is_none() {
            self.set_tenant(slug, p.tenant.map(Arc::new));
        }
        if self.keys.get(slug).is_none() {
            self.keys.set(slug.to_owned(), p.key);
        }
        if self.tenant_links.get(slug).flatten().is_none() {
            let hashes = p.links.iter().map(|(h, _)| h.clone()).collect();
            for (h, l) in p.links {
                self.links.set(h, Some(l));
            }
            self.tenant_links.set(slug.to_owned(), Some(hashes));
        }
    }

    /// A link as stored: `None` when not known, `Some(None)` when known absent.
    pub fn link(&self, hash: &[u8]) -> Option<Option<ConsentLink>> {
        self.links.get(hash)
    }

    /// A link read (`None`: there is none).
    pub fn read_link(&self, hash: &[u8], link: Option<ConsentLink>) {
        self.links.set(hash.to_vec(), link);
    }

    /// A link written: its tenant's list stays only when it held it already, unmoved.
    pub fn put_link(&self, hash: &[u8], link: &ConsentLink) {
        let before = self.links.get(hash).flatten();
        let unmoved = before
            .as_ref()
            .is_some_and(|b| b.tenant == link.tenant && b.created_at == link.created_at);
        let listed = self
            .tenant_links
            .get(link.tenant.as_str())
            .flatten()
            .is_some_and(|l| l.iter().any(|h| h == hash));
        if !(unmoved && listed) {
            self.tenant_links.set(link.tenant.clone(), None);
            if let Some(b) = &before {
                self.tenant_links.set(b.tenant.clone(), None);
            }
        }
        self.links.set(hash.to_vec(), Some(link.clone()));
    }

    /// The tenant's links, if known with every one of them.
    pub fn links_of(&self, slug: &str) -> Option<Vec<(Vec<u8>, ConsentLink)>> {
        let hashes = self.tenant_links.get(slug).flatten()?;
        hashes
            .into_iter()
            .map(|h| {
                let l = self.links.get(&h).flatten()?;
                Some((h, l))
            })
            .collect()
    }

    pub fn read_links_of(&self, slug: &str, links: &[(Vec<u8>, ConsentLink)]) {
        for (h, l) in links {
            self.links.set(h.clone(), Some(l.clone()));
        }
        let hashes = links.iter().map(|(h, _)| h.clone()).collect();
        self.tenant_links.set(slug.to_owned(), Some(hashes));
    }

    /// The tenant's links went (with it).
    pub fn links_gone(&self, slug: &str, hashes: &[Vec<u8>]) {
        for h in hashes {
            self.links.set(h.clone(), None);
        }
        self.tenant_links.set(slug.to_owned(), Some(Vec::new()));
    }

    /// The tenant's data key as stored: `None` when not known.
    pub fn key(&self, slug: &str) -> Option<Option<Vec<u8>>> {
        self.keys.get(slug)
    }

    pub fn set_key(&self, slug: &str, sealed: Option<Vec<u8>>) {
        self.keys.set(slug.to_owned(), sealed);
    }

    /// The audit chain's head as the batch knows it: `None` when not read yet.
    pub fn head(&self) -> Option<Option<AuditHead>> {
        self.head.get(&()).map(|(h, _)| h)
    }

    /// The head as read.
    pub fn read_head(&self, head: Option<AuditHead>) {
        self.head.set((), (head, false));
    }

    /// The head moved: the batch writes it at its end.
    pub fn move_head(&self, head: AuditHead) {
        self.head.set((), (Some(head), true));
    }

    /// The head the batch's kept operations moved it to, if they did.
    pub fn moved_head(&self) -> Option<AuditHead> {
        match self.head.get(&()) {
            Some((head, true)) => head,
            _ => None,
        }
    }

    /// The current operation ended: kept, its entries are the batch's; undone, they go.
    pub fn end(&self, keep: bool) {
        self.tenants.end(keep);
        self.links.end(keep);
        self.tenant_links.end(keep);
        self.keys.end(keep);
        self.head.end(keep);
    }
}
