//! HTTP face of the Blaxel sandbox: logging, injected faults, auth, workspace and version
//! checks, then routing to the resource operations.
//!
//! Invariant: every request is logged before anything else happens, counted exactly once
//! for fault injection, and answered with a JSON `{error, message, code}` body on failure,
//! like the real API.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::state::{BlaxelSandboxState, LoggedRequest};
use super::{SUPPORTED_API_VERSIONS, listing, resources};

/// An error answer of the sandbox.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub error: String,
    pub message: String,
    pub retry_after: Option<Duration>,
    /// Sent as `Retry-After-Ms` verbatim (instead of the one from `retry_after`).
    pub retry_after_ms_raw: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, error: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            error: error.to_owned(),
            message: message.into(),
            retry_after: None,
            retry_after_ms_raw: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "CONFLICT", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": self.error,
            "message": self.message,
            "code": self.status.as_u16(),
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(wait) = self.retry_after {
            let secs = wait.as_millis().div_ceil(1000).to_string();
            let headers = response.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&secs) {
                headers.insert("retry-after", v);
            }
            let ms = self
                .retry_after_ms_raw
                .unwrap_or_else(|| wait.as_millis().to_string());
            if let Ok(v) = HeaderValue::from_str(&ms) {
                headers.insert("retry-after-ms", v);
            }
        }
        response
    }
}

enum Fault {
    Hang(Duration),
    RateLimit(Duration, Option<String>),
    Error,
    Echo,
    ApplyThenError,
}

/// The single handler behind every route.
pub async fn dispatch(
    State(state): State<BlaxelSandboxState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let _in_flight = InFlight::enter(&state);
    let (index, latency, fault) = admit(&state, &method, &uri, &headers, &body);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let result = match fault {
        Some(Fault::Hang(duration)) => {
            tokio::time::sleep(duration).await;
            Err(ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "GATEWAY_TIMEOUT",
                "injected hang",
            ))
        }
        Some(Fault::RateLimit(wait, raw)) => Err(ApiError {
            retry_after: Some(wait),
            retry_after_ms_raw: raw,
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TOO_MANY_REQUESTS",
                "injected rate limit",
            )
        }),
        Some(Fault::Error) => Err(internal_error()),
        Some(Fault::Echo) => Err(echo(&headers, &body)),
        Some(Fault::ApplyThenError) | None => {
            let outcome = handle(&state, &method, &uri, &headers, &body);
            match (fault, outcome) {
                (Some(Fault::ApplyThenError), Ok(_)) => Err(internal_error()),
                (_, outcome) => outcome,
            }
        }
    };
    let response = match result {
        Ok(value) => (StatusCode::OK, axum::Json(value)).into_response(),
        Err(err) => err.into_response(),
    };
    if let Some(entry) = state.lock().log.get_mut(index) {
        entry.status = response.status().as_u16();
    }
    response
}

/// Counts a request as in flight until dropped (also when the client goes away).
struct InFlight(BlaxelSandboxState);

impl InFlight {
    fn enter(state: &BlaxelSandboxState) -> Self {
        let mut inner = state.lock();
        inner.in_flight += 1;
        inner.max_in_flight = inner.max_in_flight.max(inner.in_flight);
        drop(inner);
        InFlight(state.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut inner = self.0.lock();
        inner.in_flight = inner.in_flight.saturating_sub(1);
    }
}

/// A 400 that repeats what it was sent: the body and the `Authorization` header.
fn echo(headers: &HeaderMap, body: &[u8]) -> ApiError {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    ApiError::bad_request(format!(
        "could not process the request (Authorization: {auth}): {}",
        String::from_utf8_lossy(body)
    ))
}

fn internal_error() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL_ERROR",
        "injected server error",
    )
}

/// Logs the request, advances the counters and picks the fault for it, if any.
fn admit(
    state: &BlaxelSandboxState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> (usize, Duration, Option<Fault>) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut inner = state.lock();
    let logged_body = (!body.is_empty()).then(|| {
        serde_json::from_slice::<Value>(body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
    });
    inner.log.push(LoggedRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        workspace: header("x-blaxel-workspace"),
        api_version: header("blaxel-version"),
        body: logged_body,
        status: 0,
    });
    let index = inner.log.len() - 1;
    inner.requests_seen += 1;
    let n = inner.requests_seen;
    let is_write = matches!(*method, Method::POST | Method::PUT | Method::DELETE);
    if is_write {
        inner.writes_seen += 1;
    }
    let w = inner.writes_seen;
    let hits =
        |every: Option<u64>, count: u64| every.is_some_and(|e| e > 0 && count.is_multiple_of(e));
    let f = &inner.faults;
    let fault = if hits(f.hang_every, n) {
        Some(Fault::Hang(f.hang_for))
    } else if hits(f.rate_limit_every, n) {
        Some(Fault::RateLimit(
            f.retry_after,
            f.retry_after_ms_raw.clone(),
        ))
    } else if hits(f.error_every, n) {
        Some(Fault::Error)
    } else if is_write && hits(f.echo_every, w) {
        Some(Fault::Echo)
    } else if is_write && hits(f.apply_then_error_every, w) {
        Some(Fault::ApplyThenError)
    } else {
        None
    };
    (index, f.latency, fault)
}

fn handle(
    state: &BlaxelSandboxState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, ApiError> {
    let mut inner = state.lock();
    check_auth(headers, inner.api_key.expose_secret())?;
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
        Some(ws) if ws != inner.workspace => {
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
            Ok(resources::list_connections(&inner))
        }
        (&Method::POST, ["v0", "integrations", "connections"]) => {
            resources::create_connection(&mut inner, body)
        }
        (&Method::GET, ["v0", "integrations", "connections", name]) => {
            resources::get_connection(&inner, name)
        }
        (&Method::PUT, ["v0", "integrations", "connections", name]) => {
            resources::update_connection(&mut inner, name, body)
        }
        (&Method::DELETE, ["v0", "integrations", "connections", name]) => {
            resources::delete_connection(&mut inner, name)
        }
        (&Method::GET, ["v0", "functions"]) => listing::list_functions(&inner, &query, paginated),
        (&Method::POST, ["v0", "functions"]) => resources::create_function(&mut inner, body),
        (&Method::GET, ["v0", "functions", name]) => resources::get_function(&inner, name),
        (&Method::PUT, ["v0", "functions", name]) => {
            resources::update_function(&mut inner, name, body)
        }
        (&Method::DELETE, ["v0", "functions", name]) => {
            resources::delete_function(&mut inner, name)
        }
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "ROUTE_NOT_FOUND",
            format!("no route for {method} {}", uri.path()),
        )),
    }
}

fn check_auth(headers: &HeaderMap, key: &str) -> Result<(), ApiError> {
    let presented = ["authorization", "x-blaxel-authorization"]
        .iter()
        .filter_map(|name| headers.get(*name)?.to_str().ok())
        .filter_map(|value| value.strip_prefix("Bearer "))
        .any(|token| token.trim() == key);
    if presented {
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
