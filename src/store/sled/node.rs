//! The sled backend's node-local state (see [`crate::store::NodeLocal`]): the read model
//! the writer keeps in step after each batch, and the counts and staged flows it writes.
//! With sled one process owns the database, so this is the whole truth.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use super::deferred::Deferred;
use super::layout::T;
use super::trees::Trees;
use crate::domain::brief::Brief;
use crate::domain::model::{ConsentLink, PendingFlow, TenantStatus};
use crate::store::{Index, JobCounts, NodeLocal, Published};
use crate::time::{Millis, now_ms};

pub(super) struct SledNode {
    pub trees: Arc<Trees>,
    pub index: Arc<RwLock<Index>>,
    pub deferred: Arc<Mutex<Deferred>>,
    pub published: Published,
}

impl SledNode {
    /// Hold the guard briefly: the writer waits for it.
    fn index(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|p| p.into_inner())
    }

    fn deferred(&self) -> std::sync::MutexGuard<'_, Deferred> {
        self.deferred.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl NodeLocal for SledNode {
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
        let staged = self.deferred().staged_pending(now_ms());
        self.index().pending_flows() + staged
    }

    fn flow_count(&self) -> usize {
        let staged = self.deferred().flows.len();
        self.trees.tree(T::Flows).len() + staged
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
            self.deferred().count(hash, continued);
        }
        repeat
    }

    fn stage_flow(&self, state_hash: &[u8], flow: PendingFlow, sealed: String) {
        self.deferred().stage_flow(state_hash, flow, sealed);
    }

    fn published(&self) -> &Published {
        &self.published
    }
}
