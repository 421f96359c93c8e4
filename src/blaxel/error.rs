//! Errors of the Blaxel client and their classification for the provisioner's retries.
//!
//! Invariant: the client never retries; it classifies. An API error keeps Blaxel's own
//! `error`/`message` verbatim (a non-JSON body is kept as text), because the operator
//! reads them, except for the secrets of the request, which are taken out (an answer that
//! echoes the request would carry them): nothing here ever holds a secret.

use std::fmt;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::Value;

use crate::redact::Redactor;

/// Longest error body text kept from a non-JSON answer.
const MAX_TEXT_BODY: usize = 500;

/// A failed call to the Blaxel control plane.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BlaxelError {
    /// Blaxel answered with a non-success HTTP status.
    #[error("{}", ApiDisplay { status: *status, error, message: message.as_deref() })]
    Api {
        status: u16,
        /// Blaxel's `error` field (or the HTTP reason when the body had none).
        error: String,
        /// Blaxel's `message` field, or the raw body text when it was not JSON.
        message: Option<String>,
        /// Blaxel's `code` field, string or number, as text.
        code: Option<String>,
        /// Parsed `Retry-After-Ms` / `Retry-After` (seconds or HTTP date).
        retry_after: Option<Duration>,
    },
    /// No HTTP answer: connection refused or reset, DNS, TLS, or a timeout.
    #[error("{}", if *timeout { format!("Blaxel did not answer in time: {message}") } else { format!("could not reach Blaxel: {message}") })]
    Transport { message: String, timeout: bool },
    /// A success answer whose body is not what the API documents.
    #[error("unexpected answer from Blaxel ({status}): {message}")]
    Decode { status: u16, message: String },
    /// A request that cannot be built (e.g. a body that does not serialise).
    #[error("could not build the Blaxel request: {message}")]
    Request { message: String },
    /// Not sent: the client is fenced to the leader and this node does not lead now.
    #[error("not sent to Blaxel: {0}")]
    NotLeader(#[from] crate::store::NotLeader),
}

struct ApiDisplay<'a> {
    status: u16,
    error: &'a str,
    message: Option<&'a str>,
}

impl fmt::Display for ApiDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.status {
            429 => "Blaxel is rate limiting requests",
            500.. => "Blaxel failed to handle the request",
            _ => "Blaxel rejected the request",
        };
        let message = self.message.filter(|m| !m.is_empty() && *m != self.error);
        match (self.error.is_empty(), message) {
            (false, Some(message)) => {
                write!(f, "{what} ({} {}): {message}", self.status, self.error)
            }
            (true, Some(message)) => write!(f, "{what} ({}): {message}", self.status),
            (false, None) => write!(f, "{what} ({}): {}", self.status, self.error),
            (true, None) => write!(f, "{what} ({})", self.status),
        }
    }
}

impl BlaxelError {
    /// Worth retrying later: 408, 429, 5xx, or no answer at all.
    pub fn is_retryable(&self) -> bool {
        match self {
            BlaxelError::Api { status, .. } => matches!(status, 408 | 429 | 500..=599),
            BlaxelError::Transport { .. } => true,
            BlaxelError::Decode { .. }
            | BlaxelError::Request { .. }
            | BlaxelError::NotLeader(_) => false,
        }
    }

    /// Not sent because this node does not lead: the work stops, the tenant did nothing
    /// wrong.
    pub fn is_not_leader(&self) -> bool {
        matches!(self, BlaxelError::NotLeader(_))
    }

    /// `409 Conflict`: the name exists already, or a connection is still in use.
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409)
    }

    /// `401` or `403`: the key is not accepted (or may not do this).
    pub fn is_refused(&self) -> bool {
        matches!(self.status(), Some(401 | 403))
    }

    /// `404 Not Found`.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The request took longer than the client's timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, BlaxelError::Transport { timeout: true, .. })
    }

    /// How long Blaxel asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            BlaxelError::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            BlaxelError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Builds an [`BlaxelError::Api`] from a non-success answer, with the request's
    /// secrets taken out before anything is cut or kept.
    pub(crate) fn from_response(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        redactor: &Redactor,
    ) -> Self {
        let reason = status.canonical_reason().unwrap_or_default().to_owned();
        let body = redactor.redact(&String::from_utf8_lossy(body));
        let body = body.as_bytes();
        let (error, message, code) = match serde_json::from_slice::<ErrorBody>(body) {
            Ok(parsed) if parsed.error.is_some() || parsed.message.is_some() => (
                parsed.error.unwrap_or(reason),
                parsed.message,
                parsed.code.and_then(code_text),
            ),
            _ => {
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                let kept: String = text.chars().take(MAX_TEXT_BODY).collect();
                (reason, (!kept.is_empty()).then_some(kept), None)
            }
        };
        BlaxelError::Api {
            status: status.as_u16(),
            error,
            message,
            code,
            retry_after: parse_retry_after(headers, SystemTime::now()),
        }
        .redacted(redactor)
    }

    /// The same error with every text it holds passed through `redactor`.
    pub(crate) fn redacted(self, redactor: &Redactor) -> Self {
        let r = |t: String| redactor.redact(&t);
        match self {
            BlaxelError::Api {
                status,
                error,
                message,
                code,
                retry_after,
            } => BlaxelError::Api {
                status,
                error: r(error),
                message: redactor.redact_opt(message),
                code: redactor.redact_opt(code),
                retry_after,
            },
            BlaxelError::Transport { message, timeout } => BlaxelError::Transport {
                message: r(message),
                timeout,
            },
            BlaxelError::Decode { status, message } => BlaxelError::Decode {
                status,
                message: r(message),
            },
            BlaxelError::Request { message } => BlaxelError::Request {
                message: r(message),
            },
            BlaxelError::NotLeader(n) => BlaxelError::NotLeader(n),
        }
    }

    pub(crate) fn from_reqwest(err: &reqwest::Error) -> Self {
        if err.is_builder() {
            return BlaxelError::Request {
                message: err.to_string(),
            };
        }
        let mut message = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        BlaxelError::Transport {
            message,
            timeout: err.is_timeout(),
        }
    }
}

/// The spec's `Error` body, read loosely: `code` may be a number or a string.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    code: Option<Value>,
}

fn code_text(code: Value) -> Option<String> {
    match code {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The longest wait an upstream answer can ask for; a longer one is taken as this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// `Retry-After-Ms` (milliseconds, sent by some Blaxel front ends) wins over `Retry-After`
/// (delay in seconds, or an HTTP date; a date in the past means "now"). Read defensively:
/// a negative, NaN, infinite or unreadable value is ignored, and every wait is clamped to
/// [`MAX_RETRY_AFTER`].
pub(crate) fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        let max_ms = MAX_RETRY_AFTER.as_millis() as f64;
        return Some(Duration::from_secs_f64(ms.min(max_ms) / 1000.0));
    }
    let value = header("retry-after")?;
    let wait = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn retry_after_seconds_date_and_ms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let p = |pairs: &[(&'static str, &str)]| parse_retry_after(&headers(pairs), now);
        assert_eq!(p(&[("retry-after", "7")]), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(p(&[("retry-after", &later)]), Some(Duration::from_secs(30)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(p(&[("retry-after", &earlier)]), Some(Duration::ZERO));
        assert_eq!(
            p(&[("retry-after", "9"), ("retry-after-ms", "250")]),
            Some(Duration::from_millis(250))
        );
        assert_eq!(p(&[("retry-after", "soon")]), None);
        assert_eq!(p(&[]), None);
    }

    #[test]
    fn wild_waits_are_clamped_or_ignored() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let p = |pairs: &[(&'static str, &str)]| parse_retry_after(&headers(pairs), now);
        assert_eq!(p(&[("retry-after-ms", "1e300")]), Some(MAX_RETRY_AFTER));
        assert_eq!(
            p(&[("retry-after", "18446744073709551615")]),
            Some(MAX_RETRY_AFTER)
        );
        let far = httpdate::fmt_http_date(now + Duration::from_secs(10 * 365 * 86_400));
        assert_eq!(p(&[("retry-after", &far)]), Some(MAX_RETRY_AFTER));
        for bad in ["-5", "NaN", "inf", "-inf", "", "0x10", "1e"] {
            assert_eq!(p(&[("retry-after-ms", bad)]), None, "{bad}");
            assert_eq!(
                p(&[("retry-after-ms", bad), ("retry-after", "7")]),
                Some(Duration::from_secs(7)),
                "{bad} falls back to Retry-After"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn any_header_value_parses_without_panic_and_within_the_clamp(
            ms in "\\PC{0,40}",
            secs in "\\PC{0,40}",
            number in proptest::num::f64::ANY,
            whole in proptest::num::u64::ANY,
        ) {
            let now = SystemTime::now();
            for (a, b) in [
                (ms.as_str(), secs.as_str()),
                (&number.to_string(), &whole.to_string()),
                (&format!("{number:e}"), &format!("-{whole}")),
            ] {
                let mut map = HeaderMap::new();
                if let Ok(v) = HeaderValue::from_str(a) {
                    map.insert("retry-after-ms", v);
                }
                if let Ok(v) = HeaderValue::from_str(b) {
                    map.insert("retry-after", v);
                }
                if let Some(d) = parse_retry_after(&map, now) {
                    proptest::prop_assert!(d <= MAX_RETRY_AFTER, "{a:?} {b:?}: {d:?}");
                }
            }
        }
    }

    #[test]
    fn error_body_code_may_be_string_or_number() {
        let h = HeaderMap::new();
        let num = BlaxelError::from_response(
            StatusCode::CONFLICT,
            &h,
            br#"{"error":"Function with this name already exists","code":409}"#,
            &Redactor::default(),
        );
        assert!(matches!(&num, BlaxelError::Api { code: Some(c), .. } if c == "409"));
        assert!(num.is_conflict() && !num.is_retryable());
        assert_eq!(
            num.to_string(),
            "Blaxel rejected the request (409): Function with this name already exists"
        );
        let text = BlaxelError::from_response(
            StatusCode::BAD_REQUEST,
            &h,
            br#"{"error":"BAD_REQUEST","message":"name too long","code":"E_NAME"}"#,
            &Redactor::default(),
        );
        assert!(matches!(&text, BlaxelError::Api { code: Some(c), .. } if c == "E_NAME"));
        assert_eq!(
            text.to_string(),
            "Blaxel rejected the request (400 BAD_REQUEST): name too long"
        );
    }

    #[test]
    fn non_json_error_body_is_kept_as_text() {
        let err = BlaxelError::from_response(
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            b"<html>upstream down</html>",
            &Redactor::default(),
        );
        assert!(err.is_retryable());
        assert_eq!(
            err.to_string(),
            "Blaxel failed to handle the request (502 Bad Gateway): <html>upstream down</html>"
        );
        let empty = BlaxelError::from_response(
            StatusCode::REQUEST_TIMEOUT,
            &HeaderMap::new(),
            b"",
            &Redactor::default(),
        );
        assert!(empty.is_retryable());
        assert_eq!(
            empty.to_string(),
            "Blaxel rejected the request (408): Request Timeout"
        );
    }

    #[test]
    fn secrets_of_the_request_are_taken_out_before_the_text_is_cut() {
        let secret = "1//0gRefreshTokenValue";
        let r = Redactor::new([secret, "bl_key_value"]);
        // The cut at MAX_TEXT_BODY falls inside the secret: no prefix of it may remain.
        let body = format!(
            "{}{secret} Bearer bl_key_value",
            "x".repeat(MAX_TEXT_BODY - 8)
        );
        let err = BlaxelError::from_response(
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            body.as_bytes(),
            &r,
        );
        assert!(!err.to_string().contains("1//0g"), "{err}");
        let json = serde_json::json!({
            "error": "BAD_REQUEST",
            "message": format!("echo {{\"REFRESH_TOKEN\":\"{secret}\"}} auth Bearer bl_key_value"),
            "code": secret,
        });
        let err = BlaxelError::from_response(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            json.to_string().as_bytes(),
            &r,
        );
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains(secret) && !shown.contains("bl_key_value"),
            "{shown}"
        );
        assert!(shown.contains("[redacted]"), "{shown}");
    }
}
