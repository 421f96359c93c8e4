//! What a backend provides ([`Backend`], object-safe, so the engine holds any of them as
//! `Arc<dyn Backend>`), and [`Store`], the typed handle the engine uses: it carries an
//! operation's own result type through the backend.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::SecretString;
use tokio::sync::broadcast;

use super::backup::BackupSummary;
use super::change::{Committed, Durability, StoreStats};
use super::cluster::Cluster;
use super::crypto::Cipher;
use super::error::StoreError;
use super::leader::Leadership;
use super::node::NodeLocal;
use super::read::Reader;
use super::tx::Tx;
use crate::domain::actor::Actor;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An operation returned an error: nothing it wrote is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discard;

/// An operation as a backend runs it: it may be run more than once (see [`super::tx`]).
pub type TxOp = Box<dyn Fn(&mut dyn Tx) -> Result<(), Discard> + Send>;

pub trait Backend: Send + Sync {
    /// Queue `op` to run in a transaction of its own (or of a batch: it is all or nothing
    /// either way), done for `actor`. It is queued when this is called, and runs even if
    /// the future is dropped; operations queued one after another commit in that order.
    /// The future resolves once committed, and for [`Durability::Durable`] once that commit
    /// is on disk. `Err`: nothing of it is kept (for a failed flush: it may be on disk, but
    /// nothing of it was published).
    fn submit(
        &self,
        actor: &Actor,
        durability: Durability,
        op: TxOp,
    ) -> BoxFuture<'static, Result<(), StoreError>>;
    /// Reads outside a transaction (blocking: see [`Store::read`]).
    fn reader(&self) -> Arc<dyn Reader>;
    /// What this process keeps in memory (see [`super::node`]).
    fn node(&self) -> &dyn NodeLocal;
    /// Every committed change from now on, in sequence order, numbered in commit order: a
    /// number is never handed out twice, and never goes backwards.
    fn subscribe(&self) -> broadcast::Receiver<Arc<Committed>>;
    /// Subscribers attached now.
    fn subscribers(&self) -> usize;
    /// The highest sequence number that may have been published so far.
    fn last_seq(&self) -> u64;
    /// Resolves once every operation queued before has been committed (read your writes).
    fn applied(&self) -> BoxFuture<'static, Result<(), StoreError>>;
    /// Resolves once everything submitted before is on disk.
    fn sync(&self) -> BoxFuture<'static, Result<(), StoreError>>;
    /// Finish what is queued, make it durable and stop (waits at most `grace`).
    fn stop(&self, grace: Duration) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Why the store stopped taking writes (a disk error), if it has: the owner stops.
    fn failure(&self) -> Option<String>;
    /// Write a consistent snapshot of everything committed to `path` (a new file), in the
    /// backup format every backend reads (see [`super::backup`]).
    fn backup(&self, path: PathBuf) -> BoxFuture<'static, Result<BackupSummary, StoreError>>;
    fn stats(&self) -> StoreStats;
    /// Events waiting in the webhook outbox.
    fn outbox_len(&self) -> usize;
    /// From now on, tenant events go to the webhook outbox.
    fn enable_outbox(&self);
    /// The master key's cipher (secrets are sealed by us, whatever holds them).
    fn cipher(&self) -> &Cipher;
    /// Where the data lives (the data dir).
    fn dir(&self) -> &Path;
    /// The schema version the data had when it was opened (before any migration).
    fn schema_found(&self) -> u32;
    /// Tests: the store stops answering for `d`, as a stuck disk would.
    fn stall_for_tests(&self, d: Duration);
    /// Whether this node leads the background work (see [`super::leader`]).
    fn leadership(&self) -> Leadership;
    /// Tests: the lease keeper does nothing for `d`, as a process stopped with SIGSTOP.
    fn pause_lease_for_tests(&self, d: Duration);
    /// The nodes sharing the data, which one leads, and where the data is.
    fn cluster(&self) -> BoxFuture<'static, Result<Cluster, StoreError>>;
    /// Where this node's listener answers, for the other nodes' `status`.
    fn listener(&self, at: &str);
    /// Tests: this node reads nothing of the others' commits for `d` (PostgreSQL).
    fn pause_feed_for_tests(&self, _d: Duration) {}
    /// Tests: each commit from now on waits `d` once its transaction holds its change
    /// numbers, before it commits (zero: none waits; PostgreSQL).
    fn delay_commit_for_tests(&self, _d: Duration) {}
}

/// The store the engine holds: a backend, with typed operations over it. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.dir()).finish()
    }
}

impl Store {
    pub fn new(backend: Arc<dyn Backend>) -> Self {
        Self { backend }
    }

    /// Run `f` in a transaction for `actor` (see [`Backend::submit`]): it reads and writes
    /// through the [`Tx`]; when it returns `Err`, nothing it wrote is kept and its error
    /// is the answer. `f` may run more than once: it is `Fn` and changes nothing outside
    /// the transaction.
    pub fn commit<R, E, F>(
        &self,
        actor: &Actor,
        durability: Durability,
        f: F,
    ) -> impl Future<Output = Result<R, E>> + Send + 'static + use<R, E, F>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(&mut dyn Tx) -> Result<R, E> + Send + 'static,
    {
        // The result of the run that counts (the last one) waits here for the commit.
        let slot: Arc<Mutex<Option<Result<R, E>>>> = Arc::new(Mutex::new(None));
        let out = slot.clone();
        let op: TxOp = Box::new(move |tx| {
            let r = f(tx);
            let failed = r.is_err();
            *out.lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
            if failed { Err(Discard) } else { Ok(()) }
        });
        let done = self.backend.submit(actor, durability, op);
        async move {
            let committed = done.await;
            let ran = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
            match (ran, committed) {
                (Some(Err(e)), _) => Err(e),
                (Some(Ok(r)), Ok(())) => Ok(r),
                (_, Err(e)) => Err(E::from(e)),
                (None, Ok(())) => Err(E::from(StoreError::Closed(
                    "the store answered an operation it did not run".into(),
                ))),
            }
        }
    }

    /// Run blocking reads on a blocking thread, never on an async worker.
    pub async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&dyn Reader) -> Result<R, StoreError> + Send + 'static,
    {
        let reader = self.backend.reader();
        tokio::task::spawn_blocking(move || f(&*reader))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// The reads, to call from a thread that may block (tests, tools).
    pub fn reader(&self) -> Arc<dyn Reader> {
        self.backend.reader()
    }

    /// What this process keeps in memory. Never blocks on the database.
    pub fn node(&self) -> &dyn NodeLocal {
        self.backend.node()
    }

    /// Resolves once every operation queued before has been committed (read your writes).
    pub async fn applied(&self) -> Result<(), StoreError> {
        self.backend.applied().await
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Committed>> {
        self.backend.subscribe()
    }

    pub fn subscribers(&self) -> usize {
        self.backend.subscribers()
    }

    pub fn last_seq(&self) -> u64 {
        self.backend.last_seq()
    }

    pub async fn sync(&self) -> Result<(), StoreError> {
        self.backend.sync().await
    }

    pub async fn stop(&self, grace: Duration) -> Result<(), StoreError> {
        self.backend.stop(grace).await
    }

    pub fn failure(&self) -> Option<String> {
        self.backend.failure()
    }

    pub async fn backup(&self, path: PathBuf) -> Result<BackupSummary, StoreError> {
        self.backend.backup(path).await
    }

    pub fn stats(&self) -> StoreStats {
        self.backend.stats()
    }

    pub fn outbox_len(&self) -> usize {
        self.backend.outbox_len()
    }

    pub fn enable_outbox(&self) {
        self.backend.enable_outbox();
    }

    pub fn dir(&self) -> &Path {
        self.backend.dir()
    }

    pub fn schema_found(&self) -> u32 {
        self.backend.schema_found()
    }

    /// Tests: the store stops answering for `d`, as a stuck disk would.
    #[doc(hidden)]
    pub fn stall_for_tests(&self, d: Duration) {
        self.backend.stall_for_tests(d);
    }

    /// Whether this node leads the background work (see [`super::leader`]).
    pub fn leadership(&self) -> Leadership {
        self.backend.leadership()
    }

    /// Tests: the lease keeper does nothing for `d`, as a process stopped with SIGSTOP.
    #[doc(hidden)]
    pub fn pause_lease_for_tests(&self, d: Duration) {
        self.backend.pause_lease_for_tests(d);
    }

    /// The nodes sharing the data, which one leads, and where the data is (`status`).
    pub async fn cluster(&self) -> Result<Cluster, StoreError> {
        self.backend.cluster().await
    }

    /// Where this node's listener answers, for the other nodes' `status`.
    pub fn listener(&self, at: &str) {
        self.backend.listener(at);
    }

    /// Tests: this node reads nothing of the others' commits for `d` (PostgreSQL).
    #[doc(hidden)]
    pub fn pause_feed_for_tests(&self, d: Duration) {
        self.backend.pause_feed_for_tests(d);
    }

    /// Tests: each commit from now on waits `d` once its transaction holds its change
    /// numbers, before it commits (zero: none waits; PostgreSQL).
    #[doc(hidden)]
    pub fn delay_commit_for_tests(&self, d: Duration) {
        self.backend.delay_commit_for_tests(d);
    }

    /// The key of the Continue form's token, derived from the master key.
    pub fn form_key(&self) -> &[u8; 32] {
        self.backend.cipher().form_key()
    }

    /// Seal a PKCE verifier for the flow stored under `state_hash` (pure CPU: any thread).
    pub fn seal_flow_verifier(&self, state_hash: &[u8], verifier: &SecretString) -> String {
        self.backend
            .cipher()
            .seal_flow_verifier(state_hash, verifier)
    }

    /// How a webhook receiver without an `id` is recorded (a keyed hash of its URL).
    pub fn webhook_receiver(&self, url: &str) -> String {
        self.backend.cipher().webhook_receiver(url)
    }
}
