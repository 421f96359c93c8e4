//! The lease keeper: which node leads the background work, on a thread of its own with a
//! connection of its own (outside the pool, on a runtime of its own, as the writer's).
//! The lease is one row (`leader_lease`): its holder (a node id, which is also the
//! `application_name` of every session of that node's store), an epoch, and an expiry in
//! the database's time. Each round, every `timeout / 3`, the holder renews it and any
//! other node tries to take it if it is free or expired; both are single UPDATE
//! statements whose conditions are read in the database's time (`clock_timestamp()`), so
//! the row's lock lets one node at a time hold it. A takeover bumps the epoch and ends
//! the previous holder's sessions. What this node may believe is published as a
//! [`Role`]: a leader's deadline is the round's start plus the timeout minus a margin, on
//! this process's monotonic clock, so it ends before the lease does (see
//! [`crate::store::Leadership`]). A node that stops gives the lease back. Each round also
//! keeps this node's row in `nodes` (see `nodes`), which the leader tidies.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, watch};
use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

use super::db::{Target, store_error};
use super::nodes;
use super::rt::Rt;
use crate::store::StoreError;
use crate::store::leader::{Leadership, Role};

/// Renewed while held, and tried while not, this many times per timeout.
const ROUNDS_PER_TIMEOUT: u32 = 3;
/// The part of the timeout a leader gives up before the lease ends: room for the
/// database's clock and this one's to run at slightly different rates, and for an action
/// started just before the deadline.
const MARGIN_PER_TIMEOUT: u32 = 5;

const RENEW: &str = "UPDATE leader_lease \
     SET expires_at = clock_timestamp() + $2::bigint * interval '1 millisecond' \
     WHERE id = 1 AND holder = $1 AND epoch = $3 AND expires_at > clock_timestamp() \
     RETURNING epoch";
/// Taken when free or expired, or held by this node unbeknown to it (a renewal or a
/// takeover whose answer was lost): under a new epoch either way. Returns the new epoch
/// and the previous holder.
const TAKE: &str = "UPDATE leader_lease AS l \
     SET holder = $1, epoch = l.epoch + 1, \
         expires_at = clock_timestamp() + $2::bigint * interval '1 millisecond' \
     FROM leader_lease AS o \
     WHERE l.id = 1 AND o.id = 1 \
       AND (l.holder IS NULL OR l.holder = $1 OR l.expires_at <= clock_timestamp()) \
     RETURNING l.epoch, o.holder";
/// The previous holder's sessions are ended, but for one running a statement (a commit of
/// a customer's callback, say: ending it there would leave its outcome unknown and stop
/// that node's store; its leader-only writes are refused by the epoch anyway).
const END_SESSIONS: &str = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
     WHERE application_name = $1 AND pid <> pg_backend_pid() \
       AND state IS DISTINCT FROM 'active'";
const RELEASE: &str = "UPDATE leader_lease SET holder = NULL, expires_at = clock_timestamp() \
     WHERE id = 1 AND holder = $1 AND epoch = $2";

enum Msg {
    /// Tests: do nothing for this long, as a process stopped with SIGSTOP.
    Pause(Duration),
    /// Give the lease back and end.
    Stop(oneshot::Sender<()>),
    /// Where this node's listener answers, for its row in `nodes`.
    Listener(String),
}

pub(super) struct Keeper {
    timeout: Duration,
    tx: Mutex<Option<Sender<Msg>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    leadership: Leadership,
}

impl Keeper {
    /// Start keeping the lease for `node` (see the module's doc).
    pub fn start(target: Target, node: &str, timeout: Duration) -> Result<Self, StoreError> {
        let (role, rx) = watch::channel(Role::Follower);
        let (tx, msgs) = std::sync::mpsc::channel();
        let run = Run {
            target,
            node: node.to_owned(),
            timeout,
            rt: None,
            conn: None,
            held: None,
            role,
            listener: None,
        };
        let thread = std::thread::Builder::new()
            .name("store-lease".into())
            .spawn(move || run.run(&msgs))
            .map_err(|e| StoreError::Closed(format!("cannot start the lease keeper: {e}")))?;
        Ok(Self {
            timeout,
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
            leadership: Leadership::new(node, rx),
        })
    }

    pub fn leadership(&self) -> Leadership {
        self.leadership.clone()
    }

    /// How long the lease outlives its holder's last renewal.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn pause_for_tests(&self, d: Duration) {
        self.send(Msg::Pause(d));
    }

    /// Where this node's listener answers (written with its row from the next round).
    pub fn listener(&self, at: &str) {
        self.send(Msg::Listener(at.to_owned()));
    }

    fn send(&self, msg: Msg) {
        if let Some(tx) = &*self.tx.lock().unwrap_or_else(|p| p.into_inner()) {
            let _ = tx.send(msg);
        }
    }

    /// Give the lease back (if held) and stop the thread; waits at most `grace`.
    pub async fn stop(&self, grace: Duration) {
        let Some(tx) = self.tx.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return;
        };
        let (reply, answer) = oneshot::channel();
        let _ = tx.send(Msg::Stop(reply));
        if tokio::time::timeout(grace, answer).await.is_err() {
            tracing::warn!("the lease keeper did not stop within {grace:?}");
            return;
        }
        let handle = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle {
            let _ = tokio::task::spawn_blocking(move || h.join()).await;
        }
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        // Closing the channel ends the thread (it gives the lease back first).
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

/// The keeper thread's state.
struct Run {
    target: Target,
    node: String,
    timeout: Duration,
    /// The thread's own runtime, its connection's.
    rt: Option<Arc<Rt>>,
    conn: Option<Client>,
    /// The epoch this node holds the lease under, as last renewed.
    held: Option<u64>,
    role: watch::Sender<Role>,
    /// Where this node's listener answers, once the owner said.
    listener: Option<String>,
}

impl Run {
    fn run(mut self, msgs: &Receiver<Msg>) {
        let round = self.timeout / ROUNDS_PER_TIMEOUT;
        loop {
            let started = Instant::now();
            self.round(started);
            let left = (started + round).saturating_duration_since(Instant::now());
            match msgs.recv_timeout(left) {
                Ok(Msg::Pause(d)) => std::thread::sleep(d),
                Ok(Msg::Listener(at)) => self.listener = Some(at),
                Ok(Msg::Stop(reply)) => {
                    self.release();
                    let _ = reply.send(());
                    return;
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.release();
                    return;
                }
            }
        }
    }

    /// Say this node is there, renew or take the lease, and publish what this node may
    /// believe; the leader then tidies the nodes' table.
    fn round(&mut self, started: Instant) {
        let release = env!("CARGO_PKG_VERSION");
        let node = self.node.clone();
        let listener = self.listener.clone();
        if let Err(why) = self.query(nodes::SEEN, &[&node, &release, &listener]) {
            tracing::warn!(node = %self.node, error = %why, "this node's row could not be written");
        }
        let attempt = self.attempt();
        if matches!(attempt, Ok(Some(_))) {
            self.tidy();
        }
        match attempt {
            Ok(Some(epoch)) => {
                if self.held != Some(epoch) {
                    tracing::info!(node = %self.node, epoch, "this node leads the background work");
                }
                self.held = Some(epoch);
                let until = started + self.timeout - self.timeout / MARGIN_PER_TIMEOUT;
                self.role.send_replace(Role::Leader {
                    epoch,
                    until: Some(until),
                });
            }
            Ok(None) => {
                if let Some(epoch) = self.held.take() {
                    tracing::warn!(node = %self.node, epoch, "this node lost the lease: another leads now");
                }
                self.role.send_replace(Role::Follower);
            }
            Err(why) => {
                // What was published stays: a leader's deadline passes on its own.
                tracing::warn!(node = %self.node, error = %why, "the lease could not be renewed or taken");
                self.conn = None;
            }
        }
    }

    /// `Some(epoch)`: this node holds the lease now.
    fn attempt(&mut self) -> Result<Option<u64>, String> {
        let ms = i64::try_from(self.timeout.as_millis()).unwrap_or(i64::MAX);
        let node = self.node.clone();
        if let Some(epoch) = self.held {
            let held = i64::try_from(epoch).unwrap_or(i64::MAX);
            let renewed = self.query(RENEW, &[&node, &ms, &held])?;
            if !renewed.is_empty() {
                return Ok(Some(epoch));
            }
        }
        let taken = self.query(TAKE, &[&node, &ms])?;
        let Some(row) = taken.first() else {
            return Ok(None);
        };
        let epoch = u64::try_from(row.get::<_, i64>(0)).unwrap_or(0);
        let before: Option<String> = row.get(1);
        if let Some(old) = before.filter(|old| *old != node) {
            match self.query(END_SESSIONS, &[&old]) {
                Ok(rows) => {
                    let ended = rows.first().map_or(0, |r| r.get::<_, i64>(0));
                    tracing::info!(node = %node, epoch, previous = %old, ended, "took the lease over and ended the previous holder's sessions");
                }
                Err(why) => {
                    tracing::warn!(previous = %old, error = %why, "took the lease over but could not end the previous holder's sessions");
                }
            }
        }
        Ok(Some(epoch))
    }

    /// The leader's care of the nodes' table (see `nodes`): the sessions of nodes gone
    /// silent ended, rows a day old deleted.
    fn tidy(&mut self) {
        let ms = i64::try_from(self.timeout.as_millis()).unwrap_or(i64::MAX);
        match self.query(nodes::END_UNSEEN, &[&ms]) {
            Ok(rows) => {
                let ended = rows.first().map_or(0, |r| r.get::<_, i64>(0));
                if ended > 0 {
                    tracing::warn!(
                        ended,
                        "ended the sessions of nodes not seen within the lease's timeout"
                    );
                }
            }
            Err(why) => tracing::warn!(error = %why, "could not end the sessions of silent nodes"),
        }
        if let Err(why) = self.query(nodes::FORGET, &[]) {
            tracing::warn!(error = %why, "could not delete old nodes' rows");
        }
    }

    /// Give the lease back, so that another node takes it at once, and say this node
    /// stopped.
    fn release(&mut self) {
        let node = self.node.clone();
        if let Err(why) = self.query(nodes::STOPPED, &[&node]) {
            tracing::warn!(error = %why, "could not mark this node stopped");
        }
        if let Some(epoch) = self.held.take() {
            let held = i64::try_from(epoch).unwrap_or(i64::MAX);
            let node = self.node.clone();
            if let Err(why) = self.query(RELEASE, &[&node, &held]) {
                tracing::warn!(error = %why, "giving the lease back failed: another node takes it once it expires");
            }
        }
        self.role.send_replace(Role::Follower);
    }

    /// One statement, on this thread's connection (a new one when there is none), given
    /// at most a round's time.
    fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, String> {
        if self.conn.as_ref().is_some_and(Client::is_closed) {
            self.conn = None;
        }
        if self.rt.is_none() {
            self.rt = Some(Rt::local().map_err(|e| e.to_string())?);
        }
        let Some(rt) = self.rt.clone() else {
            return Err("no runtime for the lease's connection".into());
        };
        if self.conn.is_none() {
            self.conn = Some(self.target.connect_on(&rt).map_err(|e| e.to_string())?);
        }
        let Some(client) = &self.conn else {
            return Err("no connection for the lease".into());
        };
        let limit = self.timeout / ROUNDS_PER_TIMEOUT;
        // The timer is made inside: only there is the runtime's clock at hand.
        match rt.wait(async { tokio::time::timeout(limit, client.query(sql, params)).await }) {
            Ok(Ok(rows)) => Ok(rows),
            Ok(Err(e)) => Err(store_error(&e).to_string()),
            Err(_) => Err(format!("the database did not answer within {limit:?}")),
        }
    }
}
