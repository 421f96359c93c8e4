//! The engine: one entry point for every face, [`Engine::run`], which runs an
//! [`Operation`] for an [`Actor`] against the [`Core`] (the store and its one commit point,
//! the config, the Google and Blaxel clients, the metrics). Operators send a [`Command`]
//! (the CLI, the console, the control socket: one operation, audited once); the listener
//! runs the consent flow's steps ([`consent`]) for the customer; the owner's workers run
//! theirs (`ops::jobs`, `ops::offboard`, `ops::health`, `ops::reconcile`,
//! `ops::webhooks`, `ops::admin::Sweep`) as `Actor::System`.
//!
//! - `api`: the wire types (`Command`, `Reply`, views), a leaf;
//! - `core`: what every operation works with; `ops`: the operations, a file per group;
//! - `consent`: the listener's flow (open, continue, callback) and its driver;
//! - `events`: every change, numbered, to every face; `client`: the API a face holds,
//!   wherever the engine runs; `error`: errors as faces see them; `token`: random codes.
//!
//! The records and the pure transitions live in [`crate::domain`]; `model` and `lifecycle`
//! are re-exported here for the faces. Reads of this process's in-memory state that never
//! wait (lists, counts, due jobs, what the workers publish) are plain methods here;
//! everything that changes state or waits on the database goes through [`Engine::run`].

pub mod api;
pub mod client;
pub mod consent;
mod core;
pub mod error;
pub mod events;
mod operation;
pub mod ops;
mod staging;
pub mod token;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub use self::core::{Core, Parts, Placement};
pub use crate::domain::actor::{Actor, Worker};
pub use crate::domain::{lifecycle, model};
pub use api::{Command, Reply};
pub use client::{Attachment, EngineApi, Events, Local, this_process};
pub use error::{ApiError, EngineError, ErrorCode};
pub use events::{Event, EventBody, Item, Subscription};
pub use operation::Operation;
pub use ops::links::{MAX_LINK_TTL, MIN_LINK_TTL};

use crate::config::Config;
use crate::domain::health::HealthAlarm;
use crate::domain::model::ProvisionerState;
use crate::metrics::{Gauges, Metrics};
use crate::store::{Durability, JobCounts, KeySource, Store, Tx};
use crate::time::Millis;

pub struct Engine {
    core: Core,
}

impl Engine {
    /// Open the database in `dir` (on a blocking thread) and build the engine on it.
    pub async fn open(
        dir: &Path,
        key: &KeySource,
        config: Arc<Config>,
        placement: Placement,
    ) -> Result<Arc<Self>, EngineError> {
        Self::open_with(dir, key, config, Parts::bare(placement)).await
    }

    /// The same, with the Blaxel client and the set-up the owner found (the owner builds
    /// them first).
    pub async fn open_with(
        dir: &Path,
        key: &KeySource,
        config: Arc<Config>,
        parts: Parts,
    ) -> Result<Arc<Self>, EngineError> {
        let (dir, key, backend) = (dir.to_owned(), key.clone(), config.store.clone());
        let store = tokio::task::spawn_blocking(move || Store::open_with(&dir, &key, &backend))
            .await
            .map_err(|e| EngineError::Unavailable(format!("opening the database: {e}")))??;
        let engine = Arc::new(Self {
            core: Core::new(store, config, parts)?,
        });
        // An import a crash left decided is written before anything else.
        engine
            .run(Actor::System(Worker::Owner), ops::import::FinishImports)
            .await;
        Ok(engine)
    }

    /// The one way in: run `op` for `actor`.
    pub async fn run<O: Operation>(&self, actor: Actor, op: O) -> O::Output {
        op.run(&self.core, &actor).await
    }

    /// Events from now on (or, with `since`, stored entries after it first).
    pub fn subscribe(&self, since: Option<u64>) -> Subscription {
        Subscription::new(self.core.store(), since)
    }

    // ---- reads of this process's in-memory state (they never wait) ----

    pub fn config(&self) -> &Arc<Config> {
        self.core.config()
    }

    pub fn placement(&self) -> Placement {
        self.core.placement()
    }

    /// Why consent cannot work now (no Google client), if it cannot.
    pub fn consent_disabled(&self) -> Option<&str> {
        self.core.consent_disabled()
    }

    /// `enabled`, or `disabled: <why>` (as `status` says it).
    pub fn describe_consent(&self) -> String {
        ops::admin::describe_consent(&self.core)
    }

    /// How token checks run, or the alarm that paused them (as `status` says it).
    pub fn describe_health(&self) -> String {
        ops::admin::describe_health(&self.core)
    }

    /// Tenants from the read model: filter, sort, page (see `ops::tenants::list`).
    pub fn list(&self, q: &api::ListQuery) -> Reply {
        ops::tenants::list(&self.core, q)
    }

    /// Provisioning jobs due at `now` (by `job_key`: a tenant's first integration's is its
    /// slug), and when the next one after is.
    pub fn due_jobs(&self, now: Millis) -> (Vec<String>, Option<Millis>) {
        self.core.store().node().due_jobs(now)
    }

    pub fn job_counts(&self) -> JobCounts {
        self.core.store().node().jobs()
    }

    /// The tenants a round of token checks checks: those holding a consent.
    pub fn checkable(&self) -> Vec<String> {
        ops::health::checkable(&self.core)
    }

    /// The deployed integrations' MCP servers (`slug`'s alone, when given).
    pub fn mcp_targets(&self, slug: Option<&str>) -> Vec<ops::mcp_checks::McpTarget> {
        ops::mcp_checks::targets(&self.core, slug)
    }

    /// The integrations deployed since the last call, still deployed.
    pub fn mcp_due_after_deploy(&self) -> Vec<ops::mcp_checks::McpTarget> {
        ops::mcp_checks::due_after_deploy(&self.core)
    }

    /// Notified when an integration was just deployed.
    pub fn mcp_wakeup(&self) -> &tokio::sync::Notify {
        self.core.mcp_wakeup()
    }

    /// Whether MCP servers can be checked here (Blaxel credentials are).
    pub fn checks_mcp(&self) -> bool {
        self.core.blaxel().is_some()
    }

    /// The alarms about our OAuth clients as one, if one is raised.
    pub fn health_alarm(&self) -> Option<HealthAlarm> {
        self.core.store().node().published().health_alarm()
    }

    /// Whether this node leads the background work (the store's lease).
    pub fn leadership(&self) -> crate::store::Leadership {
        self.core.store().leadership()
    }

    /// Where this node's listener answers, for the other nodes' `status`.
    pub fn listening_on(&self, at: &str) {
        self.core.store().listener(at);
    }

    pub fn provisioner_state(&self) -> ProvisionerState {
        self.core.store().node().published().provisioner()
    }

    /// The highest sequence number published so far.
    pub fn last_seq(&self) -> u64 {
        self.core.store().last_seq()
    }

    /// What `/metrics` counts, kept by the operations.
    pub fn metrics(&self) -> &Metrics {
        self.core.metrics()
    }

    /// What `/metrics` reads at scrape time.
    pub fn gauges(&self) -> Gauges {
        let store = self.core.store();
        let node = store.node();
        Gauges {
            by_status: node.counts().1,
            by_integration: node.counts_by_integration(),
            queue: node.jobs().active,
            outbox: store.outbox_len(),
            flushes: store.stats().flushes,
            mcp_unreachable: ops::mcp_checks::unreachable_counts(&self.core),
        }
    }

    // ---- signals and the store's lifecycle ----

    /// Tell the provisioner that a job may be due now.
    pub fn wake_provisioner(&self) {
        self.core.wake_provisioner();
    }

    pub fn provisioner_wakeup(&self) -> &tokio::sync::Notify {
        self.core.provisioner_wakeup()
    }

    /// Everything acknowledged so far is on disk when this returns.
    pub async fn sync(&self) -> Result<(), EngineError> {
        Ok(self.core.store().sync().await?)
    }

    /// Finish queued writes, make them durable and stop (waits at most `grace`).
    pub async fn shutdown(&self, grace: Duration) -> Result<(), EngineError> {
        Ok(self.core.store().stop(grace).await?)
    }

    /// Why the store stopped taking writes (a disk error), if it has.
    pub fn store_failure(&self) -> Option<String> {
        self.core.store().failure()
    }

    // ---- tests and tools ----

    /// The store, to look at from tests and tools.
    #[doc(hidden)]
    pub fn store(&self) -> &Store {
        self.core.store()
    }

    /// Tests: pretend the disk is stuck for `d`.
    #[doc(hidden)]
    pub fn stall_writer_for_tests(&self, d: Duration) {
        self.core.store().stall_for_tests(d);
    }

    /// Tests and tools: run an arbitrary operation through the commit point.
    #[doc(hidden)]
    pub async fn commit_for_tests<R, F>(&self, f: F) -> Result<R, EngineError>
    where
        R: Send + 'static,
        F: Fn(&mut dyn Tx) -> Result<R, EngineError> + Send + 'static,
    {
        self.core
            .commit(&Actor::System(Worker::Owner), Durability::Durable, f)
            .await
    }
}
