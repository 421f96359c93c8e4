//! Typed HTTP client for the Blaxel control plane (connections and functions).
//!
//! Invariant: one call is one HTTP request. The client never retries (the provisioner
//! owns retries and backoff) and turns every failure into a classified [`BlaxelError`].
//! Every request carries the bearer key, the workspace and the pinned API version; the key
//! never appears in `Debug` output or logs.

use std::fmt;
use std::time::Duration;

use reqwest::{Method, RequestBuilder};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::error::BlaxelError;
use super::headers::{BLAXEL_API_VERSION, VERSION_HEADER, WORKSPACE_HEADER};
use super::requests::{ConnectionRequest, FunctionRequest};
use super::types::{Function, FunctionPage, IntegrationConnection};
use crate::redact::Redactor;
use crate::store::Fence;

/// Upper bound on pages [`BlaxelClient::list_functions`] follows, against a cursor loop.
const MAX_PAGES: usize = 1000;

/// Client for one Blaxel workspace.
#[derive(Clone)]
pub struct BlaxelClient {
    api_url: Url,
    workspace: String,
    api_key: SecretString,
    http: reqwest::Client,
    timeout: Option<Duration>,
    page_size: Option<u32>,
    /// Checked before each request; `None` until the owner gives it (see [`Fence`]).
    fence: Option<Fence>,
}

impl fmt::Debug for BlaxelClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlaxelClient")
            .field("api_url", &self.api_url.as_str())
            .field("workspace", &self.workspace)
            .field("api_key", &"[REDACTED]")
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl BlaxelClient {
    /// `api_url` is the API base including its version segment, e.g.
    /// `https://api.blaxel.ai/v0`.
    pub fn new(
        api_url: Url,
        workspace: String,
        api_key: SecretString,
        http: reqwest::Client,
    ) -> Self {
        BlaxelClient {
            api_url,
            workspace,
            api_key,
            http,
            timeout: None,
            page_size: None,
            fence: None,
        }
    }

    /// The same client, checking `fence` before every request and naming its node in
    /// `User-Agent`.
    pub fn with_fence(mut self, fence: Fence) -> Self {
        self.fence = Some(fence);
        self
    }

    /// Sets a timeout for each request (connect to last body byte); `None` keeps the
    /// `reqwest::Client`'s own.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// Builder form of [`BlaxelClient::set_timeout`].
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Page size [`BlaxelClient::list_functions`] asks for; `None` is the API default (50).
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    pub fn api_url(&self) -> &Url {
        &self.api_url
    }

    /// A checker of MCP servers with this client's workspace and key (and fence).
    pub fn mcp_checker(
        &self,
        settings: super::mcp_check::McpCheckSettings,
    ) -> anyhow::Result<super::McpChecker> {
        let checker = super::McpChecker::new(&self.workspace, self.api_key.clone(), settings)?;
        Ok(match &self.fence {
            Some(f) => checker.with_fence(f.clone()),
            None => checker,
        })
    }

    /// `POST /integrations/connections`. A 409 means the name exists: PUT it instead.
    pub async fn create_connection(
        &self,
        body: &ConnectionRequest,
    ) -> Result<IntegrationConnection, BlaxelError> {
        let url = self.url(&["integrations", "connections"], &[]);
        let sent = body.secret_values();
        self.send(self.request(Method::POST, url), Some(body), &sent)
            .await
    }

    /// `GET /integrations/connections/{name}` (secrets come back masked).
    pub async fn get_connection(&self, name: &str) -> Result<IntegrationConnection, BlaxelError> {
        let url = self.url(&["integrations", "connections", name], &[]);
        self.send(self.request(Method::GET, url), None::<&()>, &[])
            .await
    }

    /// `PUT /integrations/connections/{name}` with the full body (fresh secrets).
    pub async fn update_connection(
        &self,
        body: &ConnectionRequest,
    ) -> Result<IntegrationConnection, BlaxelError> {
        let url = self.url(&["integrations", "connections", body.name()], &[]);
        let sent = body.secret_values();
        self.send(self.request(Method::PUT, url), Some(body), &sent)
            .await
    }

    /// `DELETE /integrations/connections/{name}`. A 409 means a function still uses it.
    pub async fn delete_connection(
        &self,
        name: &str,
    ) -> Result<IntegrationConnection, BlaxelError> {
        let url = self.url(&["integrations", "connections", name], &[]);
        self.send(self.request(Method::DELETE, url), None::<&()>, &[])
            .await
    }

    /// `GET /integrations/connections` (a bare array; the API does not paginate it).
    pub async fn list_connections(&self) -> Result<Vec<IntegrationConnection>, BlaxelError> {
        let url = self.url(&["integrations", "connections"], &[]);
        self.send(self.request(Method::GET, url), None::<&()>, &[])
            .await
    }

    /// `GET /workspaces/{name}`: whether the key may read the workspace (what it says of
    /// it is not used).
    pub async fn get_workspace(&self, name: &str) -> Result<serde_json::Value, BlaxelError> {
        let url = self.url(&["workspaces", name], &[]);
        self.send(self.request(Method::GET, url), None::<&()>, &[])
            .await
    }

    /// `GET /integrations/{name}`: the integration provider, when the workspace has it.
    pub async fn get_integration(&self, name: &str) -> Result<serde_json::Value, BlaxelError> {
        let url = self.url(&["integrations", name], &[]);
        self.send(self.request(Method::GET, url), None::<&()>, &[])
            .await
    }

    /// `POST /functions`. A 409 means the name exists: GET it and PUT if it differs.
    pub async fn create_function(&self, body: &FunctionRequest) -> Result<Function, BlaxelError> {
        let url = self.url(&["functions"], &[]);
        self.send(self.request(Method::POST, url), Some(body), &[])
            .await
    }

    /// `GET /functions/{name}`: poll this for `status`.
    pub async fn get_function(&self, name: &str) -> Result<Function, BlaxelError> {
        let url = self.url(&["functions", name], &[]);
        self.send(self.request(Method::GET, url), None::<&()>, &[])
            .await
    }

    /// `PUT /functions/{name}` with the full body; triggers a new deployment.
    pub async fn update_function(&self, body: &FunctionRequest) -> Result<Function, BlaxelError> {
        let url = self.url(&["functions", body.name()], &[]);
        self.send(self.request(Method::PUT, url), Some(body), &[])
            .await
    }

    /// `DELETE /functions/{name}`. Deletion may finish later (status `DELETING`).
    pub async fn delete_function(&self, name: &str) -> Result<Function, BlaxelError> {
        let url = self.url(&["functions", name], &[]);
        self.send(self.request(Method::DELETE, url), None::<&()>, &[])
            .await
    }

    /// One page of `GET /functions`; `cursor` comes from the previous page's `meta`.
    pub async fn list_functions_page(
        &self,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<FunctionPage, BlaxelError> {
        let limit = limit.map(|l| l.to_string());
        let mut query = Vec::new();
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor));
        }
        if let Some(limit) = limit.as_deref() {
            query.push(("limit", limit));
        }
        let url = self.url(&["functions"], &query);
        self.send(self.request(Method::GET, url), None::<&()>, &[])
            .await
    }

    /// All functions of the workspace, following the pagination cursor.
    pub async fn list_functions(&self) -> Result<Vec<Function>, BlaxelError> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self
                .list_functions_page(cursor.as_deref(), self.page_size)
                .await?;
            let next = page.next_cursor().map(str::to_owned);
            all.extend(page.data);
            match next {
                Some(next) if cursor.as_deref() != Some(next.as_str()) => cursor = Some(next),
                _ => return Ok(all),
            }
        }
        Err(BlaxelError::Decode {
            status: 200,
            message: format!("function listing did not end after {MAX_PAGES} pages"),
        })
    }

    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.api_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url.set_query(None);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    fn request(&self, method: Method, url: Url) -> RequestBuilder {
        let builder = self
            .http
            .request(method, url)
            .bearer_auth(self.api_key.expose_secret())
            .header(WORKSPACE_HEADER, &self.workspace)
            .header(VERSION_HEADER, BLAXEL_API_VERSION)
            .header(reqwest::header::ACCEPT, "application/json")
            .header(
                reqwest::header::USER_AGENT,
                match &self.fence {
                    Some(f) => f.user_agent(),
                    None => crate::store::fence::user_agent(None),
                },
            );
        match self.timeout {
            Some(timeout) => builder.timeout(timeout),
            None => builder,
        }
    }

    /// One request; every error it ends in has `sent` (the secrets in its body) and our
    /// API key taken out of whatever Blaxel, or a front end, said back.
    async fn send<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        builder: RequestBuilder,
        body: Option<&B>,
        sent: &[&str],
    ) -> Result<T, BlaxelError> {
        if let Some(fence) = &self.fence {
            fence.check()?;
        }
        let redactor = || {
            Redactor::new(std::iter::once(self.api_key.expose_secret()).chain(sent.iter().copied()))
        };
        let builder = match body {
            Some(body) => {
                let bytes = serde_json::to_vec(body).map_err(|e| BlaxelError::Request {
                    message: e.to_string(),
                })?;
                builder
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(bytes)
            }
            None => builder,
        };
        let response = builder
            .send()
            .await
            .map_err(|e| BlaxelError::from_reqwest(&e).redacted(&redactor()))?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| BlaxelError::from_reqwest(&e).redacted(&redactor()))?;
        if !status.is_success() {
            let err = BlaxelError::from_response(status, &headers, &bytes, &redactor());
            tracing::debug!(status = status.as_u16(), error = %err, "blaxel request failed");
            return Err(err);
        }
        serde_json::from_slice(&bytes).map_err(|e| {
            BlaxelError::Decode {
                status: status.as_u16(),
                message: e.to_string(),
            }
            .redacted(&redactor())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> BlaxelClient {
        BlaxelClient::new(
            Url::parse(base).unwrap(),
            "ws".into(),
            SecretString::from("bl_secret_key"),
            reqwest::Client::new(),
        )
    }

    #[test]
    fn urls_keep_the_version_segment_and_encode_names() {
        for base in ["https://api.blaxel.ai/v0", "https://api.blaxel.ai/v0/"] {
            let c = client(base);
            assert_eq!(
                c.url(&["functions", "gmail-mcp-acme"], &[]).as_str(),
                "https://api.blaxel.ai/v0/functions/gmail-mcp-acme"
            );
            assert_eq!(
                c.url(&["functions"], &[("cursor", "a b"), ("limit", "2")])
                    .as_str(),
                "https://api.blaxel.ai/v0/functions?cursor=a+b&limit=2"
            );
        }
        assert_eq!(
            client("https://x/v0")
                .url(&["functions", "a/b"], &[])
                .as_str(),
            "https://x/v0/functions/a%2Fb"
        );
    }

    #[test]
    fn debug_hides_the_api_key() {
        let debug = format!("{:?}", client("https://x/v0"));
        assert!(!debug.contains("bl_secret_key"), "{debug}");
        assert!(debug.contains("REDACTED"));
    }
}
