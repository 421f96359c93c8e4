//! The PostgreSQL backend's node-local state (see [`crate::store::NodeLocal`]): the read
//! model, built from the database at open and kept in step by this process's commits;
//! repeated opens and Continues counted here and added to the database as increments.
//! Nothing is staged: a flow is committed before the customer goes to Google, so that
//! another process sharing the database can take the callback.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, RwLockReadGuard};

use super::shared::Shared;
use super::writer::Writer;
use crate::domain::brief::Brief;
use crate::domain::model::{ConsentLink, Integration, PendingFlow, TenantStatus};
use crate::store::{Durability, Index, JobCounts, NodeLocal, Published};
use crate::time::{Millis, now_ms};

pub(super) struct PgNode {
    pub shared: Arc<Shared>,
    pub writer: Arc<Writer>,
    pub published: Published,
}

impl PgNode {
    fn index(&self) -> RwLockReadGuard<'_, Index> {
        self.shared.index.read().unwrap_or_else(|p| p.into_inner())
    }
}

impl NodeLocal for PgNode {
    fn brief(&self, slug: &str) -> Option<Arc<Brief>> {
        self.index().brief_shared(slug)
    }

    fn briefs_after(&self, after: Option<&str>) -> Vec<Arc<Brief>> {
        self.index().snapshot_after(after)
    }

    fn counts(&self) -> (usize, BTreeMap<TenantStatus, usize>) {
        let index = self.index();
        (index.len(), index.counts().clone())
    }

    fn counts_by_integration(&self) -> BTreeMap<(Integration, TenantStatus), usize> {
        self.index().counts_by_integration().clone()
    }

    fn due_jobs(&self, now: Millis) -> (Vec<String>, Option<Millis>) {
        self.index().due_jobs(now)
    }

    fn jobs(&self) -> JobCounts {
        let index = self.index();
        JobCounts {
            active: index.active_jobs(),
            retrying: index.retrying_jobs(),
        }
    }

    fn live_link(&self, hash: &[u8], now: Millis) -> Option<ConsentLink> {
        self.index().live_link(hash, now).cloned()
    }

    fn tenants_with_live_links(&self, now: Millis) -> HashSet<String> {
        self.index().tenants_with_live_links(now)
    }

    fn consents_by(&self, sub: &str) -> Vec<String> {
        self.index().consents_by(sub)
    }

    fn pending_flows(&self) -> usize {
        self.index().pending_flows()
    }

    fn flow_count(&self) -> usize {
        self.index().flows_kept()
    }

    fn count_again(&self, hash: &[u8], continued: bool) -> bool {
        let repeat = self.index().live_link(hash, now_ms()).is_some_and(|l| {
            if continued {
                l.continued_at.is_some()
            } else {
                l.opened_at.is_some()
            }
        });
        if repeat {
            self.shared.pending().count(hash, continued);
        }
        repeat
    }

    fn stages_flows(&self) -> bool {
        false
    }

    /// Not staged here (see [`NodeLocal::stages_flows`]): queued as a write of its own.
    fn stage_flow(&self, state_hash: &[u8], flow: PendingFlow, sealed: String) {
        let state_hash = state_hash.to_vec();
        let write = self.writer.submit(
            None,
            Durability::Lazy,
            Box::new(move |tx| {
                tx.put_sealed_flow(&state_hash, flow.clone(), sealed.clone())
                    .map_err(|_| crate::store::Discard)
            }),
        );
        // Queued already when there was room; else it waits for room where it can.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = write.await {
                    tracing::warn!(error = %e, "writing a pending flow failed");
                }
            });
        }
    }

    fn published(&self) -> &Published {
        &self.published
    }
}
