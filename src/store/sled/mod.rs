//! The embedded backend: sled 0.34 in the data dir, owned by one process (a second one is
//! told who holds it). Every `sled::` type stays in this folder.
//!
//! - `open`: opening (lock, key check, migration, read model); `files`: the data dir and
//!   the database's files;
//! - `writer`, `batch`, `queue`: the one writer thread, batching operations into one
//!   transaction and one flush (group commit);
//! - `tx`, `tx_links`, `tx_store`: the transaction an operation runs in;
//! - `read`: reads outside the writer; `node`: the node-local state;
//! - `layout`: the trees and their keys; `overlay`, `deferred`: the writer's bookkeeping;
//!   `trees`: what they share;
//! - `audit`, `import`: the audit chain and the import journal as stored;
//! - `backup` (with `backup_chain`: the audit chain a backup holds), `rotate`, `migrate`,
//!   `migrate_v4`, `lock`: tools that need the database.

mod audit;
pub(in crate::store) mod backup;
mod backup_chain;
mod batch;
mod deferred;
mod files;
pub(in crate::store) mod import;
pub mod layout;
mod lock;
mod migrate;
mod migrate_v4;
mod migrate_v5;
mod migrate_v6;
mod migrate_v7;
mod node;
mod open;
mod overlay;
mod queue;
mod read;
mod reopen;
pub mod rotate;
mod trees;
mod tx;
mod tx_links;
mod tx_risc;
mod tx_store;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::broadcast;

pub use backup::{Restored, restore};
pub use backup_chain::ChainEnds;
pub use files::{check_data_dir, exists};
pub use open::EVENT_BUFFER;
pub use queue::LAZY_FLUSH;

use crate::domain::actor::Actor;
use crate::store::backup::BackupSummary;
use crate::store::leader::Leadership;
use crate::store::{
    Backend, BoxFuture, Cipher, Committed, Durability, KeySource, NodeLocal, Reader, StoreError,
    StoreStats, TxOp,
};
use layout::T;
use node::SledNode;
use queue::Stats;
use read::SledReader;
use trees::Trees;
use writer::Writer;

pub struct SledBackend {
    dir: PathBuf,
    schema_found: u32,
    trees: Arc<Trees>,
    reader: Arc<SledReader>,
    node: SledNode,
    stats: Arc<Stats>,
    events: broadcast::Sender<Arc<Committed>>,
    last_seq: Arc<AtomicU64>,
    writer: Writer,
    /// One process per database: always the leader.
    leadership: Leadership,
}

impl SledBackend {
    /// Open (or create) the database in `dir` (blocks: call it from a blocking thread).
    pub fn open(dir: &Path, key: &KeySource) -> Result<Self, StoreError> {
        open::open(dir, key)
    }
}

impl Backend for SledBackend {
    fn submit(
        &self,
        actor: &Actor,
        durability: Durability,
        op: TxOp,
    ) -> BoxFuture<'static, Result<(), StoreError>> {
        self.writer
            .submit(actor.operator().cloned(), durability, op)
    }

    fn reader(&self) -> Arc<dyn Reader> {
        self.reader.clone()
    }

    fn node(&self) -> &dyn NodeLocal {
        &self.node
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Committed>> {
        self.events.subscribe()
    }

    fn subscribers(&self) -> usize {
        self.events.receiver_count()
    }

    fn last_seq(&self) -> u64 {
        self.last_seq.load(Ordering::Acquire)
    }

    fn applied(&self) -> BoxFuture<'static, Result<(), StoreError>> {
        self.writer.run(|_| Ok(()))
    }

    fn sync(&self) -> BoxFuture<'static, Result<(), StoreError>> {
        self.writer.sync()
    }

    fn stop(&self, grace: Duration) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.writer.stop(grace))
    }

    fn failure(&self) -> Option<String> {
        self.writer.failure()
    }

    fn backup(&self, path: PathBuf) -> BoxFuture<'static, Result<BackupSummary, StoreError>> {
        // On the writer's own thread, between operations: a consistent snapshot.
        self.writer.run(move |tx| tx.backup_to(&path))
    }

    fn stats(&self) -> StoreStats {
        self.stats.snapshot()
    }

    fn outbox_len(&self) -> usize {
        self.trees.tree(T::Outbox).len()
    }

    fn enable_outbox(&self) {
        self.trees.outbox_on.store(true, Ordering::Relaxed);
    }

    fn cipher(&self) -> &Cipher {
        &self.trees.cipher
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
        self.leadership.clone()
    }

    /// One node: `status` says where it listens itself.
    fn listener(&self, _at: &str) {}

    fn cluster(&self) -> BoxFuture<'static, Result<crate::store::Cluster, StoreError>> {
        let one =
            crate::store::Cluster::alone(self.dir().display().to_string(), self.leadership.node());
        Box::pin(std::future::ready(Ok(one)))
    }

    /// No lease to keep.
    fn pause_lease_for_tests(&self, _: Duration) {}
}
