//! The writer thread's loop: take what is queued, run it as one batch in one sled
//! transaction, update the index, flush when an operation must be durable (group commit),
//! publish, reply (see `writer` for why and what it promises).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

use sled::Transactional;
use sled::transaction::TransactionError;

use super::layout::{META_SEQ_RESERVED, T};
use super::overlay::{Overlay, SeqState};
use super::queue::{BatchResult, Completion, LAZY_FLUSH, Msg, Run, Shared};
use super::tx::SledTx;
use crate::domain::audit::Operator;
use crate::store::Committed;
use crate::store::index_update::IndexUpdate;
use crate::time::now_ms;

/// How long an idle writer keeps looking before it sleeps (see `Loop::poll_briefly`).
const SPIN: Duration = Duration::from_micros(50);
/// Operations in one batch at most (so replies are not held back for long).
const MAX_BATCH: usize = 2048;

/// An operation as queued: whether it must be durable, for whom, and what it runs.
type Queued = (bool, Option<Operator>, Run);

/// Messages taken from the queue, by kind (each kind in the order it came).
#[derive(Default)]
struct Sorted {
    ops: Vec<Queued>,
    barriers: Vec<Completion>,
    stalls: Vec<Duration>,
    stops: Vec<Completion>,
}

impl Sorted {
    fn of(msgs: impl IntoIterator<Item = Msg>) -> Self {
        let mut s = Self::default();
        for m in msgs {
            match m {
                Msg::Op {
                    durable,
                    actor,
                    run,
                } => s.ops.push((durable, actor, run)),
                Msg::Barrier(c) => s.barriers.push(c),
                Msg::Stall(d) => s.stalls.push(d),
                Msg::Stop(c) => s.stops.push(c),
            }
        }
        s
    }
}

pub(super) struct Loop {
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
    pub fn new(shared: Shared, seq: SeqState, rx: Receiver<Msg>) -> Self {
        Self {
            shared,
            seq,
            rx,
            dirty_since: None,
            failed: None,
        }
    }

    pub fn run(mut self) {
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
            let sorted = Sorted::of(msgs);
            for d in sorted.stalls {
                std::thread::sleep(d);
            }
            stop.extend(sorted.stops);
            self.batch(sorted.ops, sorted.barriers);
            if !stop.is_empty() {
                break;
            }
        }
        // Whatever is still queued came before the stop: finish it (a stop asked again is
        // answered like a barrier; a stall no longer matters).
        let mut rest = Sorted::of(self.rx.try_iter());
        rest.barriers.append(&mut rest.stops);
        self.batch(rest.ops, rest.barriers);
        self.write_counts();
        let started = Instant::now();
        let res = self.flush();
        self.shared.stats.busy_since(started);
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
            let started = Instant::now();
            let _ = self.flush();
            self.shared.stats.busy_since(started);
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
        let run: Run = Box::new(|tx: &mut SledTx<'_>| -> Completion {
            tx.write_staged_flows();
            if let Err(e) = tx.write_deferred_counts() {
                tracing::warn!(error = %e, "writing link counts failed");
            }
            Box::new(|_| {})
        });
        self.batch(vec![(false, None, run)], Vec::new());
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
        self.shared.stats.flushed(started.elapsed());
        if res.is_ok() {
            self.dirty_since = None;
        } else {
            tracing::error!(error = ?res, "store flush failed");
        }
        res
    }

    /// Run a batch (see `run_batch`), its time counted as the writer's.
    fn batch(&mut self, ops: Vec<Queued>, barriers: Vec<Completion>) {
        let started = Instant::now();
        self.run_batch(ops, barriers);
        self.shared.stats.busy_since(started);
    }

    fn run_batch(&mut self, ops: Vec<Queued>, barriers: Vec<Completion>) {
        if ops.is_empty() && barriers.is_empty() {
            return;
        }
        if let Some(why) = self.failed.clone() {
            // Fail-stop: after a write or flush failed, nothing more is applied (what the
            // disk holds is unknown); every caller hears so.
            let empty = Overlay::new();
            for (_, actor, run) in ops {
                // The operation runs (its closure owns the reply) but nothing it wrote is
                // kept, and its caller gets the failure.
                let mut tx = SledTx::new(
                    &self.shared.trees,
                    &empty,
                    &mut self.seq,
                    &self.shared.deferred,
                    now_ms(),
                    actor,
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
        for (durable, actor, run) in ops {
            stats.ops.fetch_add(1, Ordering::Relaxed);
            if durable {
                stats.durable_ops.fetch_add(1, Ordering::Relaxed);
            }
            let mut tx = SledTx::new(
                &self.shared.trees,
                &overlay,
                &mut self.seq,
                &self.shared.deferred,
                now,
                actor,
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
