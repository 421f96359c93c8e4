//! The Blaxel sandbox as a server: its axum router, and a running instance on loopback
//! that tests and `--demo` hold by a handle (dropping the handle stops the server).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use url::Url;

use super::routes::dispatch;
use super::settings::{BlaxelFaults, BlaxelSandboxConfig, McpFaults};
use super::state::{
    BlaxelSandboxState, LoggedRequest, McpLoggedRequest, SandboxConnection, SandboxFunction,
};

/// A running sandbox on 127.0.0.1. Dropping it stops the server too.
pub struct BlaxelSandboxHandle {
    addr: SocketAddr,
    base_url: Url,
    state: BlaxelSandboxState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// The sandbox as an axum router (the API under `/v0`, the functions' MCP endpoints
/// under `/run`), to mount elsewhere.
pub fn router(state: BlaxelSandboxState) -> axum::Router {
    axum::Router::new()
        .route("/v0/{*rest}", axum::routing::any(dispatch))
        .route(
            "/run/{workspace}/functions/{name}/mcp",
            axum::routing::any(super::mcp::endpoint),
        )
        .fallback(dispatch)
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

    /// The most requests the sandbox was ever answering at the same time.
    pub fn max_in_flight(&self) -> u64 {
        self.state.max_in_flight()
    }

    /// Every request received, in order.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.state.request_log()
    }

    /// Replaces the faults of the functions' MCP endpoints.
    pub fn set_mcp_faults(&self, faults: McpFaults) {
        self.state.set_mcp_faults(faults);
    }

    /// Every request the MCP endpoints received, in order.
    pub fn mcp_log(&self) -> Vec<McpLoggedRequest> {
        self.state.mcp_log()
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
