//! The PostgreSQL backend's node-local state (see [`crate::store::NodeLocal`]): the read
//! model, built from the database at open and kept in step by every node's commits (see
//! `feed`; the pending flows only by this node's); repeated opens and Continues counted
//! here and added to the database as increments.
//! Nothing is staged: a flow is committed before the customer goes to Google, so that
//! another process sharing the database can take the callback.

use std::sync::{Arc, RwLockReadGuard};

use super::shared::Shared;
use super::writer::Writer;
use crate::domain::model::PendingFlow;
use crate::store::{Durability, Index, NodeLocal, Published};

pub(super) struct PgNode {
    pub shared: Arc<Shared>,
    pub writer: Arc<Writer>,
    pub published: Published,
}

impl NodeLocal for PgNode {
    fn index(&self) -> RwLockReadGuard<'_, Index> {
        self.shared.index.read().unwrap_or_else(|p| p.into_inner())
    }

    fn pending_flows(&self) -> usize {
        self.index().pending_flows()
    }

    fn flow_count(&self) -> usize {
        self.index().flows_kept()
    }

    fn count_repeat(&self, hash: &[u8], continued: bool) {
        self.shared.pending().count(hash, continued);
    }

    fn stages_flows(&self) -> bool {
        false
    }

    /// Not staged here (see [`NodeLocal::stages_flows`]): queued as a write of its own.
    fn stage_flow(&self, state_hash: &[u8], flow: PendingFlow, sealed: String) {
        let state_hash = state_hash.to_vec();
        let write = self.writer.submit(
            None,
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
