//! The sled transaction's consent links and pending OAuth flows (see `tx`).

use secrecy::SecretString;

use super::layout::{self, StoredFlow, T, decode, encode, tenant_link_key, tenant_prefix};
use super::tx::SledTx;
use crate::domain::model::{ConsentLink, PendingFlow, UsedFlow};
use crate::store::index_update::IndexUpdate;
use crate::store::{Change, Counted, FlowTx, LinkTx, StoreError, Swept, TakenFlow, Tx};
use crate::time::Millis;

impl LinkTx for SledTx<'_> {
    fn link(&self, hash: &[u8]) -> Result<Option<ConsentLink>, StoreError> {
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

    /// The first of each is written at once; later ones are written together with the
    /// next lazy flush, so a link opened again and again costs one write per flush
    /// interval, not one per request.
    fn count_on_link(&mut self, hash: &[u8], continued: bool) -> Result<Counted, StoreError> {
        let counted = crate::store::counts::count_first(self, hash, continued)?;
        if counted == Counted::Again {
            self.lock().count(hash, continued);
        }
        Ok(counted)
    }

    fn put_link(&mut self, hash: &[u8], link: ConsentLink) -> Result<(), StoreError> {
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
        self.updates
            .push(IndexUpdate::Link(hash.to_vec(), link.clone()));
        self.publish(Change::Link { link });
        Ok(())
    }

    fn links_of(&self, slug: &str) -> Result<Vec<(Vec<u8>, ConsentLink)>, StoreError> {
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

    fn sweep_live_links(&mut self) -> Result<(), StoreError> {
        self.updates.push(IndexUpdate::SweepLinks);
        Ok(())
    }
}

impl FlowTx for SledTx<'_> {
    fn put_flow(
        &mut self,
        state_hash: &[u8],
        flow: PendingFlow,
        verifier: &SecretString,
    ) -> Result<(), StoreError> {
        let sealed = self.trees.cipher.seal_flow_verifier(state_hash, verifier);
        self.put_sealed_flow(state_hash, flow, sealed)
    }

    fn put_sealed_flow(
        &mut self,
        state_hash: &[u8],
        flow: PendingFlow,
        sealed: String,
    ) -> Result<(), StoreError> {
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
        Ok(())
    }

    fn pending_flow(&self, state_hash: &[u8]) -> Result<Option<PendingFlow>, StoreError> {
        if let Some(s) = self.lock().flows.get(state_hash) {
            return Ok(Some(s.flow.clone()));
        }
        match self.get(T::Flows, state_hash)? {
            Some(raw) => Ok(Some(decode::<StoredFlow>("pending flow", &raw)?.flow)),
            None => Ok(None),
        }
    }

    fn take_flow(&mut self, state_hash: &[u8]) -> Result<TakenFlow, StoreError> {
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
                used_at: self.now(),
            }),
        );
        let stored = stored?;
        let verifier = self
            .trees
            .cipher
            .open_flow_verifier(state_hash, &stored.verifier)
            .map_err(|_| StoreError::Decrypt)?;
        Ok(TakenFlow::Taken(stored.flow, verifier))
    }

    fn flows_of(&self, slug: &str) -> Result<Vec<(Vec<u8>, PendingFlow)>, StoreError> {
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

    fn end_flow(&mut self, state_hash: &[u8], flow: &PendingFlow) -> Result<(), StoreError> {
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
                used_at: self.now(),
            }),
        );
        Ok(())
    }

    fn sweep_flows(&mut self, before: Millis) -> Result<Swept, StoreError> {
        let mut swept = Swept::default();
        {
            let mut d = self.lock();
            let old: Vec<Vec<u8>> = d
                .flows
                .iter()
                .filter(|(_, s)| s.flow.expires_at < before)
                .map(|(h, _)| h.clone())
                .collect();
            for h in old {
                if let Some(s) = d.flows.remove(&h) {
                    d.forget_flow(&s.flow.link_hash, &h);
                    swept.expired.push(s.flow);
                }
                swept.count += 1;
            }
        }
        for (k, v) in self.scan(T::Flows, &[])? {
            let stored: Result<StoredFlow, _> = serde_json::from_slice(&v);
            let old = match &stored {
                Ok(s) => s.flow.expires_at < before,
                Err(_) => true,
            };
            if old {
                if let Ok(s) = stored {
                    self.lock().forget_flow(&s.flow.link_hash, &k);
                    swept.expired.push(s.flow);
                }
                self.updates.push(IndexUpdate::FlowGone(k.clone()));
                self.del(T::Flows, k);
                swept.count += 1;
            }
        }
        for (k, v) in self.scan(T::UsedFlows, &[])? {
            let used: Result<UsedFlow, _> = serde_json::from_slice(&v);
            if used.map(|u| u.used_at < before).unwrap_or(true) {
                self.del(T::UsedFlows, k);
                swept.count += 1;
            }
        }
        Ok(swept)
    }
}

impl SledTx<'_> {
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

    /// Write out every count not written yet; returns how many links were written.
    pub(super) fn write_deferred_counts(&mut self) -> Result<usize, StoreError> {
        let hashes: Vec<Vec<u8>> = self.lock().links.keys().cloned().collect();
        for h in &hashes {
            match self.link(h)? {
                Some(l) => self.put_link(h, l)?,
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
}
