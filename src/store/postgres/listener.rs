//! The listener: how this node learns of the commits of the others sharing the database,
//! on a thread of its own with a connection of its own (outside the pool, on a runtime of
//! its own, as the lease keeper's: LISTEN belongs to one session). It listens first, then
//! reads the change log after the number applied (see `feed`), then waits for a
//! notification or a backstop tick, and reads again. A notification whose number is
//! applied already (this node's own commit, applied by its writer) costs no read. A lost
//! connection (the server ended it, or the leader ended this node's sessions) is made
//! again a backstop's time later, and the log read from the number applied. About
//! every minute it also deletes the rows older than `store.change_log_keep` (the newest is
//! always kept, so that a node that missed rows finds the gap) and looks at the server's
//! notification queue, shared by every session: one that does not read its notifications
//! holds the queue's tail, and a full queue fails every commit that notifies.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::db::{Conn, Target, store_error};
use super::feed;
use super::logged::CHANNEL;
use super::rt::Rt;
use super::shared::Shared;
use crate::store::StoreError;

/// The change log is read at least this often, notified or not.
const BACKSTOP: Duration = Duration::from_secs(1);
/// How often the old rows are deleted (at most) and the queue is looked at.
const HOUSEKEEPING: Duration = Duration::from_secs(60);
/// The share of the notification queue in use above which it is said.
const QUEUE_WARNING: f64 = 0.5;

const TRIM: &str = "DELETE FROM change_log \
     WHERE at < clock_timestamp() - $1::bigint * interval '1 millisecond' \
       AND seq < (SELECT max(seq) FROM change_log)";
const QUEUE_USAGE: &str = "SELECT pg_notification_queue_usage()";
const NODES: &str = "SELECT DISTINCT application_name FROM pg_stat_activity \
     WHERE datname = current_database() AND application_name <> '' ORDER BY 1";

enum Msg {
    /// Tests: read nothing for this long, as a process stopped with SIGSTOP.
    Pause(Duration),
    Stop(oneshot::Sender<()>),
}

pub(super) struct Listener {
    tx: Mutex<Option<mpsc::UnboundedSender<Msg>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Listener {
    /// Start following the change log for `shared` (rows kept for `keep`).
    pub fn start(shared: Arc<Shared>, target: Target, keep: Duration) -> Result<Self, StoreError> {
        let (tx, msgs) = mpsc::unbounded_channel();
        let run = Run {
            shared,
            target,
            keep,
            conn: None,
            notes: None,
            failing: false,
            lost: None,
            trimmed: None,
            watched: None,
        };
        let thread = std::thread::Builder::new()
            .name("store-listener".into())
            .spawn(move || run.run(msgs))
            .map_err(|e| StoreError::Closed(format!("cannot start the change listener: {e}")))?;
        Ok(Self {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    pub fn pause_for_tests(&self, d: Duration) {
        if let Some(tx) = &*self.tx.lock().unwrap_or_else(|p| p.into_inner()) {
            let _ = tx.send(Msg::Pause(d));
        }
    }

    /// Stop the thread; waits at most `grace`.
    pub async fn stop(&self, grace: Duration) {
        let Some(tx) = self.tx.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return;
        };
        let (reply, answer) = oneshot::channel();
        let _ = tx.send(Msg::Stop(reply));
        if tokio::time::timeout(grace, answer).await.is_err() {
            tracing::warn!("the change listener did not stop within {grace:?}");
            return;
        }
        let handle = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle {
            let _ = tokio::task::spawn_blocking(move || h.join()).await;
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        // Closing the channel ends the thread.
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

/// What woke the thread.
enum Woke {
    Msg(Option<Msg>),
    /// A notification (`None`: the connection ended).
    Note(Option<(i32, String)>),
    Tick,
}

/// The listener thread's state.
struct Run {
    shared: Arc<Shared>,
    target: Target,
    keep: Duration,
    conn: Option<Conn>,
    notes: Option<mpsc::UnboundedReceiver<(i32, String)>>,
    /// The last attempt failed (said once, until one succeeds).
    failing: bool,
    /// When the connection was lost: a new one is made a backstop's time after.
    lost: Option<Instant>,
    trimmed: Option<Instant>,
    watched: Option<Instant>,
}

impl Run {
    fn run(mut self, mut msgs: mpsc::UnboundedReceiver<Msg>) {
        let rt = match Rt::local() {
            Ok(rt) => rt,
            Err(e) => {
                tracing::error!(error = %e, "the change listener cannot start: other nodes' changes are not followed");
                return;
            }
        };
        loop {
            let done = match self.conn {
                None if self.lost.is_none_or(|t| t.elapsed() >= BACKSTOP) => self.connect(&rt),
                _ => Ok(()),
            };
            let done = done.and_then(|()| self.housekeeping());
            self.outcome(done);
            let notes = self.notes.as_mut();
            let woke = rt.wait(async {
                let note = async {
                    match notes {
                        Some(n) => n.recv().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    m = msgs.recv() => Woke::Msg(m),
                    n = note => Woke::Note(n),
                    () = tokio::time::sleep(BACKSTOP) => Woke::Tick,
                }
            });
            let read = match woke {
                Woke::Msg(None) => return,
                Woke::Msg(Some(Msg::Stop(reply))) => {
                    let _ = reply.send(());
                    return;
                }
                Woke::Msg(Some(Msg::Pause(d))) => {
                    std::thread::sleep(d);
                    self.catch_up()
                }
                Woke::Note(None) => {
                    self.lose();
                    continue;
                }
                Woke::Note(Some(first)) => self.notified(&first),
                Woke::Tick => self.catch_up(),
            };
            self.outcome(read);
        }
    }

    /// Note how an attempt went: a connection that failed is dropped (a new one next).
    fn outcome(&mut self, res: Result<(), StoreError>) {
        match res {
            Ok(()) => {
                if std::mem::take(&mut self.failing) {
                    tracing::info!("the change listener follows the change log again");
                }
            }
            Err(e) => {
                if !std::mem::replace(&mut self.failing, true) {
                    tracing::warn!(error = %e, "the change listener cannot read the change log: trying again");
                }
                self.lose();
            }
        }
    }

    /// The connection is gone (ended by the server, or failing): a new one later.
    fn lose(&mut self) {
        self.conn = None;
        self.notes = None;
        self.lost = Some(Instant::now());
    }

    /// Listen, then read what was committed since the number applied.
    fn connect(&mut self, rt: &Arc<Rt>) -> Result<(), StoreError> {
        let (client, notes) = self.target.listen_on(rt)?;
        let conn = Conn::new(client, rt.clone());
        conn.batch(&format!("LISTEN {CHANNEL}"))
            .map_err(|e| store_error(&e))?;
        self.conn = Some(conn);
        self.notes = Some(notes);
        self.lost = None;
        self.catch_up()
    }

    /// Notified with `first` (and maybe more, waiting): read the log unless every number
    /// said is applied already, or is this node's writer's (it applies its own commits;
    /// the backstop reads the log anyway).
    fn notified(&mut self, first: &(i32, String)) -> Result<(), StoreError> {
        let own = self.shared.writer_pid.load(Ordering::Acquire);
        let said = |(pid, payload): &(i32, String)| match *pid == own && own != 0 {
            true => 0,
            false => payload.parse::<u64>().unwrap_or(u64::MAX),
        };
        let mut most = said(first);
        if let Some(notes) = self.notes.as_mut() {
            while let Ok(n) = notes.try_recv() {
                most = most.max(said(&n));
            }
        }
        if most <= *self.shared.applied() {
            return Ok(());
        }
        self.catch_up()
    }

    fn catch_up(&mut self) -> Result<(), StoreError> {
        match &self.conn {
            Some(conn) => feed::catch_up(&self.shared, conn),
            None => Ok(()),
        }
    }

    /// The old rows deleted, and the notification queue looked at, when it is time.
    fn housekeeping(&mut self) -> Result<(), StoreError> {
        let Some(conn) = &self.conn else {
            return Ok(());
        };
        let due =
            |last: Option<Instant>, every: Duration| last.is_none_or(|t| t.elapsed() >= every);
        if due(self.trimmed, HOUSEKEEPING.min(self.keep)) {
            let ms = i64::try_from(self.keep.as_millis()).unwrap_or(i64::MAX);
            let gone = conn.execute(TRIM, &[&ms]).map_err(|e| store_error(&e))?;
            tracing::debug!(rows = gone, "old change log rows deleted");
            self.trimmed = Some(Instant::now());
        }
        if due(self.watched, HOUSEKEEPING) {
            let usage: f64 = conn
                .query(QUEUE_USAGE, &[])
                .map_err(|e| store_error(&e))?
                .first()
                .map_or(0.0, |r| r.get(0));
            if usage > QUEUE_WARNING {
                let nodes: Vec<String> = conn
                    .query(NODES, &[])
                    .map_err(|e| store_error(&e))?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                tracing::warn!("{}", crowded(usage, &nodes));
            }
            self.watched = Some(Instant::now());
        }
        Ok(())
    }
}

/// What is said of a notification queue `usage` full (0 to 1), `nodes` connected.
fn crowded(usage: f64, nodes: &[String]) -> String {
    format!(
        "PostgreSQL's notification queue is {:.0}% full: a session that listens does not read its notifications (commits fail once it is full); the nodes connected: {} (the leader ends the sessions of a node unseen for store.leader_timeout)",
        usage * 100.0,
        if nodes.is_empty() {
            "none".to_owned()
        } else {
            nodes.join(", ")
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crowded_queue_is_said_with_its_share_and_the_nodes() {
        let said = crowded(0.62, &["node-a".into(), "node-b".into()]);
        assert!(said.contains("62% full"), "{said}");
        assert!(said.contains("node-a, node-b"), "{said}");
        assert!(crowded(0.9, &[]).contains("connected: none"));
    }
}
