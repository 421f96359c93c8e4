//! The provisioner: drives every consented tenant to its wanted Blaxel state (integration
//! connection holding its credentials, MCP server bound to it, DEPLOYED) and survives
//! restarts, since each job's step lives in the tenant's stored record.
//!
//! Invariants: at most one task works on a tenant at a time; at most `concurrency` calls
//! to Blaxel are in flight; every step is idempotent (409 → PUT, or GET and compare), so a
//! step re-run after a crash creates nothing twice; results from an older job generation
//! are dropped by the lifecycle.

mod backoff;
mod step;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::SecretString;
use tokio::sync::Semaphore;

pub use backoff::{poll_delay, retry_delay};

use crate::blaxel::BlaxelClient;
use crate::engine::Engine;
use crate::time::now_ms;

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

pub struct Provisioner {
    engine: Arc<Engine>,
    client: BlaxelClient,
    oauth: OAuthClient,
    settings: ProvisionSettings,
    inflight: Mutex<HashSet<String>>,
    permits: Semaphore,
}

impl Provisioner {
    pub fn new(
        engine: Arc<Engine>,
        client: BlaxelClient,
        oauth: OAuthClient,
        settings: ProvisionSettings,
    ) -> Arc<Self> {
        let permits = Semaphore::new(settings.concurrency.max(1));
        Arc::new(Self {
            engine,
            client,
            oauth,
            settings,
            inflight: Mutex::new(HashSet::new()),
            permits,
        })
    }

    /// Run until the task is aborted.
    pub fn spawn(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move { self.run().await })
    }

    async fn run(self: Arc<Self>) {
        loop {
            let wait = self.dispatch_due();
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
    fn dispatch_due(self: &Arc<Self>) -> Duration {
        let now = now_ms();
        let scan = crate::time::duration_ms(self.settings.scan_interval);
        let (due, next) = match self.engine.store().due_jobs(now) {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(error = %e, "provisioner cannot read its jobs");
                return self.settings.scan_interval;
            }
        };
        for slug in due {
            if !self.claim(&slug) {
                continue;
            }
            let this = self.clone();
            tokio::spawn(async move {
                let recorded = match this.permits.acquire().await {
                    Ok(_permit) => this.run_step(&slug).await,
                    Err(_) => false,
                };
                if !recorded {
                    // Keep the claim a while: an unexpected failure must not spin.
                    tokio::time::sleep(this.settings.scan_interval).await;
                }
                this.release(&slug);
                this.engine.wake_provisioner();
            });
        }
        let wait = next.map_or(scan, |n| (n - now).clamp(10, scan));
        Duration::from_millis(u64::try_from(wait).unwrap_or(10))
    }
}
