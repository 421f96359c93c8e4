//! The store: what the engine needs from a database, written down as traits, and the
//! backends that provide it. The engine holds a [`Store`] (a backend behind
//! `Arc<dyn Backend>`) and never sees a backend's own types.
//!
//! What every backend promises:
//! - **Atomicity**: an operation ([`Store::commit`]) runs in one transaction ([`Tx`]): all
//!   it writes is kept, or nothing (it returned an error, or the commit failed). It may be
//!   run more than once (a database retries a transaction that lost a serialization
//!   conflict or a deadlock), so it is `Fn` and changes nothing outside the transaction.
//! - **Durability**: a [`Durability::Durable`] commit's future resolves only once the
//!   commit is on disk; a [`Durability::Lazy`] one once committed, made durable shortly
//!   after (a crash may lose it whole, never half of it).
//! - **Order**: every change committed is published ([`Store::subscribe`]) with a number in
//!   one sequence, assigned in commit order: it never goes backwards and is never handed
//!   out twice, across restarts too. A subscriber sees the changes in that order, after
//!   their commit (and for a commit with a durable operation, after its flush); one that
//!   falls behind is told it lagged and refetches.
//! - **Reads** ([`Reader`], through [`Store::read`]) see what was committed; they, and
//!   every call in a transaction, may block and may fail.
//! - **Node-local state** ([`NodeLocal`]): what this process keeps in memory (the read
//!   model, counts written in bulk, staged flows, what the workers publish), answered
//!   without a database round trip.
//! - **Secrets** are sealed by us ([`crypto`]: the same AEAD, keys and slots for every
//!   backend); a backend only ever holds ciphertext.
//! - **Backups** are one file format for every backend ([`backup`]).
//! - **Leadership**: one node at a time leads the background work ([`Leadership`]); its
//!   calls out and its writes are fenced ([`Fence`], [`NotLeader`]).
//!
//! Backends: [`sled`] (embedded, one process; the default) and [`postgres`] (a database
//! shared with other processes later; one process at a time for now).

pub mod audit;
mod backend;
pub mod backup;
mod change;
mod cluster;
mod counts;
mod crypto;
mod error;
pub mod fence;
mod inbox;
mod index;
mod index_update;
mod leader;
mod node;
mod outbox;
pub mod postgres;
mod read;
pub mod sled;
mod tx;

use std::path::Path;
use std::sync::Arc;

use crate::config::{StoreBackend, StoreConfig};

pub use backend::{Backend, BoxFuture, Discard, Store, TxOp};
pub use backup::BackupSummary;
pub use change::{Change, Committed, Counted, Durability, StoreStats, TakenFlow};
pub use cluster::{Cluster, NodeView};
pub use crypto::{
    Cipher, KEY_CHECK_RECORD, KEY_CHECK_SLOT, KEY_CHECK_TEXT, KeyError, KeySource, flow_slot,
    secret_prefix, secret_slot, slug_of_secret_slot, sync_dir, tenant_key_slot, write_key_file,
};
pub use error::StoreError;
pub use fence::{Fence, NotLeader};
pub use index::Index;
pub use leader::{Leadership, Role};
pub use node::{JobCounts, NodeLocal, Published};
pub use read::Reader;
pub use sled::layout::SCHEMA_VERSION;
pub use sled::{
    ChainEnds, EVENT_BUFFER, LAZY_FLUSH, Restored, check_data_dir, exists, restore, rotate,
};
pub use tx::{
    FlowTx, ImportTx, LinkTx, MAX_FLOWS_PER_LINK, OutboxTx, SecretTx, SecurityEventTx, Swept,
    TenantTx, Tx,
};

impl Store {
    /// Open (or create) the embedded database in `dir`. Blocks (IO, a migration): call it
    /// from a blocking thread.
    pub fn open(dir: &Path, key: &KeySource) -> Result<Self, StoreError> {
        Ok(Store::new(Arc::new(sled::SledBackend::open(dir, key)?)))
    }

    /// Open (or create) the store the configuration names, for the data dir `dir` (where
    /// sled keeps it; with PostgreSQL, the key file, the control socket and the logs stay
    /// there). Blocks: call it from a blocking thread.
    pub fn open_with(
        dir: &Path,
        key: &KeySource,
        config: &StoreConfig,
    ) -> Result<Self, StoreError> {
        match &config.backend {
            StoreBackend::Sled => Self::open(dir, key),
            StoreBackend::Postgres(url) => Ok(Store::new(Arc::new(postgres::PgBackend::open(
                dir,
                key,
                url,
                config.leader_timeout,
                config.change_log_keep,
            )?))),
        }
    }
}

/// Restore a backup into the store the configuration names (see [`restore`] and
/// [`postgres::restore`]): either backend's backup into either. Blocks.
pub fn restore_with(
    config: &StoreConfig,
    dir: &Path,
    key: &KeySource,
    file: &Path,
    accept_unauthenticated: bool,
    expect: &[crate::domain::anchor::AuditAnchor],
) -> Result<Restored, StoreError> {
    match &config.backend {
        StoreBackend::Sled => restore(dir, key, file, accept_unauthenticated, expect),
        StoreBackend::Postgres(url) => {
            postgres::restore(dir, url, key, file, accept_unauthenticated, expect)
        }
    }
}

/// Whether there is a store to open: sled's files in `dir`; a PostgreSQL database is
/// named by the configuration (opening it says what is wrong with it, if anything).
pub fn exists_for(config: &StoreConfig, dir: &Path) -> bool {
    match config.backend {
        StoreBackend::Sled => exists(dir),
        StoreBackend::Postgres(_) => true,
    }
}
