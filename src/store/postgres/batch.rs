//! The writer thread's loop (see `writer` for what it promises): take what is queued, run
//! it as one transaction, retry it when the database asks, then apply, publish and reply.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

use super::db::{Conn, Failure, Target, failure, store_error};
use super::shared::{Effect, Shared};
use super::tx::{PgTx, big};
use super::writer::{Msg, Queued, Reply, Work};
use crate::store::{Committed, LAZY_FLUSH, StoreError};
use crate::time::now_ms;

/// Operations in one batch at most (so replies are not held back for long).
const MAX_BATCH: usize = 512;
/// Runs of a batch the database refused (serialization failures, deadlocks, a lost
/// connection before the commit) before its operations are told it failed.
const MAX_RUNS: u32 = 8;

/// Why a run of a batch ended without a commit.
enum Abort {
    /// Run it again (after a new connection, for [`Failure::Connection`]).
    Again(Failure, String),
    /// The commit's outcome is unknown: the store stops.
    Unknown(String),
    /// The sequence went backwards: the store stops.
    Backwards { found: u64, published: u64 },
    /// An operation panicked: the batch fails, the writer goes on.
    Panicked,
}

/// How each operation of a committed run ended.
struct Ran {
    changes: Vec<Committed>,
    effects: Vec<Effect>,
    /// Per operation: `Err` when a statement of it failed though it returned `Ok`.
    results: Vec<Result<(), String>>,
    wrote: bool,
}

pub(super) struct Loop {
    shared: Arc<Shared>,
    target: Target,
    conn: Option<Conn>,
    rx: Receiver<Msg>,
    /// Commits made without waiting for the log since the last one that waited.
    lazy: bool,
    /// The number last kept in the data dir (see `marker`).
    marked: u64,
    failed: Option<String>,
}

impl Loop {
    pub fn new(shared: Arc<Shared>, target: Target, rx: Receiver<Msg>) -> Self {
        Self {
            shared,
            target,
            conn: None,
            rx,
            lazy: false,
            marked: 0,
            failed: None,
        }
    }

    pub fn run(mut self) {
        let mut stops: Vec<Reply> = Vec::new();
        loop {
            // Counts noted in memory reach the database within LAZY_FLUSH, whatever comes.
            let since = self.shared.pending().since;
            let left = match since {
                Some(t) if t.elapsed() >= LAZY_FLUSH => {
                    self.write_counts();
                    LAZY_FLUSH
                }
                Some(t) => LAZY_FLUSH.saturating_sub(t.elapsed()),
                None => LAZY_FLUSH,
            };
            let first = match self.rx.recv_timeout(left.max(Duration::from_millis(1))) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
            };
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
                    Msg::Op(q) => ops.push(q),
                    Msg::Barrier(durable, r) => barriers.push((durable, r)),
                    Msg::Stall(d) => std::thread::sleep(d),
                    Msg::Stop(r) => stops.push(r),
                }
            }
            self.batch(ops);
            self.answer(barriers);
            if !stops.is_empty() {
                break;
            }
        }
        // What is still queued came before the stop: finish it.
        let mut ops = Vec::new();
        let mut barriers = Vec::new();
        for m in self.rx.try_iter() {
            match m {
                Msg::Op(q) => ops.push(q),
                Msg::Barrier(d, r) => barriers.push((d, r)),
                Msg::Stop(r) => barriers.push((true, r)),
                Msg::Stall(_) => {}
            }
        }
        self.batch(ops);
        self.write_counts();
        let res = self.durable();
        for (_, r) in barriers {
            let _ = r.send(res.clone().map_err(StoreError::Write));
        }
        for r in stops {
            let _ = r.send(res.clone().map_err(StoreError::Write));
        }
    }

    fn answer(&mut self, barriers: Vec<(bool, Reply)>) {
        if barriers.is_empty() {
            return;
        }
        let res = if barriers.iter().any(|(d, _)| *d) {
            self.durable()
        } else {
            self.failed.clone().map_or(Ok(()), Err)
        };
        for (_, r) in barriers {
            let _ = r.send(res.clone().map_err(StoreError::Write));
        }
    }

    /// Write the counts noted in memory, in a batch of their own (what a batch read of
    /// them is taken off only once it commits).
    fn write_counts(&mut self) {
        if self.shared.pending().links.is_empty() {
            return;
        }
        self.batch(vec![Queued {
            durable: false,
            actor: None,
            work: Work::Counts,
            reply: None,
            _permit: None,
        }]);
    }

    /// Make every commit so far durable: the server's log is flushed by a commit that
    /// waits for it, and that covers every commit before it.
    fn durable(&mut self) -> Result<(), String> {
        if let Some(why) = &self.failed {
            return Err(why.clone());
        }
        if !self.lazy {
            return Ok(());
        }
        let res = self.connected().and_then(|()| match &self.conn {
            Some(c) => c
                .batch("BEGIN; UPDATE change_seq SET last = last WHERE id = 1; COMMIT")
                .map(|_| ())
                .map_err(|e| store_error(&e).to_string()),
            None => Err("no database connection".to_owned()),
        });
        if res.is_ok() {
            self.lazy = false;
            self.mark();
        } else {
            self.conn = None;
        }
        res
    }

    /// Have a connection (a new one when the last broke).
    fn connected(&mut self) -> Result<(), String> {
        if self.conn.as_ref().is_some_and(Conn::is_closed) {
            self.conn = None;
        }
        if self.conn.is_none() {
            let client = self.target.connect().map_err(|e| e.to_string())?;
            self.conn = Some(Conn::new(client, self.target.rt.clone()));
        }
        Ok(())
    }

    /// Run a batch (see `run_batch`), its time counted as the writer's.
    fn batch(&mut self, ops: Vec<Queued>) {
        let started = Instant::now();
        self.run_batch(ops);
        self.shared.stats.busy_since(started);
    }

    fn run_batch(&mut self, mut ops: Vec<Queued>) {
        if ops.is_empty() {
            return;
        }
        if let Some(why) = self.failed.clone() {
            for q in ops {
                if let Some(r) = q.reply {
                    let _ = r.send(Err(StoreError::Write(why.clone())));
                }
            }
            return;
        }
        let stats = &self.shared.stats;
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.ops.fetch_add(ops.len() as u64, Ordering::Relaxed);
        let durable = ops.iter().any(|q| q.durable);
        if durable {
            let n = ops.iter().filter(|q| q.durable).count() as u64;
            stats.durable_ops.fetch_add(n, Ordering::Relaxed);
        }
        let mut runs = 0;
        let outcome = loop {
            runs += 1;
            // A panic in an operation (or in reading a row) fails its batch, not the
            // writer: the connection, in a transaction left open, is dropped (the server
            // rolls it back).
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.run_once(&ops, durable)
            }));
            let run = run.unwrap_or_else(|_| {
                self.conn = None;
                Err(Abort::Panicked)
            });
            match run {
                Ok(ran) => break Ok(ran),
                Err(Abort::Panicked) => {
                    tracing::error!("an operation panicked: its batch failed");
                    break Err((
                        "an operation panicked; nothing of its batch was kept".into(),
                        None,
                    ));
                }
                Err(Abort::Again(kind, why)) if runs < MAX_RUNS => {
                    tracing::debug!(run = runs, error = %why, "the database refused a batch: running it again");
                    if kind == Failure::Connection {
                        self.conn = None;
                    }
                    std::thread::sleep(Duration::from_millis(2u64 << runs.min(8)));
                }
                Err(Abort::Again(_, why)) => break Err((why, None)),
                Err(Abort::Unknown(why)) => {
                    self.fail(&why);
                    break Err((why, None));
                }
                Err(Abort::Backwards { found, published }) => {
                    let e = StoreError::SequenceBackwards { found, published };
                    self.fail(&e.to_string());
                    break Err((e.to_string(), Some((found, published))));
                }
            }
        };
        match outcome {
            Ok(ran) => {
                if ran.wrote && !durable {
                    self.lazy = true;
                } else if ran.wrote {
                    self.lazy = false;
                }
                self.shared.apply(ran.effects, now_ms());
                // Published before the replies: whoever hears "done" finds it in the stream.
                self.shared.publish(ran.changes);
                if durable {
                    self.mark();
                }
                for (q, r) in ops.iter_mut().zip(ran.results) {
                    if let Some(reply) = q.reply.take() {
                        let _ = reply.send(r.map_err(StoreError::Database));
                    }
                }
            }
            Err((why, backwards)) => {
                tracing::error!(error = %why, "a store batch failed");
                for q in ops {
                    if let Some(reply) = q.reply {
                        let _ = reply.send(Err(match backwards {
                            Some((found, published)) => {
                                StoreError::SequenceBackwards { found, published }
                            }
                            None => StoreError::Write(why.clone()),
                        }));
                    }
                }
            }
        }
    }

    /// Everything published is durable now (a commit waited for the log): keep its last
    /// number in the data dir.
    fn mark(&mut self) {
        let last = self.shared.last_seq.load(Ordering::Acquire);
        if last > self.marked {
            match super::marker::write(&self.shared.dir, last) {
                Ok(()) => self.marked = last,
                Err(e) => {
                    tracing::warn!(error = %e, "keeping the last change number in the data dir failed")
                }
            }
        }
    }

    fn fail(&mut self, why: &str) {
        let why = format!("the store stopped taking writes: {why}");
        tracing::error!("{why}");
        *self.shared.failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(why.clone());
        self.failed = Some(why);
    }

    /// Run the batch once, in one transaction.
    fn run_once(&mut self, ops: &[Queued], durable: bool) -> Result<Ran, Abort> {
        let published = self.shared.last_seq.load(Ordering::Acquire);
        let shared = self.shared.clone();
        let started = Instant::now();
        self.connected()
            .map_err(|why| Abort::Again(Failure::Connection, why))?;
        let Some(conn) = &self.conn else {
            return Err(Abort::Again(
                Failure::Connection,
                "no database connection".into(),
            ));
        };
        let again =
            |e: tokio_postgres::Error| Abort::Again(failure(&e), store_error(&e).to_string());
        let begin = if durable {
            "BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT last FROM change_seq WHERE id = 1 FOR UPDATE"
        } else {
            "BEGIN ISOLATION LEVEL SERIALIZABLE; SET LOCAL synchronous_commit = off; \
             SELECT last FROM change_seq WHERE id = 1 FOR UPDATE"
        };
        let last = conn
            .batch(begin)
            .map_err(|e| {
                let _ = conn.batch("ROLLBACK");
                again(e)
            })?
            .iter()
            .find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0)?.parse::<u64>().ok(),
                _ => None,
            })
            .unwrap_or(0);
        if last < published {
            let _ = conn.batch("ROLLBACK");
            return Err(Abort::Backwards {
                found: last,
                published,
            });
        }
        let mut next = last + 1;
        let several = ops.len() > 1;
        let now = now_ms();
        let mut ran = Ran {
            changes: Vec::new(),
            effects: Vec::new(),
            results: Vec::with_capacity(ops.len()),
            wrote: false,
        };
        let rollback = |conn: &Conn, e: Abort| {
            let _ = conn.batch("ROLLBACK");
            e
        };
        for q in ops {
            if several {
                conn.batch("SAVEPOINT op")
                    .map_err(|e| rollback(conn, again(e)))?;
            }
            let mut tx = PgTx::new(conn, &shared, &mut next, now, q.actor.clone());
            let returned = match &q.work {
                Work::Op(op) => op(&mut tx).map_err(|_| None),
                Work::Counts => tx
                    .write_pending_counts()
                    .map(|_| ())
                    .map_err(|e| Some(e.to_string())),
            };
            let parts = tx.into_parts();
            let statement = match parts.failed {
                Some((kind @ (Failure::Retry | Failure::Connection), why)) => {
                    return Err(rollback(conn, Abort::Again(kind, why)));
                }
                Some((Failure::Other, why)) => Some(why),
                None => None,
            };
            let keep = returned.is_ok() && statement.is_none();
            if several {
                let end = if keep {
                    "RELEASE SAVEPOINT op"
                } else {
                    "ROLLBACK TO SAVEPOINT op; RELEASE SAVEPOINT op"
                };
                conn.batch(end).map_err(|e| rollback(conn, again(e)))?;
            }
            if keep {
                ran.wrote = true;
                ran.changes.extend(parts.changes);
                ran.effects.extend(parts.effects);
                ran.results.push(Ok(()));
            } else {
                // The operation's own error is its answer; a statement that failed under
                // an operation that went on as if not is said instead.
                ran.results.push(match (returned, statement) {
                    (_, Some(why)) | (Err(Some(why)), None) => Err(why),
                    _ => Ok(()),
                });
            }
        }
        if !ran.wrote {
            conn.batch("ROLLBACK").map_err(again)?;
            return Ok(ran);
        }
        if next > last + 1 {
            conn.execute(
                "UPDATE change_seq SET last = $1 WHERE id = 1",
                &[&big(next - 1)],
            )
            .map_err(|e| rollback(conn, again(e)))?;
        }
        let commit_started = Instant::now();
        if let Err(e) = conn.batch("COMMIT") {
            return Err(match failure(&e) {
                // The server refused it: nothing of it is kept.
                Failure::Retry | Failure::Other => again(e),
                Failure::Connection => Abort::Unknown(format!(
                    "the connection to the database broke during a commit, whose outcome is unknown: {}",
                    store_error(&e)
                )),
            });
        }
        if durable {
            let s = &self.shared.stats;
            s.flushes.fetch_add(1, Ordering::Relaxed);
            s.flush_micros.fetch_add(
                u64::try_from(commit_started.elapsed().as_micros()).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
        }
        tracing::trace!(ops = ops.len(), took = ?started.elapsed(), "store batch committed");
        Ok(ran)
    }
}
