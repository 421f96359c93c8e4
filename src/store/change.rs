//! What a commit changed, as every backend publishes it, and the small result types of
//! the transaction's operations.

use std::sync::Arc;

use secrecy::SecretString;

use crate::domain::model::{
    ConsentLink, PendingFlow, ProvisionerState, Tenant, TimelineEntry, UsedFlow,
};

/// Whether the caller waits for the write to be durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Acknowledged only once on disk (flushed, or committed by a database that syncs its
    /// log on commit); a backend may cover many such writes with one flush.
    Durable,
    /// Acknowledged once committed; made durable shortly after (the sled backend: within
    /// its lazy flush interval). A crash may lose it, never half of it.
    Lazy,
}

/// What a committed operation changed, as published to subscribers.
#[derive(Debug, Clone)]
pub enum Change {
    /// A tenant record was written; `entry` is the timeline line it came with, if any.
    Tenant {
        tenant: Arc<Tenant>,
        entry: Option<TimelineEntry>,
    },
    /// A tenant record was deleted (a tenant that never consented, removed).
    TenantRemoved { slug: String },
    /// A consent link was written (issued, opened, used, withdrawn, superseded).
    Link { link: ConsentLink },
    /// The provisioner's state changed (nothing stored).
    Provisioner(ProvisionerState),
}

/// A change with its number in the one sequence.
#[derive(Debug, Clone)]
pub struct Committed {
    pub seq: u64,
    pub change: Change,
}

/// What counting a request on a link found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counted {
    /// The first of its kind on this link: written now, and here is the link.
    First(Box<ConsentLink>),
    /// Counted (written with the next lazy flush).
    Again,
    /// The link cannot start a flow (any more), or does not exist: nothing counted.
    NotLive,
}

/// What taking a flow found.
pub enum TakenFlow {
    /// The flow, now removed (a tombstone stays), and its PKCE verifier.
    Taken(PendingFlow, SecretString),
    /// Already used, by a callback for this tenant.
    Used(UsedFlow),
    Unknown,
}

/// Counters a benchmark or `status` can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct StoreStats {
    pub batches: u64,
    pub ops: u64,
    pub durable_ops: u64,
    pub flushes: u64,
    pub flush_micros: u64,
}
