//! What a commit changed, as every backend publishes it, and the small result types of
//! the transaction's operations.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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
    /// Not a commit: this node missed about `missed` changes made through other nodes
    /// (they left the change log before it read them) and rebuilt its read model from the
    /// database; its number is where that snapshot stands. A subscriber refetches.
    Lagged { missed: u64 },
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
    /// Time the writer spent in its batches and flushes (commits included).
    #[serde(default)]
    pub busy_micros: u64,
    /// Round trips to the database server in committed batches (PostgreSQL; sled: 0).
    #[serde(default)]
    pub round_trips: u64,
}

/// The counters behind [`StoreStats`], as a backend keeps them.
#[derive(Debug, Default)]
pub(in crate::store) struct Stats {
    pub batches: AtomicU64,
    pub ops: AtomicU64,
    pub durable_ops: AtomicU64,
    pub flushes: AtomicU64,
    pub flush_micros: AtomicU64,
    pub busy_micros: AtomicU64,
    pub round_trips: AtomicU64,
    /// Flush time counted as the writer's already, not yet taken off its batch's time.
    flushed_ahead: AtomicU64,
}

impl Stats {
    pub fn snapshot(&self) -> StoreStats {
        StoreStats {
            batches: self.batches.load(Ordering::Relaxed),
            ops: self.ops.load(Ordering::Relaxed),
            durable_ops: self.durable_ops.load(Ordering::Relaxed),
            flushes: self.flushes.load(Ordering::Relaxed),
            flush_micros: self.flush_micros.load(Ordering::Relaxed),
            busy_micros: self.busy_micros.load(Ordering::Relaxed),
            round_trips: self.round_trips.load(Ordering::Relaxed),
        }
    }

    /// Count the time since `started` as the writer's (less the flushes in it, counted
    /// when they ended).
    pub fn busy_since(&self, started: std::time::Instant) {
        let us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let ahead = self.flushed_ahead.swap(0, Ordering::Relaxed);
        self.busy_micros
            .fetch_add(us.saturating_sub(ahead), Ordering::Relaxed);
    }

    /// A flush (or a commit that waits for the log) that took `took`: counted at once as
    /// the writer's time too, so the writer's time always holds its flushes', even read
    /// between a flush and the end of its batch.
    pub fn flushed(&self, took: std::time::Duration) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.flushes.fetch_add(1, Ordering::Relaxed);
        self.flush_micros.fetch_add(us, Ordering::Relaxed);
        self.busy_micros.fetch_add(us, Ordering::Relaxed);
        self.flushed_ahead.fetch_add(us, Ordering::Relaxed);
    }
}
