//! HTTP face of the Blaxel sandbox: auth, workspace and version checks, then routing to
//! the connection and function operations.
//!
//! Invariant: every request is logged before anything else happens, counted exactly once
//! for fault injection ([`super::faults`]), and answered with a JSON `{error, message,
//! code}` body on failure, like the real API.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde_json::Value;

use super::error::ApiError;
use super::faults::Admitted;
use super::settings::SUPPORTED_API_VERSIONS;
use super::state::BlaxelSandboxState;
use super::validate::key_presented;
use super::{catalog, handlers, listing};

/// The single handler behind every route.
pub async fn dispatch(
    State(state): State<BlaxelSandboxState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let admitted = Admitted::new(&state, &method, &uri, &headers, &body);
    let result = admitted
        .answer(&headers, &body, || {
            handle(&state, &method, &uri, &headers, &body)
        })
        .await;
    let response = match result {
        Ok(value) => (StatusCode::OK, axum::Json(value)).into_response(),
        Err(err) => err.into_response(),
    };
    admitted.answered(&state, response.status());
    response
}

fn handle(
    state: &BlaxelSandboxState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, ApiError> {
    let mut inner = state.lock();
    check_auth(headers, inner.settings.api_key.expose_secret())?;
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let workspace = headers
        .get("x-blaxel-workspace")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            query
                .iter()
                .find(|(k, _)| k == "workspace")
                .map(|(_, v)| v.clone())
        });
    match workspace {
        None => {
            return Err(ApiError::bad_request(
                "no workspace given: set the X-Blaxel-Workspace header",
            ));
        }
        Some(ws) if ws != inner.settings.workspace => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "WORKSPACE_NOT_FOUND",
                format!("workspace {ws} not found"),
            ));
        }
        Some(_) => {}
    }
    let version = headers.get("blaxel-version").and_then(|v| v.to_str().ok());
    if let Some(version) = version.filter(|v| !SUPPORTED_API_VERSIONS.contains(v)) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_api_version",
            format!(
                "Unknown API version \"{version}\". Valid versions: {}.",
                SUPPORTED_API_VERSIONS.join(", ")
            ),
        ));
    }
    let paginated = version.is_some_and(|v| v >= "2026-04-28");
    inner.purge(Instant::now());
    let segments: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    let decoded: Vec<String> = segments.iter().map(|s| percent_decode(s)).collect();
    let path: Vec<&str> = decoded.iter().map(String::as_str).collect();
    match (method, path.as_slice()) {
        (&Method::GET, ["v0", "integrations", "connections"]) => {
            Ok(handlers::list_connections(&inner))
        }
        (&Method::POST, ["v0", "integrations", "connections"]) => {
            handlers::create_connection(&mut inner, body)
        }
        (&Method::GET, ["v0", "integrations", "connections", name]) => {
            handlers::get_connection(&inner, name)
        }
        (&Method::PUT, ["v0", "integrations", "connections", name]) => {
            handlers::update_connection(&mut inner, name, body)
        }
        (&Method::DELETE, ["v0", "integrations", "connections", name]) => {
            handlers::delete_connection(&mut inner, name)
        }
        (&Method::GET, ["v0", "integrations", name]) => catalog::get_integration(&inner, name),
        (&Method::GET, ["v0", "workspaces", name]) => catalog::get_workspace(&inner, name),
        (&Method::GET, ["v0", "functions"]) => listing::list_functions(&inner, &query, paginated),
        (&Method::POST, ["v0", "functions"]) => handlers::create_function(&mut inner, body),
        (&Method::GET, ["v0", "functions", name]) => handlers::get_function(&inner, name),
        (&Method::PUT, ["v0", "functions", name]) => {
            handlers::update_function(&mut inner, name, body)
        }
        (&Method::DELETE, ["v0", "functions", name]) => handlers::delete_function(&mut inner, name),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "ROUTE_NOT_FOUND",
            format!("no route for {method} {}", uri.path()),
        )),
    }
}

fn check_auth(headers: &HeaderMap, key: &str) -> Result<(), ApiError> {
    if key_presented(headers, key) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "AUTHENTICATION_FAILED",
            "Unauthorized - Invalid or missing authentication credentials",
        ))
    }
}

/// Decodes `%XX` escapes of a path segment (invalid escapes are kept as they are).
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
