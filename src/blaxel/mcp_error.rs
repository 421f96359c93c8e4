//! Why an MCP check failed, in five kinds an operator can act on, and how an HTTP answer
//! that is not a success becomes one of them.
//!
//! Invariant: every text here came from outside and went through the check's
//! [`Redactor`] (the Blaxel key, in any form, and any `Bearer` token are taken out) and
//! then [`crate::text::clean`], in that order, so a cut never leaves part of the key.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::redact::Redactor;
use crate::text::clean;

/// Header in which Blaxel's gateway names its error code.
const ERROR_CODE_HEADER: &str = "x-blaxel-error-code";

/// A failed MCP check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum McpCheckError {
    /// Nothing was sent: the URL is not one the key may go to (not https off loopback,
    /// credentials in it, unreadable), or the check asked for another URL than its own.
    #[error("refused to send the Blaxel key to {url}: {reason}")]
    Refused { url: String, reason: String },
    /// No HTTP answer: connection refused or reset, DNS, TLS, a body cut short.
    #[error("could not reach the MCP server: {message}")]
    Transport { message: String },
    /// An HTTP answer other than a success (a redirect included: none is followed), with
    /// the code and message of Blaxel's gateway or the server when they gave them.
    #[error("{}", HttpDisplay { status: *status, code: code.as_deref(), message: message.as_deref() })]
    Http {
        status: u16,
        code: Option<String>,
        message: Option<String>,
    },
    /// An answer that is not the MCP expected: not JSON-RPC, an unexpected content type,
    /// or a JSON-RPC error to `initialize` or `tools/list`.
    #[error("the MCP server's answer is not usable: {message}")]
    Protocol { message: String },
    /// Nothing was sent: the check is leader-only work and this node does not lead now
    /// (the leader checks; this is no verdict on the server).
    #[error("{}", crate::store::NotLeader)]
    NotLeader,
    /// `initialize` and `tools/list` did not both finish within the check's time.
    #[error("the MCP server did not answer within {}", humantime::format_duration(*after))]
    Timeout {
        #[serde(with = "millis")]
        after: Duration,
    },
}

struct HttpDisplay<'a> {
    status: u16,
    code: Option<&'a str>,
    message: Option<&'a str>,
}

impl fmt::Display for HttpDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the MCP server answered HTTP {}", self.status)?;
        if let Some(code) = self.code.filter(|c| !c.is_empty()) {
            write!(f, " {code}")?;
        }
        match self.message.filter(|m| !m.is_empty()) {
            Some(message) => write!(f, ": {message}"),
            None => Ok(()),
        }
    }
}

impl McpCheckError {
    /// The same error with every text passed through `redactor`, then made safe to show.
    pub(super) fn redacted(self, redactor: &Redactor) -> Self {
        let r = |t: String| clean(&redactor.redact(&t));
        match self {
            McpCheckError::Refused { url, reason } => McpCheckError::Refused {
                url: r(url),
                reason: r(reason),
            },
            McpCheckError::Transport { message } => McpCheckError::Transport {
                message: r(message),
            },
            McpCheckError::Http {
                status,
                code,
                message,
            } => McpCheckError::Http {
                status,
                code: code.map(r),
                message: message.map(r),
            },
            McpCheckError::Protocol { message } => McpCheckError::Protocol {
                message: r(message),
            },
            same @ (McpCheckError::Timeout { .. } | McpCheckError::NotLeader) => same,
        }
    }

    /// An answer with a non-success status. Blaxel's gateway writes `{"error": {"code",
    /// "message", ...}}` (and the code in `X-Blaxel-Error-Code`), its control plane
    /// `{"error": "...", "message": "..."}`, a JSON-RPC server `{"error": {"code": -32600,
    /// "message": "..."}}`; anything else is kept as text. A redirect says where to.
    pub(super) fn from_answer(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        let header_code = headers
            .get(ERROR_CODE_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (code, message) = match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => match map.get("error") {
                Some(Value::Object(error)) => (
                    error.get("code").and_then(code_text),
                    error.get("message").and_then(text),
                ),
                Some(Value::String(error)) => {
                    (Some(error.clone()), map.get("message").and_then(text))
                }
                _ => (None, map.get("message").and_then(text)),
            },
            _ => (None, body_text(body)),
        };
        let message = match (status.is_redirection(), headers.get(LOCATION)) {
            (true, Some(to)) => Some(format!(
                "a redirect to {} (not followed: the key goes only to the URL Blaxel gave)",
                String::from_utf8_lossy(to.as_bytes())
            )),
            _ => message.or_else(|| status.canonical_reason().map(str::to_owned)),
        };
        McpCheckError::Http {
            status: status.as_u16(),
            code: code.or(header_code),
            message,
        }
    }
}

fn code_text(code: &Value) -> Option<String> {
    match code {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

fn body_text(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// A duration as whole milliseconds.
pub(super) mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn the_gateways_envelope_the_control_planes_and_json_rpc_errors_give_code_and_message() {
        let mut h = HeaderMap::new();
        h.insert(
            ERROR_CODE_HEADER,
            HeaderValue::from_static("WORKLOAD_UNAVAILABLE"),
        );
        let gateway = br#"{"error":{"code":"WORKLOAD_UNAVAILABLE","message":"The MCP server is starting","retryable":true,"status":404}}"#;
        let err = McpCheckError::from_answer(StatusCode::NOT_FOUND, &h, gateway);
        assert_eq!(
            err.to_string(),
            "the MCP server answered HTTP 404 WORKLOAD_UNAVAILABLE: The MCP server is starting"
        );
        let plane = br#"{"error":"AUTHENTICATION_FAILED","message":"Invalid credentials"}"#;
        let err = McpCheckError::from_answer(StatusCode::UNAUTHORIZED, &HeaderMap::new(), plane);
        assert_eq!(
            err.to_string(),
            "the MCP server answered HTTP 401 AUTHENTICATION_FAILED: Invalid credentials"
        );
        let rpc = br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Bad session"}}"#;
        let err = McpCheckError::from_answer(StatusCode::BAD_REQUEST, &HeaderMap::new(), rpc);
        assert_eq!(
            err.to_string(),
            "the MCP server answered HTTP 400 -32600: Bad session"
        );
        let text = McpCheckError::from_answer(StatusCode::BAD_GATEWAY, &h, b" <h1>down</h1> ");
        assert_eq!(
            text.to_string(),
            "the MCP server answered HTTP 502 WORKLOAD_UNAVAILABLE: <h1>down</h1>"
        );
        let empty =
            McpCheckError::from_answer(StatusCode::SERVICE_UNAVAILABLE, &HeaderMap::new(), b"");
        assert_eq!(
            empty.to_string(),
            "the MCP server answered HTTP 503: Service Unavailable"
        );
    }

    #[test]
    fn a_redirect_says_where_to_and_that_it_was_not_followed() {
        let mut h = HeaderMap::new();
        h.insert(
            LOCATION,
            HeaderValue::from_static("https://elsewhere.example/mcp"),
        );
        let err = McpCheckError::from_answer(StatusCode::TEMPORARY_REDIRECT, &h, b"");
        let shown = err.to_string();
        assert!(
            shown.contains("HTTP 307") && shown.contains("https://elsewhere.example/mcp"),
            "{shown}"
        );
        assert!(shown.contains("not followed"), "{shown}");
    }

    #[test]
    fn every_text_loses_the_key_before_it_is_cut_and_controls_go() {
        let key = "bl_live_key_0123456789";
        let r = Redactor::new([key]);
        let long = format!("{}{key} and Bearer other_token\u{1b}[2J", "x".repeat(495));
        let errors = [
            McpCheckError::Refused {
                url: format!("http://h/?k={key}"),
                reason: long.clone(),
            },
            McpCheckError::Transport {
                message: long.clone(),
            },
            McpCheckError::Http {
                status: 400,
                code: Some(key.into()),
                message: Some(long.clone()),
            },
            McpCheckError::Protocol {
                message: format!("echo {key} Bearer other_token\u{1b}[2J"),
            },
        ];
        for err in errors {
            let shown = format!("{} {:?}", err.clone().redacted(&r), err.redacted(&r));
            assert!(
                !shown.contains("bl_live") && !shown.contains("other_token"),
                "{shown}"
            );
            assert!(!shown.contains('\u{1b}'), "{shown}");
        }
    }

    #[test]
    fn errors_round_trip_as_json_with_their_kind() {
        let err = McpCheckError::Timeout {
            after: Duration::from_millis(1500),
        };
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "timeout", "after": 1500}));
        assert_eq!(serde_json::from_value::<McpCheckError>(json).unwrap(), err);
        assert_eq!(
            err.to_string(),
            "the MCP server did not answer within 1s 500ms"
        );
    }
}
