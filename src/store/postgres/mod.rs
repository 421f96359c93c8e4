//! The PostgreSQL backend: the store in a database an operator already runs (and
//! replicates), reached through `tokio-postgres` on a runtime of the backend's own, with
//! TLS through rustls. Every `tokio_postgres` type stays in this folder.
//!
//! - `open`: opening (the schema migrated, the key checked, the read model built);
//!   `schema` and `migrations/`: the numbered migrations;
//! - `writer`, `queue`, `batch`, `run`: the one writer of this process (on a thread and a
//!   runtime of its own), a batch of operations per SERIALIZABLE transaction, run again
//!   when the database asks; `pipe`: its statements pipelined, writes sent with the next
//!   read; `cache`: what the batch read or wrote, asked once;
//! - `tx`, `tx_links`, `tx_store`: the transaction an operation runs in; `rows`: rows as
//!   the store's types;
//! - `read`: reads on a pool of connections; `node`: the node-local state; `nodes`: the
//!   nodes sharing the database (`status`); `probe`: what
//!   `config check` finds; `backup`, `restore`: the one backup format, either way;
//!   `marker`: the last durable change number this node saw, kept in the data dir;
//! - `lease`: which node leads the background work (a lease in the database, kept by a
//!   thread and a connection of its own); `fence`: the writes of leader-only work checked
//!   against it in their own transaction;
//! - `feed`, `listener`, `logged`: every node's commits reach every node's read model and
//!   subscribers in change-number order, through the change log (a row per commit, in its
//!   transaction, and a notification), read by a thread with a connection of its own;
//!   `snapshot`: the read model read in one snapshot (at open, and when changes were
//!   missed);
//! - `shared`: what they share; `db`: connections and errors; `rt`: the runtime; `tls`:
//!   libpq's `sslmode` over rustls.
//!
//! What sled keeps only in this process is in the database or derived from it: flows are
//! committed before the customer goes to Google, repeated opens are added as increments,
//! the provisioner's state is stored, and the change sequence is a row each writing
//! transaction holds to its commit (numbers in commit order, never reused, never back).

mod backup;
mod batch;
mod cache;
mod db;
mod feed;
mod fence;
mod lease;
mod listener;
mod logged;
mod mark_tokens;
mod marker;
mod node;
mod nodes;
mod open;
mod pipe;
mod probe;
mod queue;
mod read;
mod restore;
mod rows;
mod rt;
mod run;
mod schema;
mod shared;
mod snapshot;
mod tls;
mod tx;
mod tx_links;
mod tx_risc;
mod tx_store;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::broadcast;

pub use probe::{Probe, probe};
pub use restore::restore;
pub use schema::PG_SCHEMA_VERSION;

use crate::config::postgres_url::PostgresUrl;
use crate::domain::actor::Actor;
use crate::store::backup::BackupSummary;
use crate::store::leader::{Leadership, Role};
use crate::store::{
    Backend, BoxFuture, Cipher, Committed, Durability, KeySource, NodeLocal, NotLeader, Reader,
    StoreError, StoreStats, TxOp,
};
use lease::Keeper;
use listener::Listener;
use node::PgNode;
use read::PgReader;
use rt::Rt;
use shared::Shared;
use writer::Writer;

pub struct PgBackend {
    dir: PathBuf,
    /// The database's URI without its password.
    shown: String,
    schema_found: u32,
    reader: Arc<PgReader>,
    node: PgNode,
    shared: Arc<Shared>,
    writer: Arc<Writer>,
    keeper: Keeper,
    listener: Listener,
    /// Kept last: the connections live on it.
    #[allow(dead_code)]
    rt: Arc<Rt>,
}

impl PgBackend {
    /// Open (or create) the store in the database `url` names; `dir` is the data dir (the
    /// key file, the control socket and the logs stay there); `leader_timeout`: how long
    /// the lease of the background work outlives its holder's last renewal;
    /// `change_log_keep`: how long the change log keeps a commit for the other nodes.
    /// Blocks: call it from a blocking thread.
    pub fn open(
        dir: &Path,
        key: &KeySource,
        url: &PostgresUrl,
        leader_timeout: Duration,
        change_log_keep: Duration,
    ) -> Result<Self, StoreError> {
        open::open(dir, key, url, leader_timeout, change_log_keep)
    }

    /// The database's URI, without its password.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

impl Backend for PgBackend {
    fn submit(
        &self,
        actor: &Actor,
        durability: Durability,
        op: TxOp,
    ) -> BoxFuture<'static, Result<(), StoreError>> {
        let fence = if actor.leader_only() {
            let leadership = self.keeper.leadership();
            match leadership.role() {
                Role::Leader { epoch, .. } => Some(fence::Fenced {
                    node: leadership.node().into(),
                    epoch,
                }),
                // Refused before it is queued: the leader does this work.
                Role::Follower => return Box::pin(async { Err(NotLeader.into()) }),
            }
        } else {
            None
        };
        self.writer
            .submit(actor.operator().cloned(), fence, durability, op)
    }

    fn reader(&self) -> Arc<dyn Reader> {
        self.reader.clone()
    }

    fn node(&self) -> &dyn NodeLocal {
        &self.node
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Committed>> {
        self.shared.events.subscribe()
    }

    fn subscribers(&self) -> usize {
        self.shared.events.receiver_count()
    }

    fn last_seq(&self) -> u64 {
        self.shared.last_seq.load(Ordering::Acquire)
    }

    fn applied(&self) -> BoxFuture<'static, Result<(), StoreError>> {
        self.writer.barrier(false)
    }

    fn sync(&self) -> BoxFuture<'static, Result<(), StoreError>> {
        self.writer.barrier(true)
    }

    fn stop(&self, grace: Duration) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let started = std::time::Instant::now();
            let stopped = self.writer.stop(grace).await;
            // The lease is given back once nothing more is written, within what is left.
            self.keeper
                .stop(grace.saturating_sub(started.elapsed()))
                .await;
            self.listener
                .stop(grace.saturating_sub(started.elapsed()))
                .await;
            stopped
        })
    }

    fn failure(&self) -> Option<String> {
        self.shared.failure()
    }

    fn backup(&self, path: PathBuf) -> BoxFuture<'static, Result<BackupSummary, StoreError>> {
        // Everything queued before is committed first, then read in one snapshot.
        let applied = self.writer.barrier(false);
        let reader = self.reader.clone();
        Box::pin(async move {
            applied.await?;
            tokio::task::spawn_blocking(move || backup::write(&reader, &path))
                .await
                .map_err(|e| StoreError::Task(e.to_string()))?
        })
    }

    fn stats(&self) -> StoreStats {
        self.shared.stats.snapshot()
    }

    fn outbox_len(&self) -> usize {
        self.shared.outbox_len.load(Ordering::Relaxed)
    }

    fn enable_outbox(&self) {
        self.shared.outbox_on.store(true, Ordering::Relaxed);
    }

    fn cipher(&self) -> &Cipher {
        &self.shared.cipher
    }

    fn dir(&self) -> &Path {
        &self.dir
    }

    fn schema_found(&self) -> u32 {
        self.schema_found
    }

    fn stall_for_tests(&self, d: Duration) {
        self.writer.stall_for_tests(d);
    }

    fn leadership(&self) -> Leadership {
        self.keeper.leadership()
    }

    fn pause_lease_for_tests(&self, d: Duration) {
        self.keeper.pause_for_tests(d);
    }

    fn listener(&self, at: &str) {
        self.keeper.listener(at);
    }

    fn cluster(&self) -> BoxFuture<'static, Result<crate::store::Cluster, StoreError>> {
        let reader = self.reader.clone();
        let this = self.keeper.leadership().node().to_owned();
        let (timeout, shown) = (self.keeper.timeout(), self.shown.clone());
        Box::pin(async move {
            let read = tokio::task::spawn_blocking(move || {
                // The database is named even when the nodes cannot be read.
                nodes::read(&reader, &this, timeout, &shown).or_else(|e| {
                    Ok(crate::store::Cluster {
                        database: shown.clone(),
                        error: Some(e.to_string()),
                        ..Default::default()
                    })
                })
            });
            read.await.map_err(|e| StoreError::Task(e.to_string()))?
        })
    }

    fn pause_feed_for_tests(&self, d: Duration) {
        self.listener.pause_for_tests(d);
    }

    fn delay_commit_for_tests(&self, d: Duration) {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        self.shared.delay_commit.store(ms, Ordering::Relaxed);
    }
}
