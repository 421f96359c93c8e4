//! Blaxel control plane: typed client, request bodies, names, errors and credentials; and
//! the MCP check, which calls a function's MCP server to learn whether it is usable.
//!
//! Invariant: this module performs single HTTP calls (an MCP check: one MCP exchange) and
//! pure decisions only, and never retries; retries, backoff, polling and rounds of checks
//! belong to its callers. Types follow the spec `controlplane.yml` (OpenAPI 3.0.3) and
//! tolerate fields it does not list.

mod client;
mod compare;
mod credentials;
mod error;
mod headers;
mod mcp_check;
mod mcp_error;
mod mcp_http;
pub mod names;
mod requests;
mod types;

pub use client::BlaxelClient;
pub use compare::{function_needs_update, mcp_url};
pub use credentials::{
    BlaxelCredentials, CredentialsError, KeySource, default_blaxel_config_path, resolve_credentials,
};
pub use error::{BlaxelError, MAX_RETRY_AFTER};
pub use headers::{BLAXEL_API_VERSION, VERSION_HEADER, WORKSPACE_HEADER};
pub use mcp_check::{
    MCP_CHECK_CONCURRENCY, MCP_CHECK_TIMEOUT, McpCheck, McpCheckSettings, McpChecker, McpServer,
    key_may_go_to,
};
pub use mcp_error::McpCheckError;
pub use names::{InvalidSlug, ResourceNames, resource_names};
pub use requests::{
    ConnectionRequest, ConnectionRequestSpec, FunctionRequest, FunctionRequestRuntime,
    FunctionRequestSpec, GMAIL_INTEGRATION, GOOGLE_OAUTH_SECRETS, GoogleOAuthSecret,
    MCP_RUNTIME_TYPE, RequestMetadata, SecretMap, SecretNames,
};
pub use types::{
    CoreEvent, Function, FunctionPage, FunctionRuntime, FunctionSpec, IntegrationConnection,
    IntegrationConnectionSpec, Metadata, PaginationMeta, Status,
};
