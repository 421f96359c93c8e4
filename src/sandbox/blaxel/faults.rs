//! What happens to a request around its handling: it is logged, counted once for fault
//! injection and given the fault it meets, if any (see [`super::BlaxelFaults`] for the
//! order), it counts as in flight until it is answered, and its status is noted in the log.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::Value;

use super::error::ApiError;
use super::state::{BlaxelSandboxState, LoggedRequest};

enum Fault {
    Hang(Duration),
    RateLimit(Duration, Option<String>),
    Error,
    Echo,
    ApplyThenError,
}

/// A request logged and counted: where its log entry is, and what it meets.
pub(super) struct Admitted {
    index: usize,
    latency: Duration,
    fault: Option<Fault>,
    _in_flight: InFlight,
}

impl Admitted {
    /// Log the request, advance the counters and pick the fault for it, if any.
    pub fn new(
        state: &BlaxelSandboxState,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Self {
        let in_flight = InFlight::enter(state);
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
            user_agent: header("user-agent"),
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
        let hits = |every: Option<u64>, count: u64| {
            every.is_some_and(|e| e > 0 && count.is_multiple_of(e))
        };
        let f = &inner.settings.faults;
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
        Admitted {
            index,
            latency: f.latency,
            fault,
            _in_flight: in_flight,
        }
    }

    /// The answer: after the latency, the fault's, or what `handle` gives (which a fault
    /// may still turn into a 500 after it was applied).
    pub async fn answer(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        handle: impl FnOnce() -> Result<Value, ApiError>,
    ) -> Result<Value, ApiError> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        match &self.fault {
            Some(Fault::Hang(duration)) => {
                tokio::time::sleep(*duration).await;
                Err(ApiError::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    "GATEWAY_TIMEOUT",
                    "injected hang",
                ))
            }
            Some(Fault::RateLimit(wait, raw)) => Err(ApiError {
                retry_after: Some(*wait),
                retry_after_ms_raw: raw.clone(),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TOO_MANY_REQUESTS",
                    "injected rate limit",
                )
            }),
            Some(Fault::Error) => Err(internal_error()),
            Some(Fault::Echo) => Err(echo(headers, body)),
            Some(Fault::ApplyThenError) => handle().and_then(|_| Err(internal_error())),
            None => handle(),
        }
    }

    /// Note the status answered in the request's log entry.
    pub fn answered(&self, state: &BlaxelSandboxState, status: StatusCode) {
        if let Some(entry) = state.lock().log.get_mut(self.index) {
            entry.status = status.as_u16();
        }
    }
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
