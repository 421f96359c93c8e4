//! Shared in-memory state of the Blaxel sandbox: stored objects, faults, counters, log.
//!
//! Invariant: all state sits behind one mutex that is never held across an `.await`; a
//! poisoned lock is recovered (the data stays consistent because every update is applied
//! whole under the lock).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;
use url::Url;

use super::mcp_endpoints::McpEndpoints;
use super::settings::{BlaxelFaults, BlaxelSandboxConfig, McpFaults};
use crate::blaxel::Status;

/// Handle on the sandbox's state; cheap to clone.
#[derive(Clone)]
pub struct BlaxelSandboxState {
    pub(super) inner: Arc<Mutex<Inner>>,
    /// The functions' MCP servers (rmcp services and their sessions), outside the lock.
    pub(super) mcp: Arc<McpEndpoints>,
}

pub(super) struct Inner {
    /// The settings it was started with; the faults and the deploy delay change later.
    pub settings: BlaxelSandboxConfig,
    pub requests_seen: u64,
    pub writes_seen: u64,
    pub next_seq: u64,
    pub connections: BTreeMap<String, StoredConnection>,
    pub functions: BTreeMap<String, StoredFunction>,
    pub log: Vec<LoggedRequest>,
    /// Requests being answered now, and the most there ever were at once.
    pub in_flight: u64,
    pub max_in_flight: u64,
    /// The MCP endpoints' faults, log and requests in flight (counted apart from the API's).
    pub mcp_faults: McpFaults,
    pub mcp_log: Vec<McpLoggedRequest>,
    pub mcp_in_flight: u64,
    pub mcp_max_in_flight: u64,
}

pub(super) struct StoredConnection {
    /// The body as sent (secrets in plain text).
    pub body: Value,
    pub created_at: String,
    pub updated_at: String,
}

pub(super) struct StoredFunction {
    pub body: Value,
    pub created_at: String,
    pub updated_at: String,
    /// Creation order, for `sort=createdAt:*`.
    pub seq: u64,
    pub ready_at: Instant,
    pub deleted_at: Option<Instant>,
    pub deployments: u32,
}

/// One request as the sandbox received it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedRequest {
    pub method: String,
    /// Path without the query, e.g. `/v0/functions/gmail-mcp-acme`.
    pub path: String,
    pub query: Option<String>,
    /// `X-Blaxel-Workspace` as sent.
    pub workspace: Option<String>,
    /// `Blaxel-Version` as sent.
    pub api_version: Option<String>,
    /// `User-Agent` as sent (it names the node that called).
    pub user_agent: Option<String>,
    /// The body as JSON; a non-JSON body is kept as a JSON string.
    pub body: Option<Value>,
    /// The status answered; 0 while the request is still in flight.
    pub status: u16,
}

/// One request to a function's MCP endpoint as the sandbox received it.
#[derive(Debug, Clone, PartialEq)]
pub struct McpLoggedRequest {
    /// `POST`, `GET` or `DELETE`.
    pub method: String,
    /// The function named in the path.
    pub function: String,
    /// The JSON-RPC method of a `POST` (`initialize`, `tools/list`, ...).
    pub rpc_method: Option<String>,
    /// `X-Blaxel-Workspace` as sent.
    pub workspace: Option<String>,
    /// Whether the sandbox's key came as a bearer token.
    pub key_presented: bool,
    /// The status answered; 0 while the request is still in flight.
    pub status: u16,
}

/// A stored connection, secrets in plain text (tests check what arrived).
#[derive(Clone, PartialEq)]
pub struct SandboxConnection {
    pub name: String,
    pub integration: Option<String>,
    pub secret: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    /// The body as last sent.
    pub body: Value,
}

impl fmt::Debug for SandboxConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConnection")
            .field("name", &self.name)
            .field("integration", &self.integration)
            .field("secret_keys", &self.secret.keys().collect::<Vec<_>>())
            .field("labels", &self.labels)
            .finish()
    }
}

/// A stored function and its current status.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxFunction {
    pub name: String,
    pub status: Status,
    pub integration_connections: Vec<String>,
    pub url: String,
    /// Number of deployments (1 for the create, plus one per update).
    pub deployments: u32,
    pub body: Value,
}

impl BlaxelSandboxState {
    pub fn new(config: BlaxelSandboxConfig) -> Self {
        let mcp = Arc::new(McpEndpoints::new(config.run_url.as_ref()));
        let inner = Inner {
            settings: config,
            requests_seen: 0,
            writes_seen: 0,
            next_seq: 0,
            connections: BTreeMap::new(),
            functions: BTreeMap::new(),
            log: Vec::new(),
            in_flight: 0,
            max_in_flight: 0,
            mcp_faults: McpFaults::default(),
            mcp_log: Vec::new(),
            mcp_in_flight: 0,
            mcp_max_in_flight: 0,
        };
        BlaxelSandboxState {
            inner: Arc::new(Mutex::new(inner)),
            mcp,
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the faults and restarts the request counters.
    pub fn set_faults(&self, faults: BlaxelFaults) {
        let mut inner = self.lock();
        inner.settings.faults = faults;
        inner.requests_seen = 0;
        inner.writes_seen = 0;
    }

    pub fn faults(&self) -> BlaxelFaults {
        self.lock().settings.faults.clone()
    }

    pub fn set_deploy_delay(&self, delay: Duration) {
        self.lock().settings.deploy_delay = delay;
    }

    pub fn connections(&self) -> Vec<SandboxConnection> {
        let inner = self.lock();
        inner
            .connections
            .iter()
            .map(|(name, stored)| SandboxConnection {
                name: name.clone(),
                integration: text(&stored.body, "/spec/integration"),
                secret: string_map(&stored.body, "/spec/secret"),
                labels: string_map(&stored.body, "/metadata/labels"),
                body: stored.body.clone(),
            })
            .collect()
    }

    pub fn functions(&self) -> Vec<SandboxFunction> {
        let now = Instant::now();
        let inner = self.lock();
        inner
            .functions
            .iter()
            .filter(|(_, f)| !inner.is_gone(f, now))
            .map(|(name, stored)| SandboxFunction {
                name: name.clone(),
                status: inner.status_of(name, stored, now),
                integration_connections: stored
                    .body
                    .pointer("/spec/integrationConnections")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                url: inner.function_url(name),
                deployments: stored.deployments,
                body: stored.body.clone(),
            })
            .collect()
    }

    /// The most requests the sandbox was ever answering at the same time.
    pub fn max_in_flight(&self) -> u64 {
        self.lock().max_in_flight
    }

    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.lock().log.clone()
    }

    /// Replaces the MCP endpoints' faults.
    pub fn set_mcp_faults(&self, faults: McpFaults) {
        self.lock().mcp_faults = faults;
    }

    /// Every request the MCP endpoints received, in order.
    pub fn mcp_log(&self) -> Vec<McpLoggedRequest> {
        self.lock().mcp_log.clone()
    }

    /// The most MCP requests the sandbox was ever answering at the same time.
    pub fn max_mcp_in_flight(&self) -> u64 {
        self.lock().mcp_max_in_flight
    }

    /// MCP sessions open now (a client that ends its session closes it).
    pub async fn mcp_sessions_open(&self) -> usize {
        self.mcp.sessions_open().await
    }
}

impl Inner {
    pub fn function_url(&self, name: &str) -> String {
        let base = self
            .settings
            .run_url
            .as_ref()
            .map_or("http://127.0.0.1/run", Url::as_str)
            .trim_end_matches('/');
        format!("{base}/{}/functions/{name}", self.settings.workspace)
    }

    pub fn status_of(&self, name: &str, f: &StoredFunction, now: Instant) -> Status {
        if f.deleted_at.is_some() {
            Status::Deleting
        } else if now < f.ready_at {
            Status::Deploying
        } else if self.settings.faults.fail_deploy.contains(name) {
            Status::Failed
        } else {
            Status::Deployed
        }
    }

    /// A deleted function is gone once its `delete_delay` has passed.
    pub fn is_gone(&self, f: &StoredFunction, now: Instant) -> bool {
        f.deleted_at
            .is_some_and(|at| now.duration_since(at) >= self.settings.delete_delay)
    }

    /// Drops functions whose deletion has finished.
    pub fn purge(&mut self, now: Instant) {
        let delay = self.settings.delete_delay;
        self.functions
            .retain(|_, f| f.deleted_at.is_none_or(|at| now.duration_since(at) < delay));
    }
}

fn text(body: &Value, pointer: &str) -> Option<String> {
    body.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn string_map(body: &Value, pointer: &str) -> BTreeMap<String, String> {
    body.pointer(pointer)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}
