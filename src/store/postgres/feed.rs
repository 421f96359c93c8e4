//! The ordered feed: how commits reach this node's read model and its subscribers, in
//! change-number order, whichever node made them. Every commit is applied under one lock
//! ([`Shared::applied`], the last number applied): the change log's rows as the listener
//! reads them (see `listener`), and this node's own commits as the writer makes them. A
//! writer whose transaction found, at its start, a number above the one applied (another
//! node committed meanwhile) first reads and applies those rows (all committed: it held
//! the sequence's row after them), then its own; so a node never publishes its 10 before
//! another node's 9. Rows at or below the number applied are skipped (the listener and the
//! writer may both read one). A row that does not follow the last applied (one trimmed
//! before it was read, or a commit of a release that did not log) means changes were
//! missed: the read model is rebuilt from the database and subscribers are told they lagged
//! ([`Change::Lagged`]).

use std::sync::MutexGuard;
use std::sync::atomic::Ordering;

use super::db::{Conn, store_error};
use super::logged;
use super::shared::{Effect, Shared};
use super::snapshot;
use super::tx::big;
use crate::store::{Change, Committed, StoreError};
use crate::time::now_ms;

/// The change log's rows after a number, up to another, in order, a page at a time.
const ROWS: &str = "SELECT seq, first, body FROM change_log WHERE seq > $1 AND seq <= $2 \
     ORDER BY seq LIMIT 1000";
/// Rows in a page (see [`ROWS`]).
const PAGE: usize = 1000;

/// A row of the change log.
pub(super) struct Row {
    seq: u64,
    first: u64,
    body: Vec<u8>,
}

/// The rows after `after`, up to `upto` (a page of them).
pub(super) fn rows(conn: &Conn, after: u64, upto: u64) -> Result<Vec<Row>, StoreError> {
    let num = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(conn
        .query(ROWS, &[&big(after), &big(upto)])
        .map_err(|e| store_error(&e))?
        .iter()
        .map(|r| Row {
            seq: num(r.get(0)),
            first: num(r.get(1)),
            body: r.get(2),
        })
        .collect())
}

/// What a commit of this node's writer changed, to apply and publish once committed.
pub(super) struct Own {
    /// The last number when its transaction began.
    pub before: u64,
    /// Its last number, if it took any.
    pub last: Option<u64>,
    pub changes: Vec<Committed>,
    pub effects: Vec<Effect>,
}

/// Apply `rows` in order (see the module's doc); `Err` with how many numbers were
/// skipped when one does not follow the last applied (or cannot be read).
fn apply_rows(shared: &Shared, applied: &mut u64, rows: Vec<Row>) -> Result<(), u64> {
    for r in rows {
        if r.seq <= *applied {
            continue;
        }
        if r.first != *applied + 1 {
            return Err(r.first.saturating_sub(*applied + 1));
        }
        let (changes, updates) = match logged::read(r.seq, &r.body) {
            Ok(read) => read,
            Err(e) => {
                tracing::warn!(error = %e, "a change log row cannot be read: rebuilding the read model");
                return Err(r.seq - *applied);
            }
        };
        shared.apply(updates.into_iter().map(Effect::Index).collect(), now_ms());
        shared.publish(changes);
        *applied = r.seq;
    }
    Ok(())
}

/// The read model rebuilt from the database (on `conn`), subscribers told they lagged.
fn rebuild(shared: &Shared, applied: &mut u64, conn: &Conn, missed: u64) -> Result<(), StoreError> {
    let (index, last) = snapshot::read_model(conn)?;
    *shared.index.write().unwrap_or_else(|p| p.into_inner()) = index;
    shared.stale.store(false, Ordering::Release);
    tracing::warn!(
        from = *applied,
        to = last,
        "this node missed changes made through others (they left the change log before it read them): its read model was rebuilt"
    );
    // Said after the rebuild, always: a subscriber that refetches now reads what was missed.
    let seq = last.max(*applied);
    shared.publish(vec![Committed {
        seq,
        change: Change::Lagged {
            missed: missed.max(last.saturating_sub(*applied)),
        },
    }]);
    *applied = seq;
    Ok(())
}

/// Apply `rows` (read after the number applied when they were asked for), or rebuild on
/// a gap; under the lock already held.
fn follow(
    shared: &Shared,
    applied: &mut MutexGuard<'_, u64>,
    conn: &Conn,
    rows: Vec<Row>,
) -> Result<(), StoreError> {
    match apply_rows(shared, applied, rows) {
        Ok(()) => Ok(()),
        Err(missed) => rebuild(shared, applied, conn, missed),
    }
}

/// Note the server process of the writer's new session `conn` (see
/// [`Shared::writer_pid`]); unknown if it cannot be read.
pub(super) fn writer_session(shared: &Shared, conn: &Conn) {
    let pid = conn
        .query("SELECT pg_backend_pid()", &[])
        .ok()
        .and_then(|rows| rows.first().map(|r| r.get::<_, i32>(0)))
        .unwrap_or(0);
    shared.writer_pid.store(pid, Ordering::Release);
}

/// The listener's part: read what was committed after the number applied, and apply it.
pub(super) fn catch_up(shared: &Shared, conn: &Conn) -> Result<(), StoreError> {
    loop {
        // Read without the lock (the writer may apply meanwhile: what it did is skipped).
        let after = *shared.applied();
        let read = rows(conn, after, u64::MAX)?;
        let full = read.len() == PAGE;
        let mut applied = shared.applied();
        if shared.stale.load(Ordering::Acquire) {
            return rebuild(shared, &mut applied, conn, 0);
        }
        follow(shared, &mut applied, conn, read)?;
        if !full {
            return Ok(());
        }
    }
}

/// Apply every commit up to `upto` (all committed), under the lock already held; one the
/// log does not hold (an earlier release's) means the read model is rebuilt.
fn catch_up_to(
    shared: &Shared,
    applied: &mut MutexGuard<'_, u64>,
    conn: &Conn,
    upto: u64,
) -> Result<(), StoreError> {
    while **applied < upto {
        let read = rows(conn, **applied, upto)?;
        let full = read.len() == PAGE;
        follow(shared, applied, conn, read)?;
        if !full && **applied < upto {
            let missed = upto - **applied;
            return rebuild(shared, applied, conn, missed);
        }
    }
    Ok(())
}

/// The writer's part, once `own` committed (on the writer's connection): the rows before
/// it that this node has not applied yet, then it.
pub(super) fn commit(shared: &Shared, conn: Option<&Conn>, own: Own) {
    let mut applied = shared.applied();
    if *applied < own.before {
        let caught = match conn {
            Some(conn) => catch_up_to(shared, &mut applied, conn, own.before),
            None => Err(StoreError::Database("no database connection".into())),
        };
        if let Err(e) = caught {
            // The listener rebuilds the read model (within a second) and then says the
            // subscribers lagged: saying it now would have them refetch what lacks the rows.
            tracing::warn!(error = %e, "reading the change log after a commit failed");
            shared.stale.store(true, Ordering::Release);
            *applied = own.before;
        }
    }
    match own.last {
        // Read from the log already (by the listener, or in a rebuilt read model): only
        // what is this node's own is left.
        Some(last) if *applied >= last => {
            let local = own
                .effects
                .into_iter()
                .filter(|e| !logged::shared_update(e))
                .collect();
            shared.apply(local, now_ms());
        }
        last => {
            shared.apply(own.effects, now_ms());
            // Published before the replies: whoever hears "done" finds it in the stream.
            shared.publish(own.changes);
            if let Some(last) = last {
                *applied = last;
            }
        }
    }
}
