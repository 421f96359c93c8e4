//! The PostgreSQL transaction's consent links and pending OAuth flows (see `tx`). A link's
//! counts live in columns of their own: what a transaction read, with the counts noted in
//! memory, is what it writes; the writer adds the counts noted since as increments.

use secrecy::SecretString;

use super::rows::{LINKS_OF, link_of};
use super::shared::Effect;
use super::tx::PgTx;
use std::sync::Arc;

use crate::domain::model::{ConsentLink, PendingFlow, Tenant, UsedFlow};
use crate::store::counts::count_first;
use crate::store::index_update::IndexUpdate;
use crate::store::sled::layout::{StoredFlow, decode, encode};
use crate::store::{
    Change, Counted, FlowTx, LinkTx, MAX_FLOWS_PER_LINK, StoreError, Swept, TakenFlow, Tx,
};
use crate::time::Millis;

impl PgTx<'_> {
    /// A link as stored, with the counts noted in memory and not yet written (unless this
    /// operation wrote them already).
    fn with_pending(&self, hash: &[u8], mut link: ConsentLink) -> ConsentLink {
        if self.written.iter().any(|h| h == hash) {
            return link;
        }
        let pending = self.shared.pending().links.get(hash).copied();
        if let Some(c) = pending {
            c.apply(&mut link);
            self.applied.borrow_mut().insert(hash.to_vec(), c);
        }
        link
    }

    /// Write out the counts noted in memory, as increments; returns how many links.
    pub(super) fn write_pending_counts(&mut self) -> Result<usize, StoreError> {
        let pending: Vec<_> = self
            .shared
            .pending()
            .links
            .iter()
            .map(|(h, c)| (h.clone(), *c))
            .collect();
        for (h, c) in &pending {
            let rows = self.q(
                "UPDATE links SET open_count = open_count + $2, continue_count = continue_count + $3 \
                 WHERE hash = $1 RETURNING record, open_count, continue_count",
                &[h, &i64::from(c.opens), &i64::from(c.continues)],
            )?;
            // A link gone (its tenant removed) takes its counts with it.
            self.effects.push(Effect::CountsWritten(h.clone(), *c));
            let stored = rows.first().map(|r| link_of(r, 0)).transpose()?;
            self.cache.read_link(h, stored.clone());
            if let Some(link) = stored {
                self.index(IndexUpdate::Link(h.clone(), link.clone()));
                self.publish(Change::Link { link });
            }
        }
        Ok(pending.len())
    }
}

impl LinkTx for PgTx<'_> {
    fn link(&self, hash: &[u8]) -> Result<Option<ConsentLink>, StoreError> {
        if let Some(known) = self.cache.link(hash) {
            return Ok(known.map(|l| self.with_pending(hash, l)));
        }
        // With its tenant's record, which an operation on a link reads next.
        let rows = self.q(
            "SELECT l.record, l.open_count, l.continue_count, t.record FROM links l \
             LEFT JOIN tenants t ON t.slug = l.tenant WHERE l.hash = $1",
            &[&hash],
        )?;
        let Some(row) = rows.first() else {
            self.cache.read_link(hash, None);
            return Ok(None);
        };
        let link = link_of(row, 0)?;
        // Kept only when it reads: one that does not is the tenant read's to say.
        if self.cache.tenant(&link.tenant).is_none() {
            let tenant: Option<Vec<u8>> = row.get(3);
            let tenant: Result<Option<Tenant>, StoreError> = tenant
                .map(|v| decode(&format!("tenant {}", link.tenant), &v))
                .transpose();
            if let Ok(tenant) = tenant {
                self.cache.set_tenant(&link.tenant, tenant.map(Arc::new));
            }
        }
        self.cache.read_link(hash, Some(link.clone()));
        Ok(Some(self.with_pending(hash, link)))
    }

    fn put_link(&mut self, hash: &[u8], link: ConsentLink) -> Result<(), StoreError> {
        if !self.written.iter().any(|h| h == hash) {
            // Exactly what `link` added to this link: counts that came since stay.
            if let Some(c) = self.applied.borrow_mut().remove(hash) {
                self.effects.push(Effect::CountsWritten(hash.to_vec(), c));
            }
            self.written.push(hash.to_vec());
        }
        self.x(
            "INSERT INTO links (hash, tenant, created_at, record, open_count, continue_count) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hash) DO UPDATE SET \
             tenant = EXCLUDED.tenant, created_at = EXCLUDED.created_at, record = EXCLUDED.record, \
             open_count = EXCLUDED.open_count, continue_count = EXCLUDED.continue_count",
            &[
                &hash,
                &link.tenant,
                &link.created_at,
                &encode(&link),
                &i64::from(link.open_count),
                &i64::from(link.continue_count),
            ],
        )?;
        self.cache.put_link(hash, &link);
        self.index(IndexUpdate::Link(hash.to_vec(), link.clone()));
        self.publish(Change::Link { link });
        Ok(())
    }

    fn links_of(&self, slug: &str) -> Result<Vec<(Vec<u8>, ConsentLink)>, StoreError> {
        let stored = match self.cache.links_of(slug) {
            Some(known) => known,
            None => {
                let read = self
                    .q(LINKS_OF, &[&slug])?
                    .iter()
                    .map(|r| Ok((r.get(0), link_of(r, 1)?)))
                    .collect::<Result<Vec<(Vec<u8>, ConsentLink)>, StoreError>>()?;
                self.cache.read_links_of(slug, &read);
                read
            }
        };
        Ok(stored
            .into_iter()
            .map(|(hash, link)| {
                let link = self.with_pending(&hash, link);
                (hash, link)
            })
            .collect())
    }

    fn count_on_link(&mut self, hash: &[u8], continued: bool) -> Result<Counted, StoreError> {
        let counted = count_first(self, hash, continued)?;
        if counted == Counted::Again {
            self.shared.pending().count(hash, continued);
        }
        Ok(counted)
    }

    fn sweep_live_links(&mut self) -> Result<(), StoreError> {
        self.index(IndexUpdate::SweepLinks);
        Ok(())
    }
}

impl PgTx<'_> {
    fn tombstone(&mut self, state_hash: &[u8], tenant: &str) -> Result<(), StoreError> {
        let used = UsedFlow {
            tenant: tenant.to_owned(),
            used_at: self.now(),
        };
        self.x(
            "INSERT INTO used_flows (state_hash, tenant, used_at, record) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (state_hash) DO UPDATE SET tenant = EXCLUDED.tenant, \
             used_at = EXCLUDED.used_at, record = EXCLUDED.record",
            &[&state_hash, &used.tenant, &used.used_at, &encode(&used)],
        )
        .map(|_| ())
    }
}

impl FlowTx for PgTx<'_> {
    fn put_flow(
        &mut self,
        state_hash: &[u8],
        flow: PendingFlow,
        verifier: &SecretString,
    ) -> Result<(), StoreError> {
        let sealed = self.shared.cipher.seal_flow_verifier(state_hash, verifier);
        self.put_sealed_flow(state_hash, flow, sealed)
    }

    fn put_sealed_flow(
        &mut self,
        state_hash: &[u8],
        flow: PendingFlow,
        sealed: String,
    ) -> Result<(), StoreError> {
        let expires_at = flow.expires_at;
        let (link_hash, tenant) = (flow.link_hash.clone(), flow.tenant.clone());
        let stored = StoredFlow {
            flow,
            verifier: sealed,
        };
        self.x(
            "INSERT INTO flows (state_hash, link_hash, tenant, expires_at, record) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (state_hash) DO UPDATE SET \
             link_hash = EXCLUDED.link_hash, tenant = EXCLUDED.tenant, \
             expires_at = EXCLUDED.expires_at, record = EXCLUDED.record",
            &[
                &state_hash,
                &link_hash,
                &tenant,
                &expires_at,
                &encode(&stored),
            ],
        )?;
        self.flow_read.take();
        self.index(IndexUpdate::FlowPut(state_hash.to_vec(), expires_at));
        // The link keeps its newest few: the oldest go (from the index once they went).
        let cap = i64::try_from(MAX_FLOWS_PER_LINK).unwrap_or(i64::MAX);
        self.xr(
            "DELETE FROM flows WHERE state_hash IN (SELECT state_hash FROM flows \
             WHERE link_hash = $1 ORDER BY n DESC OFFSET $2) RETURNING state_hash",
            &[&link_hash, &cap],
            |r| Effect::Index(IndexUpdate::FlowGone(r.get(0))),
        )
    }

    fn pending_flow(&self, state_hash: &[u8]) -> Result<Option<PendingFlow>, StoreError> {
        let row = self
            .q(
                "SELECT tenant, record FROM flows WHERE state_hash = $1",
                &[&state_hash],
            )?
            .first()
            .map(|r| (r.get::<_, String>(0), r.get::<_, Vec<u8>>(1)));
        let flow = row
            .as_ref()
            .map(|(_, v)| Ok(decode::<StoredFlow>("pending flow", v)?.flow))
            .transpose();
        *self.flow_read.borrow_mut() = Some((state_hash.to_vec(), row));
        flow
    }

    fn take_flow(&mut self, state_hash: &[u8]) -> Result<TakenFlow, StoreError> {
        // Read a moment ago by this operation: its row goes without asking again.
        let known = match self.flow_read.take() {
            Some((h, Some(row))) if h == state_hash => {
                self.x("DELETE FROM flows WHERE state_hash = $1", &[&state_hash])?;
                Some(row)
            }
            _ => None,
        };
        let rows = match known {
            Some(_) => Vec::new(),
            None => self.q(
                "DELETE FROM flows WHERE state_hash = $1 RETURNING tenant, record",
                &[&state_hash],
            )?,
        };
        let row = known.or_else(|| {
            rows.first()
                .map(|r| (r.get::<_, String>(0), r.get::<_, Vec<u8>>(1)))
        });
        let Some((tenant, record)) = row else {
            return Ok(
                match self.bytes(
                    "SELECT record FROM used_flows WHERE state_hash = $1",
                    &[&state_hash],
                )? {
                    Some(v) => TakenFlow::Used(decode("used flow", &v)?),
                    None => TakenFlow::Unknown,
                },
            );
        };
        self.index(IndexUpdate::FlowGone(state_hash.to_vec()));
        let stored: Result<StoredFlow, StoreError> = decode("pending flow", &record);
        // Spent whatever it holds: a replay is told apart.
        self.tombstone(state_hash, &tenant)?;
        let stored = stored?;
        let verifier = self
            .shared
            .cipher
            .open_flow_verifier(state_hash, &stored.verifier)
            .map_err(|_| StoreError::Decrypt)?;
        Ok(TakenFlow::Taken(stored.flow, verifier))
    }

    fn flows_of(&self, slug: &str) -> Result<Vec<(Vec<u8>, PendingFlow)>, StoreError> {
        let mut out = Vec::new();
        for r in self.q(
            "SELECT state_hash, record FROM flows WHERE tenant = $1 ORDER BY n",
            &[&slug],
        )? {
            if let Ok(s) = decode::<StoredFlow>("pending flow", &r.get::<_, Vec<u8>>(1)) {
                out.push((r.get(0), s.flow));
            }
        }
        Ok(out)
    }

    fn end_flow(&mut self, state_hash: &[u8], flow: &PendingFlow) -> Result<(), StoreError> {
        self.flow_read.take();
        self.x("DELETE FROM flows WHERE state_hash = $1", &[&state_hash])?;
        self.index(IndexUpdate::FlowGone(state_hash.to_vec()));
        self.tombstone(state_hash, &flow.tenant)
    }

    fn sweep_flows(&mut self, before: Millis) -> Result<Swept, StoreError> {
        self.flow_read.take();
        let gone = self.q(
            "DELETE FROM flows WHERE expires_at < $1 RETURNING state_hash, record",
            &[&before],
        )?;
        let mut swept = Swept {
            count: gone.len(),
            expired: Vec::new(),
        };
        for r in gone {
            if let Ok(s) = decode::<StoredFlow>("pending flow", &r.get::<_, Vec<u8>>(1)) {
                swept.expired.push(s.flow);
            }
            self.index(IndexUpdate::FlowGone(r.get(0)));
        }
        let used = self.xn("DELETE FROM used_flows WHERE used_at < $1", &[&before])?;
        swept.count += usize::try_from(used).unwrap_or(usize::MAX);
        Ok(swept)
    }
}
