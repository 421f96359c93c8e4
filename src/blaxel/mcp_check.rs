//! Is a tenant's MCP server really usable? One check calls it over MCP's streamable HTTP
//! transport with rmcp as the client: `initialize`, then `tools/list`; it gives the tools,
//! the server's name and version and the time it took, or why it failed.
//!
//! Invariants: the Blaxel key goes only to the URL the check is given (the function's
//! `metadata.url` + `/mcp`, as Blaxel returned it), only over https (plain http on a
//! loopback address aside), never through a redirect; a URL that breaks the rule is refused
//! before any request. Every call carries the key as `Authorization: Bearer` and the
//! workspace as `X-Blaxel-Workspace`. At most `concurrency` checks of rounds run at once
//! (the others wait their turn, and their time starts when they run), and as many urgent
//! ones (just deployed, or asked by an operator) beside them, each within `timeout`. No error
//! holds the key. A checker for leader-only work sends nothing while its node does not
//! lead (its fence).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use reqwest::header::{HeaderName, HeaderValue};
use rmcp::ServiceExt as _;
use rmcp::model::{ClientCapabilities, ClientConfig, Implementation};
use rmcp::service::ServiceError;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::common::client_side_sse::NeverRetry;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use url::Url;

use super::headers::WORKSPACE_HEADER;
use super::mcp_error::{McpCheckError, millis};
use super::mcp_http::{MAX_ANSWER_BYTES, McpHttp};
use crate::redact::Redactor;
use crate::store::Fence;
use crate::text::clean;

/// Time a check may take, from its `initialize` to the end of `tools/list`: long enough
/// for a server that is cold-starting.
pub const MCP_CHECK_TIMEOUT: Duration = Duration::from_secs(30);
/// Checks that may run at once: each may cold-start a server on Blaxel.
pub const MCP_CHECK_CONCURRENCY: usize = 4;
/// Tool names kept from one answer, and the characters kept of each: a server's list is
/// shown and stored, not trusted to be small.
pub const MAX_TOOLS: usize = 200;
pub const MAX_TOOL_NAME_CHARS: usize = 128;
/// Time given to ending the server's session once the answer is in.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// How checks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct McpCheckSettings {
    pub timeout: Duration,
    /// At least 1.
    pub concurrency: usize,
}

impl Default for McpCheckSettings {
    fn default() -> Self {
        McpCheckSettings {
            timeout: MCP_CHECK_TIMEOUT,
            concurrency: MCP_CHECK_CONCURRENCY,
        }
    }
}

/// A usable server: what `initialize` and `tools/list` said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpServer {
    /// The tools' names, in the server's order (e.g. `send_email`).
    pub tools: Vec<String>,
    /// `serverInfo.name` and `.version` (empty when the server gave none).
    pub name: String,
    pub version: String,
    /// The protocol version agreed on.
    pub protocol_version: String,
}

/// One check's result and the time it took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpCheck {
    /// From `initialize` to the end of `tools/list` (or to the failure); zero when the
    /// URL was refused.
    #[serde(with = "millis")]
    pub elapsed: Duration,
    pub result: Result<McpServer, McpCheckError>,
}

impl McpCheck {
    pub fn is_usable(&self) -> bool {
        self.result.is_ok()
    }
}

/// Runs MCP checks with one workspace's credentials, a few at a time (clones share the
/// limit).
#[derive(Clone)]
pub struct McpChecker {
    http: reqwest::Client,
    workspace: (HeaderName, HeaderValue),
    api_key: SecretString,
    settings: McpCheckSettings,
    permits: Arc<Semaphore>,
    /// Urgent checks' own places: they never wait behind a round.
    urgent: Arc<Semaphore>,
    /// Leader-only checks: no request goes out while this node does not lead.
    fence: Option<Fence>,
}

impl std::fmt::Debug for McpChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpChecker")
            .field("workspace", &self.workspace.1)
            .field("api_key", &"[REDACTED]")
            .field("settings", &self.settings)
            .finish()
    }
}

impl McpChecker {
    pub fn new(
        workspace: &str,
        api_key: SecretString,
        settings: McpCheckSettings,
    ) -> anyhow::Result<Self> {
        let value = HeaderValue::from_str(workspace)
            .with_context(|| format!("workspace {workspace:?} cannot be sent as a header"))?;
        let name = HeaderName::from_bytes(WORKSPACE_HEADER.as_bytes())
            .context("the workspace header's name")?;
        // No redirect is followed: the key and the workspace go to the URL Blaxel gave
        // and nowhere else (reqwest's default would follow, keeping both on the same
        // host and the workspace on any other).
        // Nor does it go through a proxy from the environment (`HTTP_PROXY`): a plain-http
        // loopback server would hand the key to it in clear.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(settings.timeout)
            .build()
            .context("building the MCP check's HTTP client")?;
        let settings = McpCheckSettings {
            concurrency: settings.concurrency.max(1),
            ..settings
        };
        Ok(McpChecker {
            http,
            workspace: (name, value),
            api_key,
            permits: Arc::new(Semaphore::new(settings.concurrency)),
            urgent: Arc::new(Semaphore::new(settings.concurrency)),
            settings,
            fence: None,
        })
    }

    /// The same checker (sharing its limit), checking `fence` before every request: a
    /// check refused by it fails with [`McpCheckError::NotLeader`], nothing sent.
    pub fn with_fence(mut self, fence: Fence) -> Self {
        self.fence = Some(fence);
        self
    }

    pub fn settings(&self) -> McpCheckSettings {
        self.settings
    }

    /// Checks the MCP server at `url` (the function's `metadata.url` + `/mcp`), once a
    /// place among the running checks is free.
    pub async fn check(&self, url: &str) -> McpCheck {
        self.check_as(url, false).await
    }

    /// [`Self::check`], `urgent` ones (just deployed, an operator's) taking their place
    /// among their own kind, never behind a round's checks.
    pub async fn check_as(&self, url: &str, urgent: bool) -> McpCheck {
        let redactor = Redactor::new([self.api_key.expose_secret()]);
        let refused = |reason: String| McpCheck {
            elapsed: Duration::ZERO,
            result: Err(McpCheckError::Refused {
                url: url.to_owned(),
                reason,
            }
            .redacted(&redactor)),
        };
        let target = match key_may_go_to(url) {
            Ok(target) => target,
            Err(reason) => return refused(reason),
        };
        let places = if urgent { &self.urgent } else { &self.permits };
        let Ok(_permit) = places.acquire().await else {
            return refused("the checker is closed".into());
        };
        if self.fence.as_ref().is_some_and(|f| f.check().is_err()) {
            return McpCheck {
                elapsed: Duration::ZERO,
                result: Err(McpCheckError::NotLeader),
            };
        }
        let http = McpHttp::new(
            self.http.clone(),
            target.as_str(),
            self.fence.clone(),
            redactor.clone(),
        );
        let started = Instant::now();
        let asked = self.ask(&http, &target, &redactor);
        let outcome = tokio::time::timeout(self.settings.timeout, asked).await;
        let elapsed = started.elapsed();
        let result = match outcome {
            Ok(Ok(server)) => Ok(server),
            Ok(Err(e)) => Err(http.first_failure().unwrap_or(e)),
            Err(_) => Err(McpCheckError::Timeout {
                after: self.settings.timeout,
            }),
        };
        McpCheck {
            elapsed,
            result: result.map_err(|e| e.redacted(&redactor)),
        }
    }

    /// `initialize`, `tools/list`, then the session is ended.
    async fn ask(
        &self,
        http: &McpHttp,
        target: &Url,
        redactor: &Redactor,
    ) -> Result<McpServer, McpCheckError> {
        let headers = HashMap::from([self.workspace.clone()]);
        let mut config = StreamableHttpClientTransportConfig::with_uri(target.as_str())
            .auth_header(self.api_key.expose_secret())
            .custom_headers(headers)
            .max_concurrent_requests(1)
            .max_json_response_size(MAX_ANSWER_BYTES)
            .max_sse_event_size(MAX_ANSWER_BYTES)
            .reinit_on_expired_session(false);
        config.retry_config = Arc::new(NeverRetry::default());
        let transport = StreamableHttpClientTransport::with_client(http.clone(), config);
        let me = ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
        );
        let mut running = me
            .serve(transport)
            .await
            .map_err(|e| McpCheckError::Protocol {
                message: format!("initialize failed: {e}"),
            })?;
        let info = running.peer_info();
        let tools = running.list_all_tools().await.map_err(|e| match e {
            ServiceError::McpError(e) => McpCheckError::Protocol {
                message: format!("tools/list failed: {}", e.message),
            },
            other => McpCheckError::Protocol {
                message: format!("tools/list failed: {other}"),
            },
        });
        let _ = running.close_with_timeout(CLOSE_TIMEOUT).await;
        let implementation = info.as_ref().and_then(|i| i.server_info.clone());
        Ok(McpServer {
            tools: tool_names(tools?.iter().map(|t| t.name.as_ref()), redactor),
            name: implementation
                .as_ref()
                .map(|i| clean(&i.name))
                .unwrap_or_default(),
            version: implementation
                .map(|i| clean(&i.version))
                .unwrap_or_default(),
            protocol_version: info
                .map(|i| clean(i.protocol_version.as_str()))
                .unwrap_or_default(),
        })
    }
}

/// The first [`MAX_TOOLS`] names, each cut to [`MAX_TOOL_NAME_CHARS`], without the key
/// and safe to show.
fn tool_names<'a>(names: impl Iterator<Item = &'a str>, redactor: &Redactor) -> Vec<String> {
    names
        .take(MAX_TOOLS)
        .map(|n| {
            let cut: String = n.chars().take(MAX_TOOL_NAME_CHARS).collect();
            clean(&redactor.redact(&cut))
        })
        .collect()
}

/// The URL the key may be sent to, or why not: https, or http on a loopback address; a
/// host; no user or password in it.
pub fn key_may_go_to(url: &str) -> Result<Url, String> {
    let parsed = Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
    if parsed.host().is_none() {
        return Err("the URL has no host".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("the URL carries a user or password".into());
    }
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if crate::config::is_loopback_host(&parsed) => Ok(parsed),
        "http" => Err("plain http off a loopback address: the key would travel in clear".into()),
        other => Err(format!("the scheme {other} is not https")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_goes_over_https_or_to_loopback_only() {
        for ok in [
            "https://run.blaxel.ai/ws/functions/gmail-mcp-acme/mcp",
            "https://mcp-gmail-mcp-acme-ws.eu.bl.run/mcp",
            "http://127.0.0.1:8080/run/ws/functions/f/mcp",
            "http://[::1]:9/mcp",
            "http://localhost:9/mcp",
        ] {
            assert!(key_may_go_to(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("http://run.blaxel.ai/ws/functions/f/mcp", "plain http"),
            ("http://10.0.0.5/mcp", "plain http"),
            ("http://localhost.evil.example/mcp", "plain http"),
            ("ftp://run.blaxel.ai/mcp", "scheme ftp"),
            ("https://user:pw@run.blaxel.ai/mcp", "user or password"),
            ("run.blaxel.ai/mcp", "not a URL"),
            ("", "not a URL"),
        ] {
            let err = key_may_go_to(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn the_tool_list_is_capped_cut_and_redacted() {
        let key = "bl_tool_key_0123456";
        let redactor = Redactor::new([key]);
        let long = "x".repeat(MAX_TOOL_NAME_CHARS + 50);
        let named = format!("leak_{key}");
        let mut names = vec!["send_email", long.as_str(), named.as_str()];
        names.extend(std::iter::repeat_n("more", MAX_TOOLS + 10));
        let kept = tool_names(names.into_iter(), &redactor);
        assert_eq!(kept.len(), MAX_TOOLS);
        assert_eq!(kept[0], "send_email");
        assert_eq!(kept[1].chars().count(), MAX_TOOL_NAME_CHARS);
        assert!(
            !kept[2].contains(key) && kept[2].contains("[redacted]"),
            "{}",
            kept[2]
        );
    }

    #[test]
    fn debug_hides_the_key_and_settings_keep_at_least_one_place() {
        let checker = McpChecker::new(
            "ws",
            SecretString::from("bl_key_in_debug"),
            McpCheckSettings {
                timeout: Duration::from_secs(1),
                concurrency: 0,
            },
        )
        .unwrap();
        assert!(!format!("{checker:?}").contains("bl_key_in_debug"));
        assert_eq!(checker.settings().concurrency, 1);
        assert!(
            McpChecker::new("w\ns", SecretString::from("k"), McpCheckSettings::default()).is_err()
        );
    }
}
