//! The Google stand-in as a server: its routes (relative to its base URL, the paths
//! Google uses) and a running instance on loopback.

use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
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
            .layer(axum::middleware::map_response_with_state(
                self.clone(),
                dated,
            ))
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

/// Every answer carries a `Date`, as Google's do: the time now, moved by the knob
/// `date_offset_secs`.
async fn dated(State(s): State<GoogleSandbox>, mut res: Response) -> Response {
    let offset = s.lock().knobs.date_offset_secs;
    let now = SystemTime::now();
    let shifted = if offset >= 0 {
        now.checked_add(Duration::from_secs(offset.unsigned_abs()))
    } else {
        now.checked_sub(Duration::from_secs(offset.unsigned_abs()))
    };
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(shifted.unwrap_or(now))) {
        res.headers_mut().insert(header::DATE, v);
    }
    res
}
