//! Each deployed function's MCP endpoint, `{run_url}/{workspace}/functions/{name}/mcp`:
//! the checks Blaxel's gateway makes, then rmcp's streamable HTTP server for the
//! function's integration (stateful: `initialize` opens a session, `DELETE` ends it).
//!
//! Invariants: every request is logged and counted in flight before anything else; the
//! gateway's refusals use its documented envelope (`{"error": {"code", "message", ...}}`,
//! `X-Blaxel-Source`, `X-Blaxel-Error-Code`); the key must come as a bearer token and the
//! workspace both in the path and in `X-Blaxel-Workspace` (Blaxel makes the header optional
//! here; the stand-in asks for it, so a client that forgets it fails its tests); only a
//! `DEPLOYED` function answers.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::mcp_endpoints::Service;
use super::state::{BlaxelSandboxState, McpLoggedRequest};
use super::validate::key_presented;
use crate::blaxel::{Status, WORKSPACE_HEADER};

/// Largest request body an MCP endpoint reads.
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// The handler of every function's MCP endpoint.
pub(super) async fn endpoint(
    State(state): State<BlaxelSandboxState>,
    Path((workspace, function)): Path<(String, String)>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(body) => body,
        Err(_) => {
            return gateway(
                StatusCode::PAYLOAD_TOO_LARGE,
                "REQUEST_ENTITY_TOO_LARGE",
                "request too large",
            )
            .into_response();
        }
    };
    let admitted = Admitted::new(&state, &parts.method, &function, &parts.headers, &body);
    let latency = state.lock().mcp_faults.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let response = match route(&state, &workspace, &function, &parts.headers) {
        Ok(service) => service
            .handle(Request::from_parts(parts, Body::from(body)))
            .await
            .map(Body::new),
        Err(refused) => refused.into_response(),
    };
    admitted.answered(&state, response.status());
    response
}

/// The function's service, or the gateway's (or the failing server's) answer.
fn route(
    state: &BlaxelSandboxState,
    workspace: &str,
    function: &str,
    headers: &HeaderMap,
) -> Result<Service, Refusal> {
    let inner = state.lock();
    let faults = inner.mcp_faults.clone();
    if faults.wrong_key || !key_presented(headers, inner.settings.api_key.expose_secret()) {
        return Err(gateway(
            StatusCode::UNAUTHORIZED,
            "AUTHENTICATION_FAILED",
            "Unauthorized - Invalid or missing authentication credentials",
        ));
    }
    let sent = headers.get(WORKSPACE_HEADER).and_then(|v| v.to_str().ok());
    if workspace != inner.settings.workspace || sent.is_some_and(|ws| ws != workspace) {
        return Err(gateway(
            StatusCode::NOT_FOUND,
            "WORKSPACE_NOT_FOUND",
            format!("workspace {workspace} not found"),
        ));
    }
    if sent.is_none() {
        return Err(gateway(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "no workspace given: set the X-Blaxel-Workspace header",
        ));
    }
    let Some(stored) = inner.functions.get(function) else {
        return Err(gateway(
            StatusCode::NOT_FOUND,
            "WORKLOAD_NOT_FOUND",
            format!("function {function} not found"),
        ));
    };
    let status = inner.status_of(function, stored, Instant::now());
    if faults.unreachable || status != Status::Deployed {
        return Err(gateway(
            StatusCode::NOT_FOUND,
            "WORKLOAD_UNAVAILABLE",
            format!("function {function} is not reachable ({status})"),
        ));
    }
    if faults.server_error {
        return Err(gateway(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "injected MCP server error",
        ));
    }
    let integration = stored
        .body
        .pointer("/spec/integrationConnections/0")
        .and_then(Value::as_str)
        .and_then(|c| inner.connections.get(c))
        .and_then(|c| c.body.pointer("/spec/integration"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    match state.mcp.service(integration) {
        Some(service) => Ok(service),
        None => Err(gateway(
            StatusCode::NOT_FOUND,
            "WORKLOAD_UNAVAILABLE",
            format!("function {function} has no MCP server for integration {integration:?}"),
        )),
    }
}

/// An error answer in the gateway's envelope.
struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
}

fn gateway(status: StatusCode, code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        code,
        message: message.into(),
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = json!({"error": {
            "code": self.code,
            "message": self.message,
            "origin": "platform",
            "retryable": self.code == "WORKLOAD_UNAVAILABLE",
            "status": self.status.as_u16(),
        }});
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert("x-blaxel-source", HeaderValue::from_static("platform"));
        headers.insert("x-blaxel-error-code", HeaderValue::from_static(self.code));
        response
    }
}

/// A request logged and counted in flight until it is answered.
struct Admitted {
    index: usize,
    state: BlaxelSandboxState,
}

impl Admitted {
    fn new(
        state: &BlaxelSandboxState,
        method: &axum::http::Method,
        function: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Self {
        let rpc_method = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("method")?.as_str().map(str::to_owned));
        let mut inner = state.lock();
        let key_presented = key_presented(headers, inner.settings.api_key.expose_secret());
        inner.mcp_log.push(McpLoggedRequest {
            method: method.to_string(),
            function: function.to_owned(),
            rpc_method,
            workspace: headers
                .get(WORKSPACE_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            key_presented,
            status: 0,
        });
        inner.mcp_in_flight += 1;
        inner.mcp_max_in_flight = inner.mcp_max_in_flight.max(inner.mcp_in_flight);
        Admitted {
            index: inner.mcp_log.len() - 1,
            state: state.clone(),
        }
    }

    fn answered(&self, state: &BlaxelSandboxState, status: StatusCode) {
        if let Some(entry) = state.lock().mcp_log.get_mut(self.index) {
            entry.status = status.as_u16();
        }
    }
}

impl Drop for Admitted {
    /// Also when the client went away before its answer.
    fn drop(&mut self) {
        let mut inner = self.state.lock();
        inner.mcp_in_flight = inner.mcp_in_flight.saturating_sub(1);
    }
}
