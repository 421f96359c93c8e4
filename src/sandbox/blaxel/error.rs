//! The sandbox's error answer: a status and a JSON `{error, message, code}` body, as the
//! real API sends, with `Retry-After` (and `Retry-After-Ms`) on a 429.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

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
