//! The headers every call to Blaxel carries, API and MCP servers alike.

/// API version pinned by this client, as the official SDKs do.
pub const BLAXEL_API_VERSION: &str = "2026-04-28";
/// Header naming the workspace of a request.
pub const WORKSPACE_HEADER: &str = "X-Blaxel-Workspace";
/// Header selecting the API version.
pub const VERSION_HEADER: &str = "Blaxel-Version";
