//! The writer thread's loop (see `writer` for what it promises): take what is queued, run
//! it as one transaction, retry it when the database asks, then apply, publish and reply.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

use super::db::{Conn, Failure, Target, store_error};
use super::feed;
use super::queue::{Msg, Queued, Reply, Work};
use super::rt::Rt;
use super::shared::{Effect, Shared};
use crate::store::{Committed, LAZY_FLUSH, StoreError};

/// Operations in one batch at most (so replies are not held back for long).
const MAX_BATCH: usize = 512;
/// Runs of a batch the database refused (serialization failures, deadlocks, a lost
/// connection before the commit) before its operations are told it failed.
const MAX_RUNS: u32 = 8;

/// Why a run of a batch ended without a commit.
pub(super) enum Abort {
    /// Run it again (after a new connection, for [`Failure::Connection`]).
    Again(Failure, String),
    /// The commit's outcome is unknown: the store stops.
    Unknown(String),
    /// The sequence went backwards: the store stops.
    Backwards { found: u64, published: u64 },
    /// An operation panicked: the batch fails, the writer goes on.
    Panicked,
    /// A statement of this operation failed: run the batch again without it.
    Exclude(usize, String),
}

/// How each operation of a committed run ended.
pub(super) struct Ran {
    pub changes: Vec<Committed>,
    pub effects: Vec<Effect>,
    /// Per operation: `Err` when a statement of it failed though it returned `Ok`, or
    /// the fence refused it.
    pub results: Vec<Result<(), StoreError>>,
    pub wrote: bool,
    /// The last change number when its transaction began.
    pub before: u64,
    /// Its own last number, if it took any.
    pub last: Option<u64>,
}

pub(super) struct Loop {
    pub(super) shared: Arc<Shared>,
    target: Target,
    pub(super) conn: Option<Conn>,
    /// The writer thread's own runtime, its connection's (made on the thread).
    local: Option<Arc<Rt>>,
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
            local: None,
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
            fence: None,
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
        // A connection the server closed while the writer was idle is found only now
        // (its task runs on the writer's thread): once more, on a new connection.
        let mut res = Err(String::new());
        for _ in 0..2 {
            res = self.durable_commit();
            if res.is_ok() {
                break;
            }
            self.conn = None;
            if self.failed.is_some() {
                break;
            }
        }
        if let Ok(found) = &res {
            self.lazy = false;
            self.mark(*found);
        }
        res.map(|_| ())
    }

    /// A commit that waits for the log, on the sequence's row: one that went back (the
    /// server lost commits it had acknowledged without waiting) stops the store. Returns
    /// the number found (every commit up to it is durable now).
    fn durable_commit(&mut self) -> Result<u64, String> {
        self.connected()?;
        let Some(c) = &self.conn else {
            return Err("no database connection".to_owned());
        };
        let found = c
            .batch(
                "BEGIN; SELECT last FROM change_seq WHERE id = 1 FOR UPDATE; \
                 UPDATE change_seq SET last = last WHERE id = 1; COMMIT",
            )
            .map_err(|e| store_error(&e).to_string())?
            .iter()
            .find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0)?.parse::<u64>().ok(),
                _ => None,
            })
            .unwrap_or(0);
        let published = self.shared.last_seq.load(Ordering::Acquire);
        if found < published {
            let e = StoreError::SequenceBackwards { found, published }.to_string();
            self.fail(&e);
            return Err(e);
        }
        Ok(found)
    }

    /// Have a connection (a new one when the last broke).
    pub(super) fn connected(&mut self) -> Result<(), String> {
        if self.conn.as_ref().is_some_and(Conn::is_closed) {
            self.conn = None;
        }
        if self.conn.is_none() {
            if self.local.is_none() {
                self.local = Some(Rt::local().map_err(|e| e.to_string())?);
            }
            let Some(rt) = self.local.clone() else {
                return Err("no runtime for the writer's connection".to_owned());
            };
            let client = self.target.connect_on(&rt).map_err(|e| e.to_string())?;
            let conn = Conn::new(client, rt);
            feed::writer_session(&self.shared, &conn);
            self.conn = Some(conn);
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
        // Operations that failed a statement, with why: the runs after leave them out.
        let mut skip = HashMap::new();
        let outcome = loop {
            runs += 1;
            // A panic in an operation (or in reading a row) fails its batch, not the
            // writer: the connection, in a transaction left open, is dropped (the server
            // rolls it back).
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.run_once(&ops, durable, &skip)
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
                Err(Abort::Exclude(op, why)) => {
                    // Once for each operation, not a run the database refused.
                    if skip.insert(op, why).is_none() {
                        runs -= 1;
                    }
                }
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
                // Every commit up to its number is durable with it.
                let durable_up_to = ran.last.unwrap_or(ran.before);
                feed::commit(
                    &self.shared,
                    self.conn.as_ref(),
                    feed::Own {
                        before: ran.before,
                        last: ran.last,
                        changes: ran.changes,
                        effects: ran.effects,
                    },
                );
                if durable {
                    self.mark(durable_up_to);
                }
                for (q, r) in ops.iter_mut().zip(ran.results) {
                    if let Some(reply) = q.reply.take() {
                        let _ = reply.send(r);
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

    /// Every commit up to `last` is durable now (a commit waited for the log): keep that
    /// number in the data dir.
    fn mark(&mut self, last: u64) {
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
}
