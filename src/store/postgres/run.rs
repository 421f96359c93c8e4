//! One run of a batch (see `batch`): one SERIALIZABLE transaction holding the change
//! sequence's row, the operations' statements pipelined (see `pipe`), each operation
//! under a savepoint of its own when there are several, then the commit.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::batch::{Abort, Loop, Ran};
use super::cache::Cache;
use super::db::{Conn, Failure, failure, store_error};
use super::fence;
use super::logged;
use super::pipe::{Failed, Pipe};
use super::queue::{Queued, Work};
use super::tx::{PgTx, big, meta_key};
use crate::store::StoreError;
use crate::store::sled::layout::{META_AUDIT_HEAD, encode};
use crate::time::now_ms;

/// What the first failed statement means for the run: its operation is left out, unless
/// it was the batch's own statement or the connection is gone (then the whole again).
fn abort_for(f: Failed, conn: &Conn, ops: usize) -> Abort {
    match f.kind {
        _ if conn.is_closed() => Abort::Again(Failure::Connection, f.why),
        Failure::Other if !f.control && f.op < ops => Abort::Exclude(f.op, f.why),
        kind => Abort::Again(kind, f.why),
    }
}

fn rollback(conn: &Conn, e: Abort) -> Abort {
    let _ = conn.batch("ROLLBACK");
    e
}

impl Loop {
    /// Run the batch once, in one transaction, without the operations in `skip` (they
    /// failed a statement in an earlier run: that is their answer).
    pub(super) fn run_once(
        &mut self,
        ops: &[Queued],
        durable: bool,
        skip: &HashMap<usize, String>,
    ) -> Result<Ran, Abort> {
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
        // The sequence's table is locked before any query: the transaction's snapshot is
        // taken by its first query, so it is taken once every writer before it (of any
        // node) has committed. Locking the row by that first query would take the snapshot
        // before the wait, and a transaction that waited would not see what the one before
        // it wrote unless that one moved the sequence (an audit entry alone does not).
        let begin = if durable {
            "BEGIN ISOLATION LEVEL SERIALIZABLE; LOCK TABLE change_seq IN EXCLUSIVE MODE; \
             SELECT last FROM change_seq WHERE id = 1 FOR UPDATE"
        } else {
            "BEGIN ISOLATION LEVEL SERIALIZABLE; LOCK TABLE change_seq IN EXCLUSIVE MODE; \
             SET LOCAL synchronous_commit = off; \
             SELECT last FROM change_seq WHERE id = 1 FOR UPDATE"
        };
        let fenced = fence::any(ops.iter().map(|q| q.fence.as_ref()), skip);
        let answered = conn
            .batch(&fence::begin(begin, fenced))
            .map_err(|e| rollback(conn, again(e)))?;
        let lease = fence::lease(&answered, fenced);
        let last = answered
            .iter()
            .find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0)?.parse::<u64>().ok(),
                _ => None,
            })
            .unwrap_or(0);
        if last < published {
            return Err(rollback(
                conn,
                Abort::Backwards {
                    found: last,
                    published,
                },
            ));
        }
        let mut next = last + 1;
        let now = now_ms();
        let mut ran = Ran {
            changes: Vec::new(),
            effects: Vec::new(),
            results: Vec::with_capacity(ops.len()),
            wrote: false,
            before: last,
            last: None,
        };
        let left_out = skip.keys().filter(|i| **i < ops.len()).count();
        let pipe = Pipe::new(conn, ops.len().saturating_sub(left_out) > 1);
        let mut kept = vec![false; ops.len()];
        let cache = Cache::default();
        for (i, q) in ops.iter().enumerate() {
            if let Some(why) = skip.get(&i) {
                ran.results.push(Err(StoreError::Database(why.clone())));
                continue;
            }
            if let Err(refused) = fence::admit(q.fence.as_ref(), &lease) {
                ran.results.push(Err(refused));
                continue;
            }
            pipe.begin(i);
            let mut tx = PgTx::new(&pipe, &cache, &shared, &mut next, now, q.actor.clone());
            let returned = match &q.work {
                Work::Op(op) => op(&mut tx).map_err(|_| None),
                Work::Counts => tx
                    .write_pending_counts()
                    .map(|_| ())
                    .map_err(|e| Some(e.to_string())),
            };
            let parts = tx.into_parts();
            let keep = returned.is_ok();
            // Keeping or undoing it is queued (a failure to queue is the pipe's too).
            let _ = pipe.end(keep);
            if let Some(f) = pipe.failed() {
                return Err(rollback(conn, abort_for(f, conn, ops.len())));
            }
            cache.end(keep);
            kept[i] = keep;
            if keep {
                ran.wrote = true;
                ran.changes.extend(parts.changes);
                ran.effects.extend(parts.effects);
                ran.results.push(Ok(()));
            } else {
                // The operation's own error is its answer.
                ran.results.push(match returned {
                    Err(Some(why)) => Err(StoreError::Database(why)),
                    _ => Ok(()),
                });
            }
        }
        if !ran.wrote {
            conn.batch("ROLLBACK").map_err(again)?;
            return Ok(ran);
        }
        if let Some(head) = cache.moved_head() {
            let _ = pipe.close(
                "INSERT INTO meta (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                &[&meta_key(META_AUDIT_HEAD), &encode(&head)],
            );
        }
        // What other nodes' read models take from it is logged, under a number of its own.
        if next == last + 1 && ran.effects.iter().any(logged::shared_update) {
            next += 1;
        }
        if next > last + 1 {
            let _ = pipe.close(
                "UPDATE change_seq SET last = $1 WHERE id = 1",
                &[&big(next - 1)],
            );
            let body = logged::body(&ran.changes, &ran.effects);
            logged::log(&pipe, last + 1, next - 1, &shared.node, &body);
            ran.last = Some(next - 1);
        }
        let _ = pipe.flush();
        if let Some(f) = pipe.failed() {
            return Err(rollback(conn, abort_for(f, conn, ops.len())));
        }
        // What queued statements' rows said, of the operations kept.
        ran.effects.extend(
            pipe.late_effects()
                .into_iter()
                .filter(|(op, _)| kept.get(*op).copied().unwrap_or(false))
                .map(|(_, e)| e),
        );
        let stats = &self.shared.stats;
        stats
            .round_trips
            .fetch_add(pipe.round_trips() + 2, Ordering::Relaxed);
        let delay = shared.delay_commit.load(Ordering::Relaxed);
        if delay > 0 {
            std::thread::sleep(std::time::Duration::from_millis(delay));
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
            stats.flushed(commit_started.elapsed());
        }
        tracing::trace!(ops = ops.len(), took = ?started.elapsed(), "store batch committed");
        Ok(ran)
    }
}
