//! The provisioner: drives every consented tenant to its wanted Blaxel state (integration
//! connection holding its credentials, MCP server bound to it, DEPLOYED) and survives
//! restarts, since each job's step lives in the tenant's stored record.
//!
//! Invariants: at most one task works on a tenant at a time; at most `concurrency` calls
//! to Blaxel are in flight; every step is idempotent (409 → PUT, or GET and compare), so a
//! step re-run after a crash creates nothing twice; results from an older job generation
//! are dropped by the lifecycle.

mod backoff;
mod deploy;
mod step;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::SecretString;
use tokio::sync::Semaphore;

pub use backoff::{poll_delay, retry_delay};

use crate::blaxel::BlaxelClient;
use crate::domain::actor::{Actor, Worker};
use crate::domain::model::{Integration, ProvisionerState};
use crate::engine::Engine;
use crate::engine::ops::jobs::PublishProvisioner;
use crate::time::now_ms;

/// Who the provisioner's work is done for.
const ME: Actor = Actor::System(Worker::Provisioner);
/// How often the provisioner's counters are compared and, when changed, published.
const STATE_EVERY: Duration = Duration::from_millis(500);

#[derive(Debug, Clone)]
pub struct ProvisionSettings {
    /// Blaxel calls in flight at once, across all tenants.
    pub concurrency: usize,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    pub first_poll: Duration,
    pub max_poll: Duration,
    /// A deploy still unfinished after this long fails the job.
    pub deploy_timeout: Duration,
    /// Rescan for due jobs at least this often.
    pub scan_interval: Duration,
    /// The longest `Retry-After` honoured (a longer one waits this long).
    pub max_retry_after: Duration,
}

impl Default for ProvisionSettings {
    fn default() -> Self {
        Self {
            concurrency: 8,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            first_poll: Duration::from_secs(1),
            max_poll: Duration::from_secs(15),
            deploy_timeout: Duration::from_secs(20 * 60),
            scan_interval: Duration::from_secs(5),
            max_retry_after: crate::blaxel::MAX_RETRY_AFTER,
        }
    }
}

/// The Google OAuth client the tenants consented to: its id and secret go into every
/// connection next to the tenant's refresh token.
#[derive(Clone)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_secret: SecretString,
}

/// The OAuth client of each integration (`[integrations.NAME]`, else `[google]`'s): the
/// one whose consent issued a tenant's refresh token goes into its connection.
#[derive(Clone)]
pub struct OAuthClients {
    default: OAuthClient,
    own: std::collections::BTreeMap<Integration, OAuthClient>,
}

impl OAuthClients {
    /// `default` for every integration but those of `own`.
    pub fn new(
        default: OAuthClient,
        own: std::collections::BTreeMap<Integration, OAuthClient>,
    ) -> Self {
        OAuthClients { default, own }
    }

    pub fn of(&self, integration: Integration) -> &OAuthClient {
        self.own.get(&integration).unwrap_or(&self.default)
    }
}

impl From<OAuthClient> for OAuthClients {
    fn from(default: OAuthClient) -> Self {
        OAuthClients::new(default, Default::default())
    }
}

pub struct Provisioner {
    engine: Arc<Engine>,
    client: BlaxelClient,
    oauth: OAuthClients,
    settings: ProvisionSettings,
    inflight: Mutex<HashSet<String>>,
    permits: Semaphore,
    /// 0: no call yet, 1: Blaxel answered the last call, 2: it did not.
    reachable: AtomicU8,
    last_call_at: std::sync::atomic::AtomicI64,
    /// Tests: the tenant whose next step panics.
    panic_on: Mutex<Option<String>>,
}

impl Provisioner {
    pub fn new(
        engine: Arc<Engine>,
        client: BlaxelClient,
        oauth: impl Into<OAuthClients>,
        settings: ProvisionSettings,
    ) -> Arc<Self> {
        let oauth = oauth.into();
        let permits = Semaphore::new(settings.concurrency.max(1));
        Arc::new(Self {
            engine,
            client,
            oauth,
            settings,
            inflight: Mutex::new(HashSet::new()),
            permits,
            reachable: AtomicU8::new(0),
            last_call_at: std::sync::atomic::AtomicI64::new(0),
            panic_on: Mutex::new(None),
        })
    }

    /// Tests: make the next steps of `slug` panic (`None`: none), as a bug would.
    #[doc(hidden)]
    pub fn panic_on_step_for_tests(&self, slug: Option<&str>) {
        if let Ok(mut p) = self.panic_on.lock() {
            *p = slug.map(str::to_owned);
        }
    }

    fn panics_here(&self, slug: &str) -> bool {
        self.panic_on
            .lock()
            .is_ok_and(|p| p.as_deref() == Some(slug))
    }

    /// What `status`, `watch` and the console show about this provisioner now.
    pub fn state(&self) -> ProvisionerState {
        let jobs = self.engine.job_counts();
        let (waiting, retrying) = (jobs.active, jobs.retrying);
        let concurrency = self.settings.concurrency.max(1);
        let last = self.last_call_at.load(Ordering::Relaxed);
        ProvisionerState {
            running: true,
            disabled: None,
            following: false,
            workspace: Some(self.client.workspace().to_owned()),
            api_url: Some(self.client.api_url().to_string()),
            concurrency,
            in_flight: concurrency.saturating_sub(self.permits.available_permits()),
            waiting,
            retrying,
            blaxel_reachable: match self.reachable.load(Ordering::Relaxed) {
                1 => Some(true),
                2 => Some(false),
                _ => None,
            },
            last_call_at: (last > 0).then_some(last),
        }
    }

    /// Note whether Blaxel answered a call (any HTTP answer counts, even an error).
    pub(super) fn saw_blaxel(&self, answered: bool) {
        self.reachable
            .store(if answered { 1 } else { 2 }, Ordering::Relaxed);
        self.last_call_at.store(now_ms(), Ordering::Relaxed);
    }

    /// Run until the task is aborted.
    pub fn spawn(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move { self.run().await })
    }

    /// Run until dropped (an aborted task): the jobs' tasks end with it, each job's step
    /// as the store last recorded it is where a later run starts again.
    pub async fn run(self: Arc<Self>) {
        let publisher = self.clone();
        let _state = AbortOnDrop(tokio::spawn(async move {
            let mut tick = tokio::time::interval(STATE_EVERY);
            loop {
                tick.tick().await;
                let state = PublishProvisioner(publisher.state());
                publisher.engine.run(ME, state).await;
            }
        }));
        let mut jobs = tokio::task::JoinSet::new();
        loop {
            while jobs.try_join_next().is_some() {}
            let wait = self.dispatch_due(&mut jobs);
            tokio::select! {
                () = self.engine.provisioner_wakeup().notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    fn claim(&self, slug: &str) -> bool {
        self.inflight
            .lock()
            .map(|mut s| s.insert(slug.to_owned()))
            .unwrap_or(false)
    }

    fn release(&self, slug: &str) {
        if let Ok(mut s) = self.inflight.lock() {
            s.remove(slug);
        }
    }

    /// Start a task for every due job; returns how long until the next one is due.
    fn dispatch_due(self: &Arc<Self>, jobs: &mut tokio::task::JoinSet<()>) -> Duration {
        let now = now_ms();
        let scan = crate::time::duration_ms(self.settings.scan_interval);
        let (due, next) = self.engine.due_jobs(now);
        for slug in due {
            if !self.claim(&slug) {
                continue;
            }
            let this = self.clone();
            jobs.spawn(async move {
                let claimed = Claimed(&this, &slug);
                let recorded = match this.permits.acquire().await {
                    Ok(_permit) => {
                        let what = format!("provisioning {slug}");
                        match crate::task_guard::catch_panic(&what, this.run_step(&slug)).await {
                            Ok(recorded) => recorded,
                            Err(why) => this.stop_after_panic(&slug, &why).await,
                        }
                    }
                    Err(_) => false,
                };
                if !recorded {
                    // Keep the claim a while: an unexpected failure must not spin.
                    tokio::time::sleep(this.settings.scan_interval).await;
                }
                drop(claimed);
                this.engine.wake_provisioner();
            });
        }
        let wait = next.map_or(scan, |n| (n - now).clamp(10, scan));
        Duration::from_millis(u64::try_from(wait).unwrap_or(10))
    }
}

/// A job's claim, given back when its task ends or is aborted.
struct Claimed<'a>(&'a Provisioner, &'a str);

impl Drop for Claimed<'_> {
    fn drop(&mut self) {
        self.0.release(self.1);
    }
}

/// Aborts the task when dropped (the provisioner's own helper tasks end with it).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
