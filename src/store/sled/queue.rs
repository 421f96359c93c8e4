//! What goes from the writer's handle to its thread: the messages, the operations as the
//! thread runs them, and what both share (the trees, the read model, the counters).

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::broadcast;

use super::deferred::Deferred;
use super::trees::Trees;
use super::tx::SledTx;
use crate::domain::audit::Operator;
use crate::store::{Committed, Index};

/// Unflushed writes are made durable at most this long after they were committed.
pub const LAZY_FLUSH: Duration = Duration::from_millis(200);

/// How a batch ended, for each of its operations (cloned to each).
pub(super) type BatchResult = Result<(), String>;
pub(super) type Completion = Box<dyn FnOnce(BatchResult) + Send>;
/// An operation on the writer thread: it runs in the batch's transaction and says how to
/// answer once the batch has ended.
pub(super) type Run = Box<dyn FnOnce(&mut SledTx<'_>) -> Completion + Send>;

pub(super) enum Msg {
    Op {
        durable: bool,
        actor: Option<Operator>,
        run: Run,
    },
    /// Flush everything written so far, then complete.
    Barrier(Completion),
    /// Tests: the disk stops answering for this long.
    Stall(Duration),
    Stop(Completion),
}

pub(super) use crate::store::change::Stats;

/// What the writer thread shares with the rest of the backend.
pub(super) struct Shared {
    pub trees: Arc<Trees>,
    pub index: Arc<RwLock<Index>>,
    pub stats: Arc<Stats>,
    pub events: broadcast::Sender<Arc<Committed>>,
    pub last_seq: Arc<AtomicU64>,
    pub deferred: Arc<Mutex<Deferred>>,
    /// Why the writer stopped taking writes, once it has.
    pub failed: Arc<Mutex<Option<String>>>,
}
