//! What the writer, the listener, the readers and the node-local state share: the cipher,
//! the read model kept in step with every node's commits (see `feed`), the counts not
//! written yet, the event stream and its last number, and what a commit changes besides
//! the data.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::broadcast;

use crate::store::change::Stats;
use crate::store::counts::{Counts, PendingCounts};
use crate::store::index_update::IndexUpdate;
use crate::store::{Cipher, Committed, Index};
use crate::time::Millis;

pub(super) struct Shared {
    /// The data dir (see `marker`).
    pub dir: std::path::PathBuf,
    pub cipher: Cipher,
    pub index: RwLock<Index>,
    pub pending: Mutex<PendingCounts>,
    /// Tenant events go to the webhook outbox (webhooks are configured).
    pub outbox_on: AtomicBool,
    /// Events in the outbox (counted at open, kept in step by each commit).
    pub outbox_len: AtomicUsize,
    pub events: broadcast::Sender<Arc<Committed>>,
    /// The highest sequence number published.
    pub last_seq: AtomicU64,
    /// This node's id (its sessions' `application_name`), as the change log names it.
    pub node: String,
    /// The last change number whose commit this node applied and published, in order (see
    /// `feed`): its own commits and the change log's rows go through this lock.
    pub applied: Mutex<u64>,
    /// The read model may have missed changes (the change log could not be read after a
    /// commit): the listener rebuilds it.
    pub stale: AtomicBool,
    /// The server process of the writer's session (0: not known): the listener does not
    /// read the log for its notifications (the writer applies its own commits).
    pub writer_pid: AtomicI32,
    /// Tests: how long (ms) each commit waits once its transaction holds its numbers.
    pub delay_commit: AtomicU64,
    /// Why the store stopped taking writes, once it has.
    pub failed: Mutex<Option<String>>,
    pub stats: Stats,
}

/// What a committed operation changes in this process besides the data.
pub(super) enum Effect {
    Index(IndexUpdate),
    /// Events added to (or taken from) the outbox.
    Outbox(isize),
    /// Counts written (or gone with their link): taken off the pending ones.
    CountsWritten(Vec<u8>, Counts),
    /// A link went: its pending counts go too.
    LinkGone(Vec<u8>),
}

impl Shared {
    pub fn pending(&self) -> std::sync::MutexGuard<'_, PendingCounts> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Apply what committed operations changed, in commit order.
    pub fn apply(&self, effects: Vec<Effect>, now: Millis) {
        let mut index = None;
        for e in effects {
            match e {
                Effect::Index(u) => {
                    let ix = index.get_or_insert_with(|| {
                        self.index.write().unwrap_or_else(|p| p.into_inner())
                    });
                    u.apply(ix, now);
                }
                Effect::Outbox(n) => {
                    if n >= 0 {
                        self.outbox_len
                            .fetch_add(n.unsigned_abs(), Ordering::Relaxed);
                    } else {
                        let _ = self.outbox_len.fetch_update(
                            Ordering::Relaxed,
                            Ordering::Relaxed,
                            |v| Some(v.saturating_sub(n.unsigned_abs())),
                        );
                    }
                }
                Effect::CountsWritten(h, c) => self.pending().written(&h, c),
                Effect::LinkGone(h) => {
                    let mut p = self.pending();
                    if let Some(c) = p.links.get(&h).copied() {
                        p.written(&h, c);
                    }
                }
            }
        }
    }

    /// The feed's position (see `feed`), held while a commit is applied and published.
    pub fn applied(&self) -> std::sync::MutexGuard<'_, u64> {
        self.applied.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Publish committed changes, in sequence order.
    pub fn publish(&self, changes: Vec<Committed>) {
        for c in changes {
            self.last_seq.fetch_max(c.seq, Ordering::AcqRel);
            // No subscriber is fine.
            let _ = self.events.send(Arc::new(c));
        }
    }

    pub fn failure(&self) -> Option<String> {
        self.failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}
