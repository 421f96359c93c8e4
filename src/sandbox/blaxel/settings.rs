//! Settings of the Blaxel sandbox: its one workspace and key, its timings, and the faults
//! it injects. Plain data, read by every other part of the stand-in.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

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
    /// `spawn` uses `http://{its address}/run` when `None`. The router serves each
    /// function's MCP endpoint at `/run/{workspace}/functions/{name}/mcp`, so a `run_url`
    /// should end in the router's `/run`.
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
    /// Integrations `GET /integrations/{name}` does not find (404), as in a workspace
    /// where they are not available.
    pub unavailable_integrations: BTreeSet<String>,
}

/// Faults of the functions' MCP endpoints, for tests and the demo.
#[derive(Debug, Clone, Default)]
pub struct McpFaults {
    /// Delay before every MCP request is answered (a slow or cold-starting server).
    pub latency: Duration,
    /// The gateway cannot reach the server: `404 WORKLOAD_UNAVAILABLE`, as Blaxel documents.
    pub unreachable: bool,
    /// The server fails: `500`.
    pub server_error: bool,
    /// The right key is refused as a wrong one (a rotated or revoked key): `401`.
    pub wrong_key: bool,
}
