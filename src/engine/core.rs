//! The core every operation works with: the store (the one commit point), the config, the
//! Google and Blaxel clients, the metrics, and what this process keeps beside them (the
//! provisioner's wake-up, the imports being staged, the owner's set-up).

use std::future::Future;
use std::sync::Arc;

use tokio::sync::Notify;

use super::api::SetupLine;
use super::error::EngineError;
use super::staging::Staging;
use crate::blaxel::{BlaxelClient, McpCheckSettings, McpChecker};
use crate::config::Config;
use crate::domain::actor::Actor;
use crate::google::GoogleOAuth;
use crate::metrics::Metrics;
use crate::store::{Durability, Fence, Store, Tx};

/// Where the engine runs, as `status` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The owner serving the listener (`serve`, or a console that owns the runtime).
    Serving,
    /// A short-lived command that opened the database itself.
    Direct,
}

/// What the engine is given beside the store and the config.
pub struct Parts {
    pub placement: Placement,
    /// The Blaxel client, when provisioning runs in this process (reconcile uses it).
    pub blaxel: Option<BlaxelClient>,
    /// What the owner found of its set-up when it started (reported by `status`).
    pub setup: Vec<SetupLine>,
    /// Provisioning uses the built-in stand-ins (`--demo`): the online checks look there.
    pub demo: bool,
}

impl Parts {
    /// An engine with no Blaxel client and no set-up to report.
    pub fn bare(placement: Placement) -> Self {
        Self {
            placement,
            blaxel: None,
            setup: Vec::new(),
            demo: false,
        }
    }
}

pub struct Core {
    store: Store,
    config: Arc<Config>,
    /// The Google client, or why there is none (consent flows then fail with that reason).
    google: Result<GoogleOAuth, String>,
    /// The clients of integrations with one of their own (`[integrations.NAME]`).
    own_google: std::collections::BTreeMap<crate::domain::model::Integration, GoogleOAuth>,
    /// The same clients for leader-only work: fenced to this node's lease.
    led_google: Result<GoogleOAuth, String>,
    led_own_google: std::collections::BTreeMap<crate::domain::model::Integration, GoogleOAuth>,
    blaxel: Option<BlaxelClient>,
    /// The same client for leader-only work (reconcile rounds): fenced to the lease.
    led_blaxel: Option<BlaxelClient>,
    metrics: Metrics,
    wakeup: Notify,
    /// The MCP checks: an operator's, and the same (sharing its limit) fenced to the lease.
    mcp: Option<McpChecker>,
    led_mcp: Option<McpChecker>,
    /// Integrations (job keys) deployed since the MCP worker last looked, and its wake-up.
    mcp_due: std::sync::Mutex<std::collections::BTreeSet<String>>,
    mcp_wakeup: Notify,
    setup: Vec<SetupLine>,
    demo: bool,
    placement: Placement,
    imports: Staging,
    /// The check of Google's security events, when `google.risc` is on.
    risc: Option<crate::google::risc::RiscVerifier>,
}

impl Core {
    /// Missing Google credentials do not stop it (tenants and links can still be managed);
    /// consent flows then fail with a clear reason.
    pub fn new(store: Store, config: Arc<Config>, parts: Parts) -> Result<Self, EngineError> {
        let leadership = store.leadership();
        let open = Fence::open(leadership.node());
        let led = Fence::led(leadership);
        let bad = |e: crate::google::GoogleError| EngineError::BadRequest(e.to_string());
        let google = match config.google_credentials() {
            Ok(creds) => Ok(
                GoogleOAuth::new(&config.google, &creds, &config.redirect_uri()).map_err(bad)?,
            ),
            Err(e) => Err(e.to_string()),
        };
        let led_google = match &google {
            Ok(g) => Ok(g.clone().with_fence(led.clone()).map_err(bad)?),
            Err(e) => Err(e.clone()),
        };
        let google = match google {
            Ok(g) => Ok(g.with_fence(open.clone()).map_err(bad)?),
            Err(e) => Err(e),
        };
        let mut own_google = std::collections::BTreeMap::new();
        let mut led_own_google = std::collections::BTreeMap::new();
        for integration in crate::domain::model::Integration::all() {
            if let Some(creds) = config.integration_clients.get(integration) {
                let client =
                    GoogleOAuth::new(&config.google, creds, &config.redirect_uri()).map_err(bad)?;
                let fenced = client.clone().with_fence(led.clone()).map_err(bad)?;
                led_own_google.insert(integration, fenced);
                own_google.insert(integration, client.with_fence(open.clone()).map_err(bad)?);
            }
        }
        if !config.webhooks.is_empty() {
            store.enable_outbox();
        }
        let mcp = match &parts.blaxel {
            Some(c) => Some(
                c.mcp_checker(McpCheckSettings::default())
                    .map_err(|e| EngineError::BadRequest(format!("{e:#}")))?,
            ),
            None => None,
        };
        let risc = config.google.risc.then(|| {
            // Google's events name one of our OAuth clients as their audience.
            let mut audiences: Vec<String> = google
                .iter()
                .chain(own_google.values())
                .map(|g| g.client_id().to_owned())
                .collect();
            audiences.sort();
            audiences.dedup();
            crate::google::risc::RiscVerifier::new(
                config.google.risc_configuration_url.clone(),
                audiences,
                config.google.risc_keys_min_refresh,
            )
        });
        Ok(Self {
            led_mcp: mcp.clone().map(|c| c.with_fence(led.clone())),
            mcp: mcp.map(|c| c.with_fence(open.clone())),
            mcp_due: Default::default(),
            mcp_wakeup: Notify::new(),
            store,
            config,
            google,
            own_google,
            led_google,
            led_own_google,
            led_blaxel: parts.blaxel.clone().map(|c| c.with_fence(led)),
            blaxel: parts.blaxel.map(|c| c.with_fence(open)),
            metrics: Metrics::default(),
            wakeup: Notify::new(),
            setup: parts.setup,
            demo: parts.demo,
            placement: parts.placement,
            imports: Staging::default(),
            risc,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    pub fn placement(&self) -> Placement {
        self.placement
    }

    /// The Google client; `Err` says why there is none.
    pub fn google(&self) -> Result<&GoogleOAuth, &str> {
        self.google.as_ref().map_err(String::as_str)
    }

    /// The Google client that asks for (and refreshes) `integration`'s consents.
    pub fn google_for(
        &self,
        integration: crate::domain::model::Integration,
    ) -> Result<&GoogleOAuth, &str> {
        match self.own_google.get(&integration) {
            Some(own) => Ok(own),
            None => self.google(),
        }
    }

    /// The Google client `actor` calls `integration`'s endpoints with: fenced to this
    /// node's lease for leader-only work (see [`Actor::leader_only`]).
    pub fn google_as(
        &self,
        actor: &Actor,
        integration: crate::domain::model::Integration,
    ) -> Result<&GoogleOAuth, &str> {
        if !actor.leader_only() {
            return self.google_for(integration);
        }
        match self.led_own_google.get(&integration) {
            Some(own) => Ok(own),
            None => self.led_google.as_ref().map_err(String::as_str),
        }
    }

    /// Whose OAuth client `integration`'s consents are made with: its own (`Some`), or the
    /// `[google]` one (`None`). Integrations with the same answer share an account's grant.
    pub fn client_key(
        &self,
        integration: crate::domain::model::Integration,
    ) -> Option<crate::domain::model::Integration> {
        self.own_google
            .contains_key(&integration)
            .then_some(integration)
    }

    /// Why consent cannot work now (no Google client), if it cannot.
    pub fn consent_disabled(&self) -> Option<&str> {
        self.google().err()
    }

    /// The Blaxel client, when provisioning runs here.
    /// The check of Google's security events (`None`: `google.risc` is off).
    pub fn risc(&self) -> Option<&crate::google::risc::RiscVerifier> {
        self.risc.as_ref()
    }

    pub fn blaxel(&self) -> Option<&BlaxelClient> {
        self.blaxel.as_ref()
    }

    /// The Blaxel client `actor` calls with: fenced to this node's lease for leader-only
    /// work (see [`Actor::leader_only`]).
    pub fn blaxel_as(&self, actor: &Actor) -> Option<&BlaxelClient> {
        if actor.leader_only() {
            self.led_blaxel.as_ref()
        } else {
            self.blaxel()
        }
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The MCP checker `actor` checks with (fenced for leader-only work); `None` when no
    /// Blaxel credentials are here.
    pub fn mcp_as(&self, actor: &Actor) -> Option<&McpChecker> {
        if actor.leader_only() {
            self.led_mcp.as_ref()
        } else {
            self.mcp.as_ref()
        }
    }

    /// An integration (its job key) was just deployed: the MCP worker checks it soon.
    pub fn mcp_after_deploy(&self, key: String) {
        if let Ok(mut due) = self.mcp_due.lock() {
            due.insert(key);
        }
        self.mcp_wakeup.notify_one();
    }

    /// The integrations deployed since the last call (job keys).
    pub fn take_mcp_due(&self) -> Vec<String> {
        self.mcp_due
            .lock()
            .map(|mut d| std::mem::take(&mut *d).into_iter().collect())
            .unwrap_or_default()
    }

    pub fn mcp_wakeup(&self) -> &Notify {
        &self.mcp_wakeup
    }

    /// Whether provisioning uses the built-in stand-ins (`--demo`).
    pub fn demo(&self) -> bool {
        self.demo
    }

    pub fn setup(&self) -> &[SetupLine] {
        &self.setup
    }

    pub fn imports(&self) -> &Staging {
        &self.imports
    }

    /// The one commit point: run `f` in a transaction for `actor` (see
    /// [`Store::commit`]); what it writes is published once committed (for `Durable`,
    /// once flushed too).
    ///
    /// The operation is queued when this is called; dropping the future leaves it to run
    /// (for writes nobody waits for).
    pub fn commit<R, F>(
        &self,
        actor: &Actor,
        durability: Durability,
        f: F,
    ) -> impl Future<Output = Result<R, EngineError>> + Send + 'static + use<R, F>
    where
        R: Send + 'static,
        F: Fn(&mut dyn Tx) -> Result<R, EngineError> + Send + 'static,
    {
        self.store.commit(actor, durability, f)
    }

    /// Queue an operation nobody waits for. It is queued now if the queue has room, and
    /// otherwise as soon as it has: it is never dropped. Failures are logged.
    pub fn commit_detached<F>(&self, actor: &Actor, what: &'static str, f: F)
    where
        F: Fn(&mut dyn Tx) -> Result<(), EngineError> + Send + 'static,
    {
        let fut = self.commit(actor, Durability::Lazy, f);
        tokio::spawn(async move {
            if let Err(e) = fut.await {
                tracing::warn!(error = %e, what, "a queued write failed");
            }
        });
    }

    /// Tell the provisioner that a job may be due now.
    pub fn wake_provisioner(&self) {
        self.wakeup.notify_one();
    }

    pub fn provisioner_wakeup(&self) -> &Notify {
        &self.wakeup
    }
}
