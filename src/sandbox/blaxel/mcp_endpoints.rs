//! The stand-in's MCP servers: one rmcp streamable HTTP service per integration (built with
//! the official SDK's server), and its sessions.

use std::collections::BTreeMap;
use std::sync::Arc;

use rmcp::transport::StreamableHttpService;
use rmcp::transport::streamable_http_server::StreamableHttpServerConfig;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use url::Url;

use super::mcp_tools::SandboxMcpServer;
use super::validate::GOOGLE_INTEGRATIONS;

pub(super) type Service = StreamableHttpService<SandboxMcpServer, LocalSessionManager>;

/// One rmcp service per integration, and its sessions.
pub(super) struct McpEndpoints {
    services: BTreeMap<&'static str, (Service, Arc<LocalSessionManager>)>,
}

impl McpEndpoints {
    /// Services that accept the `Host` of `run_url` (and loopback names).
    pub fn new(run_url: Option<&Url>) -> Self {
        let mut hosts = vec!["localhost".to_owned(), "127.0.0.1".into(), "::1".into()];
        hosts.extend(run_url.and_then(Url::host_str).map(str::to_owned));
        let services = GOOGLE_INTEGRATIONS
            .iter()
            .filter_map(|&integration| {
                SandboxMcpServer::new(integration)?;
                let sessions = Arc::new(LocalSessionManager::default());
                let config =
                    StreamableHttpServerConfig::default().with_allowed_hosts(hosts.clone());
                let service = StreamableHttpService::new(
                    move || {
                        SandboxMcpServer::new(integration).ok_or_else(|| {
                            std::io::Error::other("no MCP server for this integration")
                        })
                    },
                    sessions.clone(),
                    config,
                );
                Some((integration, (service, sessions)))
            })
            .collect();
        McpEndpoints { services }
    }

    /// The service of `integration`'s server, if the stand-in has one.
    pub fn service(&self, integration: &str) -> Option<Service> {
        self.services
            .get(integration)
            .map(|(service, _)| service.clone())
    }

    pub async fn sessions_open(&self) -> usize {
        let mut open = 0;
        for (_, sessions) in self.services.values() {
            open += sessions.sessions.read().await.len();
        }
        open
    }
}
