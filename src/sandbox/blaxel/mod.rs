//! A local, in-memory stand-in for the Blaxel control plane (connections and functions),
//! for `--demo` and tests.
//!
//! Invariants: it checks what the real API checks (bearer key, workspace, API version,
//! names, required fields, bound connections exist, 409 on duplicates and on deleting a
//! connection in use, 404 on unknown names), masks secrets in every answer, and moves a new
//! or updated function from `DEPLOYING` to `DEPLOYED` after `deploy_delay`, computed from
//! timestamps. Injected faults are driven by deterministic request counters, never by
//! chance, so tests are reproducible.

mod handlers;
mod listing;
mod resources;
mod state;
mod validate;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Duration;

use secrecy::SecretString;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use url::Url;

pub use state::{BlaxelSandboxState, LoggedRequest, SandboxConnection, SandboxFunction};

/// Mask the sandbox shows instead of each secret value, as the real API masks them.
pub const SECRET_MASK: &str = "********";
/// API versions the sandbox accepts in `Blaxel-Version` (none means the oldest).
pub const SUPPORTED_API_VERSIONS: [&str; 2] = ["2026-04-16", "2026-04-28"];

/// Settings of a sandbox.
#[derive(Debug, Clone)]
pub struct BlaxelSandboxConfig {
    /// The only workspace that exists.
    pub workspace: String,
    /// The only API key accepted.
    pub api_key: SecretString,
    /// Time from a function's create or update until it is `DEPLOYED` (or `FAILED`).
    pub deploy_delay: Duration,
    /// Time a deleted function stays `DELETING` (and keeps its connection in use).
    pub delete_delay: Duration,
    /// Base of the functions' `metadata.url` (`{run_url}/{workspace}/functions/{name}`);
    /// `spawn` uses `http://{its address}/run` when `None`.
    pub run_url: Option<Url>,
    /// Faults in force from the start.
    pub faults: BlaxelFaults,
}

impl Default for BlaxelSandboxConfig {
    fn default() -> Self {
        BlaxelSandboxConfig {
            workspace: "demo".to_owned(),
            api_key: SecretString::from("bl_sandbox_demo_key"),
            deploy_delay: Duration::from_secs(3),
            delete_delay: Duration::ZERO,
            run_url: None,
            faults: BlaxelFaults::default(),
        }
    }
}

/// Latency and injected faults. "Every n-th" counts requests since the faults were last
/// set (1-based), so `Some(1)` hits every request and `Some(3)` the 3rd, 6th, ...
/// When several match one request, the order is: hang, 429, 500, echo, apply-then-500.
#[derive(Debug, Clone, Default)]
pub struct BlaxelFaults {
    /// Delay added to every request.
    pub latency: Duration,
    /// Every n-th request waits `hang_for` and then answers 504 without applying anything.
    pub hang_every: Option<u64>,
    pub hang_for: Duration,
    /// Every n-th request answers 429 with `Retry-After` (whole seconds, rounded up) and
    /// `Retry-After-Ms` set from `retry_after`.
    pub rate_limit_every: Option<u64>,
    pub retry_after: Duration,
    /// Sent as the 429's `Retry-After-Ms` verbatim instead of `retry_after` (e.g. `1e300`).
    pub retry_after_ms_raw: Option<String>,
    /// Every n-th request answers 500 without applying anything.
    pub error_every: Option<u64>,
    /// Every n-th *write* answers 400 with the request's body and its `Authorization`
    /// header echoed in the message, as a careless proxy or front end does.
    pub echo_every: Option<u64>,
    /// Every n-th *write* (POST, PUT, DELETE) is applied and then answered with 500, so
    /// a retried create meets a 409.
    pub apply_then_error_every: Option<u64>,
    /// Functions with these names end `FAILED` instead of `DEPLOYED`.
    pub fail_deploy: BTreeSet<String>,
    /// Creates and updates of these names are refused with 400 and the given message.
    pub reject_names: BTreeMap<String, String>,
}

/// A running sandbox on 127.0.0.1. Dropping it stops the server too.
pub struct BlaxelSandboxHandle {
    addr: SocketAddr,
    base_url: Url,
    state: BlaxelSandboxState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// The sandbox as an axum router (routes under `/v0`), to mount elsewhere.
pub fn router(state: BlaxelSandboxState) -> axum::Router {
    axum::Router::new()
        .route("/v0/{*rest}", axum::routing::any(handlers::dispatch))
        .fallback(handlers::dispatch)
        .with_state(state)
}

/// Starts a sandbox on `127.0.0.1:0`.
pub async fn spawn(mut config: BlaxelSandboxConfig) -> std::io::Result<BlaxelSandboxHandle> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let base_url = Url::parse(&format!("http://{addr}/v0")).map_err(std::io::Error::other)?;
    if config.run_url.is_none() {
        config.run_url = Url::parse(&format!("http://{addr}/run")).ok();
    }
    let state = BlaxelSandboxState::new(config);
    let app = router(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(BlaxelSandboxHandle {
        addr,
        base_url,
        state,
        stop: Some(stop),
        task: Some(task),
    })
}

impl BlaxelSandboxHandle {
    /// API base URL, e.g. `http://127.0.0.1:PORT/v0`.
    pub fn base_url(&self) -> Url {
        self.base_url.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> &BlaxelSandboxState {
        &self.state
    }

    /// Replaces the faults and restarts the request counters.
    pub fn set_faults(&self, faults: BlaxelFaults) {
        self.state.set_faults(faults);
    }

    /// Changes the deploy delay for functions created or updated from now on.
    pub fn set_deploy_delay(&self, delay: Duration) {
        self.state.set_deploy_delay(delay);
    }

    /// Stored connections, with their secrets in plain text.
    pub fn connections(&self) -> Vec<SandboxConnection> {
        self.state.connections()
    }

    pub fn functions(&self) -> Vec<SandboxFunction> {
        self.state.functions()
    }

    /// Every request received, in order.
    pub fn max_in_flight(&self) -> u64 {
        self.state.max_in_flight()
    }

    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.state.request_log()
    }

    /// Stops accepting connections, lets requests in flight finish, and waits.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for BlaxelSandboxHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
