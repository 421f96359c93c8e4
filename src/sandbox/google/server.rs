//! The Google stand-in as a server: its routes (relative to its base URL, the paths
//! Google uses) and a running instance on loopback.

use axum::Router;
use axum::routing::{get, post};
use url::Url;

use super::consent::{approve, authorize};
use super::state::GoogleSandbox;
use super::token::{revoke, token};

pub const AUTH_PATH: &str = "/o/oauth2/v2/auth";
pub const APPROVE_PATH: &str = "/o/oauth2/v2/approve";
pub const TOKEN_PATH: &str = "/token";
pub const REVOKE_PATH: &str = "/revoke";

impl GoogleSandbox {
    /// Routes relative to the sandbox's base URL.
    pub fn router(&self) -> Router {
        Router::new()
            .route(AUTH_PATH, get(authorize))
            .route(APPROVE_PATH, post(approve))
            .route(TOKEN_PATH, post(token))
            .route(REVOKE_PATH, post(revoke))
            .with_state(self.clone())
    }

    /// Bind on loopback and serve; returns the base URL.
    pub async fn spawn(&self) -> std::io::Result<Url> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = self.router();
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "google sandbox stopped");
            }
        });
        Url::parse(&format!("http://{addr}")).map_err(std::io::Error::other)
    }
}
