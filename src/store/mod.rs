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
//!
//! Backends: [`sled`] (embedded, one process; the default).

pub mod audit;
mod backend;
pub mod backup;
mod change;
mod crypto;
mod error;
mod index;
mod node;
mod read;
pub mod sled;
mod tx;

use std::path::Path;
use std::sync::Arc;

pub use backend::{Backend, BoxFuture, Discard, Store, TxOp};
pub use backup::BackupSummary;
pub use change::{Change, Committed, Counted, Durability, StoreStats, TakenFlow};
pub use crypto::{
    Cipher, KEY_CHECK_RECORD, KEY_CHECK_SLOT, KEY_CHECK_TEXT, KeyError, KeySource, flow_slot,
    secret_prefix, secret_slot, slug_of_secret_slot, sync_dir, tenant_key_slot, write_key_file,
};
pub use error::StoreError;
pub use index::Index;
pub use node::{JobCounts, NodeLocal, Published};
pub use read::Reader;
pub use sled::layout::SCHEMA_VERSION;
pub use sled::{
    ChainEnds, EVENT_BUFFER, LAZY_FLUSH, Restored, check_data_dir, exists, restore, rotate,
};
pub use tx::{FlowTx, ImportTx, LinkTx, MAX_FLOWS_PER_LINK, OutboxTx, SecretTx, TenantTx, Tx};

impl Store {
    /// Open (or create) the embedded database in `dir`. Blocks (IO, a migration): call it
    /// from a blocking thread.
    pub fn open(dir: &Path, key: &KeySource) -> Result<Self, StoreError> {
        Ok(Store::new(Arc::new(sled::SledBackend::open(dir, key)?)))
    }
}
