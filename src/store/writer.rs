//! The one writer: a dedicated thread that owns every write to sled, fed by a channel.
//!
//! Why: sled 0.34 deadlocks when several asynchronous flushes overlap (spacejam/sled
//! issue 1308) and every sled call blocks the thread it runs on; on a two-core box two
//! blocked tokio workers are the whole runtime. So the async side only sends operations
//! here and awaits their replies.
//!
//! How: the thread takes whatever is queued (a batch), runs each operation against an
//! overlay of the batch's earlier writes, commits the whole batch in one sled transaction,
//! updates the in-memory index, and then:
//! - replies to operations that need not be durable (a link opened, a pending flow, an
//!   idempotent provisioning step) at once;
//! - if any operation in the batch must be durable (a consent's token, an operator's
//!   command), calls `flush()` once, which covers every write of the batch, and only then
//!   replies to those (group commit; nothing else flushes while the writer runs);
//! - publishes the batch's changes, in sequence order, after that flush.
//!
//! Writes that were not flushed at once are flushed within [`LAZY_FLUSH`]. sled's own
//! background flusher is off: this thread is the only one that flushes.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use sled::Transactional;
use sled::transaction::TransactionError;
use tokio::sync::{Semaphore, broadcast, oneshot};

use super::index::Index;
use super::layout::{META_SEQ_RESERVED, T};
use super::tx::{Committed, Deferred, IndexUpdate, Tx};
use super::{StoreError, Trees};
use crate::time::now_ms;

/// Unflushed writes are made durable at most this long after they were committed.
pub const LAZY_FLUSH: Duration = Duration::from_millis(200);
/// How long an idle writer keeps looking before it sleeps (see `Loop::poll_briefly`).
const SPIN: Duration = Duration::from_micros(50);
/// Operations in one batch at most (so replies are not held back for long).
const MAX_BATCH: usize = 2048;
/// Operations queued or in progress at once; more wait (asynchronously) for room.
const MAX_QUEUED: usize = 8192;
/// Sequence numbers reserved on disk ahead of use, so a number once published is never
/// handed out again after a crash.
pub const SEQ_RESERVE: u64 = 1000;

/// How a batch ended, for each of its operations (cloned to each).
type BatchResult = Result<(), String>;
type Completion = Box<dyn FnOnce(BatchResult) + Send>;
type Run = Box<dyn FnOnce(&mut Tx<'_>) -> Completion + Send>;

enum Msg {
    Op {
        durable: bool,
        run: Run,
    },
    /// Flush everything written so far, then complete.
    Barrier(Completion),
    /// Tests: the disk stops answering for this long.
    Stall(Duration),
    Stop(Completion),
}

/// Counters a benchmark or `status` can read.
#[derive(Debug, Default)]
pub struct Stats {
    pub batches: AtomicU64,
    pub ops: AtomicU64,
    pub durable_ops: AtomicU64,
    pub flushes: AtomicU64,
    pub flush_micros: AtomicU64,
}

/// A copy of the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct StoreStats {
    pub batches: u64,
    pub ops: u64,
    pub durable_ops: u64,
    pub flushes: u64,
    pub flush_micros: u64,
}

impl Stats {
    pub fn snapshot(&self) -> StoreStats {
        StoreStats {
            batches: self.batches.load(Ordering::Relaxed),
            ops: self.ops.load(Ordering::Relaxed),
            durable_ops: self.durable_ops.load(Ordering::Relaxed),
            flushes: self.flushes.load(Ordering::Relaxed),
            flush_micros: self.flush_micros.load(Ordering::Relaxed),
        }
    }
}

/// Where the sequence stands: `next` is handed out next; numbers up to `reserved` are
/// covered by the reservation on disk.
#[derive(Debug, Clone, Copy)]
pub(super) struct SeqState {
    pub next: u64,
    pub reserved: u64,
}

/// Whether the caller waits for the flush that makes the write durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Acknowledged only after the flush that covers it (group commit).
    Durable,
    /// Acknowledged once committed; flushed within [`LAZY_FLUSH`].
    Lazy,
}

/// The sending half: the only way to change the store. Held by the engine alone.
pub struct Writer {
    tx: Mutex<Option<Sender<Msg>>>,
    permits: Arc<Semaphore>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    index: Arc<RwLock<Index>>,
    deferred: Arc<Mutex<Deferred>>,
    failed: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Writer(..)")
    }
}

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

impl Writer {
    pub(super) fn start(shared: Shared, seq: SeqState) -> Result<Self, StoreError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let (index, deferred, failed) = (
            shared.index.clone(),
            shared.deferred.clone(),
            shared.failed.clone(),
        );
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || Loop::new(shared, seq, rx).run())
            .map_err(|e| StoreError::Closed(format!("cannot start the store writer: {e}")))?;
        Ok(Self {
            tx: Mutex::new(Some(tx)),
            permits: Arc::new(Semaphore::new(MAX_QUEUED)),
            thread: Mutex::new(Some(thread)),
            index,
            deferred,
            failed,
        })
    }

    fn sender(&self) -> Result<Sender<Msg>, StoreError> {
        self.tx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| StoreError::Closed("the store is shutting down".into()))
    }

    /// Run `f` on the writer thread inside the next batch. `f` decides from what it reads
    /// through the [`Tx`] and writes through it; when it returns `Err`, nothing it wrote
    /// is kept. The future resolves after the commit, or for [`Durability::Durable`] after
    /// the flush that covers it.
    ///
    /// The operation is queued at once, when this is called (unless the queue is full: then
    /// when the future is first polled), and runs to its end even if the future is dropped:
    /// a caller that needs no answer may drop it, and operations are applied in the order
    /// they were queued.
    pub fn submit<R, E, F>(
        &self,
        durability: Durability,
        f: F,
    ) -> impl Future<Output = Result<R, E>> + Send + 'static
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<R, E> + Send + 'static,
    {
        let sender = self.sender();
        let permits = self.permits.clone();
        let durable = durability == Durability::Durable;
        let queued = match (&sender, permits.clone().try_acquire_owned()) {
            (Ok(s), Ok(permit)) => Ok(send(s, durable, permit, f)),
            _ => Err(f),
        };
        async move {
            let reply = match queued {
                Ok(reply) => reply?,
                Err(f) => {
                    let sender = sender?;
                    let permit = permits
                        .acquire_owned()
                        .await
                        .map_err(|_| StoreError::Closed("the store is shutting down".into()))?;
                    send(&sender, durable, permit, f)?
                }
            };
            reply.await.map_err(|_| {
                E::from(StoreError::Closed(
                    "the store writer stopped before answering".into(),
                ))
            })?
        }
    }

    /// Count a repeated open (or, `continued`, a repeated Continue) of a live link without
    /// queueing an operation: the count is kept in memory and written by the writer with
    /// the next lazy flush. `false` when this is not a repeat (the first is an operation
    /// of its own, so it goes on the timeline) or the link is not live: queue one then.
    pub fn count_again(&self, hash: &[u8], continued: bool) -> bool {
        let repeat = self
            .index
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .live_link(hash, crate::time::now_ms())
            .is_some_and(|l| {
                if continued {
                    l.continued_at.is_some()
                } else {
                    l.opened_at.is_some()
                }
            });
        if repeat {
            self.deferred
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .count(hash, continued);
        }
        repeat
    }

    /// Stage a pending flow (its verifier sealed already) without queueing an operation:
    /// the callback finds it at once, and the writer writes it with the next lazy flush.
    pub fn stage_flow(
        &self,
        state_hash: &[u8],
        flow: crate::domain::model::PendingFlow,
        sealed: String,
    ) {
        self.deferred
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .stage_flow(state_hash, flow, sealed);
    }

    /// Why the store stopped taking writes (a disk error), if it has: the owner should stop.
    pub fn failure(&self) -> Option<String> {
        self.failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Resolve once every operation queued before has been applied (read your writes).
    pub async fn applied(&self) -> Result<(), StoreError> {
        self.submit(Durability::Lazy, |_| Ok::<_, StoreError>(()))
            .await
    }

    /// Resolve once everything submitted before is on disk.
    pub async fn sync(&self) -> Result<(), StoreError> {
        let (tx, rx) = oneshot::channel();
        self.sender()?
            .send(Msg::Barrier(Box::new(move |r| {
                let _ = tx.send(r);
            })))
            .map_err(|_| StoreError::Closed("the store is shutting down".into()))?;
        rx.await
            .map_err(|_| StoreError::Closed("the store writer stopped".into()))?
            .map_err(StoreError::Write)
    }

    /// Tests: make the writer stop answering for `d`, as a stuck disk would.
    #[doc(hidden)]
    pub fn stall_for_tests(&self, d: Duration) {
        if let Ok(s) = self.sender() {
            let _ = s.send(Msg::Stall(d));
        }
    }

    /// Finish what is queued, flush, and stop the thread. Waits at most `grace`; what was
    /// acknowledged as durable is on disk whatever happens, since its reply came after
    /// its flush.
    pub async fn stop(&self, grace: Duration) -> Result<(), StoreError> {
        let Some(sender) = self.tx.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return Ok(());
        };
        let (tx, rx) = oneshot::channel();
        let _ = sender.send(Msg::Stop(Box::new(move |r| {
            let _ = tx.send(r);
        })));
        drop(sender);
        let res = match tokio::time::timeout(grace, rx).await {
            Ok(Ok(r)) => r.map_err(StoreError::Write),
            Ok(Err(_)) => Err(StoreError::Closed("the store writer ended early".into())),
            Err(_) => {
                return Err(StoreError::Closed(format!(
                    "the store writer did not finish within {grace:?}"
                )));
            }
        };
        let handle = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle {
            let _ = tokio::task::spawn_blocking(move || h.join()).await;
        }
        res
    }
}

/// Queue one operation; the receiver gets its answer.
fn send<R, E, F>(
    sender: &Sender<Msg>,
    durable: bool,
    permit: tokio::sync::OwnedSemaphorePermit,
    f: F,
) -> Result<oneshot::Receiver<Result<R, E>>, StoreError>
where
    R: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: FnOnce(&mut Tx<'_>) -> Result<R, E> + Send + 'static,
{
    let (reply_tx, reply_rx) = oneshot::channel::<Result<R, E>>();
    let run: Run = Box::new(move |tx: &mut Tx<'_>| -> Completion {
        let out = f(tx);
        if out.is_err() {
            tx.discard();
        }
        Box::new(move |res: BatchResult| {
            let _permit = permit;
            let reply = match (out, res) {
                (Err(e), _) => Err(e),
                (Ok(r), Ok(())) => Ok(r),
                (Ok(_), Err(e)) => Err(E::from(StoreError::Write(e))),
            };
            let _ = reply_tx.send(reply);
        })
    });
    sender
        .send(Msg::Op { durable, run })
        .map_err(|_| StoreError::Closed("the store is shutting down".into()))?;
    Ok(reply_rx)
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Without an explicit stop, closing the channel lets the thread finish the queue,
        // flush and end on its own.
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

/// The batch's writes so far: tree and key to the new value (`None`: removed).
pub(super) type Overlay = BTreeMap<(T, Vec<u8>), Option<Vec<u8>>>;

struct Loop {
    shared: Shared,
    seq: SeqState,
    rx: Receiver<Msg>,
    /// When unflushed writes first appeared.
    dirty_since: Option<Instant>,
    /// Set once a commit or a flush failed: the writer then refuses everything.
    failed: Option<String>,
}

struct Done {
    completion: Completion,
    durable: bool,
}

impl Loop {
    fn new(shared: Shared, seq: SeqState, rx: Receiver<Msg>) -> Self {
        Self {
            shared,
            seq,
            rx,
            dirty_since: None,
            failed: None,
        }
    }

    fn run(mut self) {
        let mut stop: Vec<Completion> = Vec::new();
        loop {
            // Deadlines first, whatever is queued: counts and staged flows noted by the
            // request handlers, and unflushed writes, reach the disk within LAZY_FLUSH
            // even while operations keep coming.
            self.housekeeping();
            let left = self.next_deadline();
            let first = match self
                .poll_briefly()
                .map_or_else(|| self.rx.recv_timeout(left), Ok)
            {
                Ok(m) => Some(m),
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => None,
            };
            let Some(first) = first else { break };
            let mut msgs = vec![first];
            while msgs.len() < MAX_BATCH {
                match self.rx.try_recv() {
                    Ok(m) => msgs.push(m),
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            }
            let mut ops = Vec::new();
            let mut barriers = Vec::new();
            for m in msgs {
                match m {
                    Msg::Op { durable, run } => ops.push((durable, run)),
                    Msg::Barrier(c) => barriers.push(c),
                    Msg::Stall(d) => std::thread::sleep(d),
                    Msg::Stop(c) => stop.push(c),
                }
            }
            self.batch(ops, barriers);
            if !stop.is_empty() {
                break;
            }
        }
        // Whatever is still queued came before the stop: finish it.
        let rest: Vec<Msg> = self.rx.try_iter().collect();
        let mut ops = Vec::new();
        let mut barriers = Vec::new();
        for m in rest {
            match m {
                Msg::Op { durable, run } => ops.push((durable, run)),
                Msg::Barrier(c) | Msg::Stop(c) => barriers.push(c),
                Msg::Stall(_) => {}
            }
        }
        self.batch(ops, barriers);
        self.write_counts();
        let res = self.flush();
        for c in stop {
            c(res.clone());
        }
    }

    fn deferred_since(&self) -> Option<Instant> {
        self.shared
            .deferred
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .since
    }

    fn housekeeping(&mut self) {
        if self
            .deferred_since()
            .is_some_and(|t| t.elapsed() >= LAZY_FLUSH)
        {
            self.write_counts();
        }
        if self.dirty_since.is_some_and(|t| t.elapsed() >= LAZY_FLUSH) {
            let _ = self.flush();
        }
    }

    /// How long until the next deadline (at most LAZY_FLUSH: new deferred items may come).
    fn next_deadline(&self) -> Duration {
        [self.deferred_since(), self.dirty_since]
            .into_iter()
            .flatten()
            .map(|t| LAZY_FLUSH.saturating_sub(t.elapsed()))
            .min()
            .unwrap_or(LAZY_FLUSH)
            .max(Duration::from_millis(1))
    }

    /// Before sleeping on the channel, look again for a moment, giving the CPU away in
    /// between: on a busy listener the next operation is usually a few microseconds away,
    /// and a writer that is not asleep costs its senders no wake-up call.
    fn poll_briefly(&self) -> Option<Msg> {
        let until = Instant::now() + SPIN;
        loop {
            match self.rx.try_recv() {
                Ok(m) => return Some(m),
                Err(TryRecvError::Disconnected) => return None,
                Err(TryRecvError::Empty) if Instant::now() >= until => return None,
                Err(TryRecvError::Empty) => std::thread::yield_now(),
            }
        }
    }

    /// Write the counts deferred so far, in one batch of their own.
    fn write_counts(&mut self) {
        if self
            .shared
            .deferred
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
        {
            return;
        }
        let run: Run = Box::new(|tx: &mut Tx<'_>| -> Completion {
            tx.write_staged_flows();
            if let Err(e) = tx.write_deferred_counts() {
                tracing::warn!(error = %e, "writing link counts failed");
            }
            Box::new(|_| {})
        });
        self.batch(vec![(false, run)], Vec::new());
    }

    fn flush(&mut self) -> BatchResult {
        let started = Instant::now();
        let res = self
            .shared
            .trees
            .db
            .flush()
            .map(|_| ())
            .map_err(|e| e.to_string());
        let s = &self.shared.stats;
        s.flushes.fetch_add(1, Ordering::Relaxed);
        s.flush_micros.fetch_add(
            u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        if res.is_ok() {
            self.dirty_since = None;
        } else {
            tracing::error!(error = ?res, "store flush failed");
        }
        res
    }

    fn batch(&mut self, ops: Vec<(bool, Run)>, barriers: Vec<Completion>) {
        if ops.is_empty() && barriers.is_empty() {
            return;
        }
        if let Some(why) = self.failed.clone() {
            // Fail-stop: after a write or flush failed, nothing more is applied (what the
            // disk holds is unknown); every caller hears so.
            let empty = Overlay::new();
            for (_, run) in ops {
                // The operation runs (its closure owns the reply) but nothing it wrote is
                // kept, and its caller gets the failure.
                let mut tx = Tx::new(
                    &self.shared.trees,
                    &empty,
                    &mut self.seq,
                    &self.shared.deferred,
                    now_ms(),
                );
                let completion = run(&mut tx);
                drop(tx.into_parts());
                completion(Err(why.clone()));
            }
            for b in barriers {
                b(Err(why.clone()));
            }
            return;
        }
        let stats = self.shared.stats.clone();
        stats.batches.fetch_add(1, Ordering::Relaxed);
        let reserved_before = self.seq.reserved;
        let mut overlay = Overlay::new();
        let mut changes: Vec<Committed> = Vec::new();
        let mut updates: Vec<IndexUpdate> = Vec::new();
        let mut written_counts = Vec::new();
        let mut done: Vec<Done> = Vec::with_capacity(ops.len());
        let now = now_ms();
        for (durable, run) in ops {
            stats.ops.fetch_add(1, Ordering::Relaxed);
            if durable {
                stats.durable_ops.fetch_add(1, Ordering::Relaxed);
            }
            let mut tx = Tx::new(
                &self.shared.trees,
                &overlay,
                &mut self.seq,
                &self.shared.deferred,
                now,
            );
            let completion = run(&mut tx);
            let parts = tx.into_parts();
            overlay.extend(parts.writes);
            changes.extend(parts.changes);
            updates.extend(parts.updates);
            written_counts.extend(parts.written_counts);
            done.push(Done {
                completion,
                durable,
            });
        }
        let bumped = self.seq.reserved != reserved_before;
        if bumped {
            overlay.insert(
                (T::Meta, META_SEQ_RESERVED.to_vec()),
                Some(self.seq.reserved.to_be_bytes().to_vec()),
            );
        }
        let committed = self.commit(&overlay);
        if let Err(e) = committed {
            tracing::error!(error = %e, "store batch failed; the store stops taking writes");
            self.seq.reserved = reserved_before;
            self.fail(&e);
            for d in done {
                (d.completion)(Err(e.clone()));
            }
            for b in barriers {
                b(Err(e.clone()));
            }
            return;
        }
        if !written_counts.is_empty() {
            let mut d = self
                .shared
                .deferred
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            for (h, c) in &written_counts {
                d.written(h, *c);
            }
        }
        if !updates.is_empty() {
            let mut index = self.shared.index.write().unwrap_or_else(|p| p.into_inner());
            for u in &updates {
                u.apply(&mut index, now);
            }
        }
        let must_flush = bumped || !barriers.is_empty() || done.iter().any(|d| d.durable);
        if !must_flush {
            self.publish(changes);
            for d in done {
                (d.completion)(Ok(()));
            }
            if !overlay.is_empty() && self.dirty_since.is_none() {
                self.dirty_since = Some(Instant::now());
            }
            return;
        }
        let res = self.flush();
        if let Err(e) = &res {
            // Committed in memory but not known to be on disk: nothing of it is
            // published, and the store takes no more writes.
            self.fail(e);
        } else {
            // Published before the replies: whoever hears "done" finds it in the stream.
            self.publish(changes);
        }
        for d in done {
            (d.completion)(if d.durable { res.clone() } else { Ok(()) });
        }
        for b in barriers {
            b(res.clone());
        }
    }

    fn fail(&mut self, why: &str) {
        let why = format!("the store stopped taking writes after a disk error: {why}");
        *self.shared.failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(why.clone());
        self.failed = Some(why);
    }

    fn publish(&self, changes: Vec<Committed>) {
        for c in changes {
            self.shared.last_seq.fetch_max(c.seq, Ordering::AcqRel);
            // No subscriber is fine.
            let _ = self.shared.events.send(Arc::new(c));
        }
    }

    fn commit(&self, overlay: &Overlay) -> BatchResult {
        if overlay.is_empty() {
            return Ok(());
        }
        let t = &self.shared.trees.trees;
        // One tree only (a busy consent page writes just flows): a batch is atomic there,
        // and cheaper than a transaction.
        let first = overlay.keys().next().map(|(tree, _)| *tree);
        if let Some(only) = first.filter(|f| overlay.keys().all(|(tree, _)| tree == f)) {
            let mut batch = sled::Batch::default();
            for ((_, key), value) in overlay {
                match value {
                    Some(v) => batch.insert(key.as_slice(), v.as_slice()),
                    None => batch.remove(key.as_slice()),
                }
            }
            return t[only as usize]
                .apply_batch(batch)
                .map_err(|e| e.to_string());
        }
        let res: Result<(), TransactionError<()>> = (
            &t[0], &t[1], &t[2], &t[3], &t[4], &t[5], &t[6], &t[7], &t[8], &t[9], &t[10], &t[11],
        )
            .transaction(|(t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11)| {
                let views = [t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11];
                for ((tree, key), value) in overlay {
                    let view = views[*tree as usize];
                    match value {
                        Some(v) => {
                            view.insert(key.as_slice(), v.as_slice())?;
                        }
                        None => {
                            view.remove(key.as_slice())?;
                        }
                    }
                }
                Ok(())
            });
        res.map_err(|e| match e {
            TransactionError::Storage(s) => s.to_string(),
            TransactionError::Abort(()) => "transaction aborted".into(),
        })
    }
}
