//! The sled backend's node-local state (see [`crate::store::NodeLocal`]): the read model
//! the writer keeps in step after each batch, and the counts and staged flows it writes.
//! With sled one process owns the database, so this is the whole truth.

use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use super::deferred::Deferred;
use super::layout::T;
use super::trees::Trees;
use crate::domain::model::PendingFlow;
use crate::store::{Index, NodeLocal, Published};
use crate::time::now_ms;

pub(super) struct SledNode {
    pub trees: Arc<Trees>,
    pub index: Arc<RwLock<Index>>,
    pub deferred: Arc<Mutex<Deferred>>,
    pub published: Published,
}

impl SledNode {
    fn deferred(&self) -> std::sync::MutexGuard<'_, Deferred> {
        self.deferred.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl NodeLocal for SledNode {
    fn index(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|p| p.into_inner())
    }

    fn pending_flows(&self) -> usize {
        let staged = self.deferred().staged_pending(now_ms());
        self.index().pending_flows() + staged
    }

    fn flow_count(&self) -> usize {
        let staged = self.deferred().flows.len();
        self.trees.tree(T::Flows).len() + staged
    }

    fn count_repeat(&self, hash: &[u8], continued: bool) {
        self.deferred().count(hash, continued);
    }

    fn stage_flow(&self, state_hash: &[u8], flow: PendingFlow, sealed: String) {
        self.deferred().stage_flow(state_hash, flow, sealed);
    }

    fn published(&self) -> &Published {
        &self.published
    }
}
