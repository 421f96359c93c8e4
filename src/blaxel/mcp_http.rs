//! The HTTP side of the MCP check: rmcp's streamable HTTP client trait implemented on the
//! tree's one `reqwest` (0.12), for one check and one URL.
//!
//! Invariants: every request goes to the check's own URL and nowhere else (any other is
//! refused before it is sent; the client follows no redirect); bodies are read up to a
//! bound; the first failure of a request is kept, so the check reports the transport's or
//! the gateway's own words rather than rmcp's summary of them; every error is redacted
//! before rmcp sees it (rmcp logs the errors it is given). The check only asks: it
//! never opens the server's standing event stream (`GET`), so a server holds no
//! connection of ours once the check is over.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use futures_util::StreamExt as _;
use futures_util::stream::{self, BoxStream};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::common::http_header::{
    EVENT_STREAM_MIME_TYPE, HEADER_SESSION_ID, JSON_MIME_TYPE,
};
use rmcp::transport::streamable_http_client::{
    SseError, StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
};
use sse_stream::{Sse, SseStream};

use super::mcp_error::McpCheckError;
use crate::redact::Redactor;
use crate::store::Fence;

/// Largest body read from one answer (JSON, an event stream, or an error's text).
pub(super) const MAX_ANSWER_BYTES: usize = 1024 * 1024;

type Failed = StreamableHttpError<McpCheckError>;

/// A `reqwest` client bound to one check's URL, noting the first failure it meets.
#[derive(Clone)]
pub(super) struct McpHttp {
    http: reqwest::Client,
    url: Arc<str>,
    first_failure: Arc<Mutex<Option<McpCheckError>>>,
    /// Checked before every request (leader-only work: see [`crate::store::Fence`]).
    fence: Option<Fence>,
    /// Wipes the key from every error handed to rmcp.
    redactor: Redactor,
}

impl McpHttp {
    /// `http` must follow no redirect (see [`super::McpChecker`]).
    pub fn new(http: reqwest::Client, url: &str, fence: Option<Fence>, redactor: Redactor) -> Self {
        McpHttp {
            http,
            url: Arc::from(url),
            first_failure: Arc::default(),
            fence,
            redactor,
        }
    }

    /// The first failure met by a request of this check, if any.
    pub fn first_failure(&self) -> Option<McpCheckError> {
        self.slot().clone()
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<McpCheckError>> {
        self.first_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// `error`, redacted, kept if it is the first, and handed back for rmcp.
    fn failed(&self, error: McpCheckError) -> Failed {
        let error = self.wiped(error);
        self.slot().get_or_insert_with(|| error.clone());
        StreamableHttpError::Client(error)
    }

    /// `error` without the key, for rmcp (which logs it) without keeping it.
    fn wiped(&self, error: McpCheckError) -> McpCheckError {
        error.redacted(&self.redactor)
    }

    /// A request to the check's URL with the headers rmcp asks for; any other URL is
    /// refused here, before anything is sent.
    fn request(
        &self,
        method: Method,
        uri: &str,
        session_id: Option<&str>,
        bearer: Option<String>,
        headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<RequestBuilder, Failed> {
        if uri != &*self.url {
            return Err(self.failed(McpCheckError::Refused {
                url: uri.to_owned(),
                reason: format!(
                    "the check asked for another URL than its own ({})",
                    self.url
                ),
            }));
        }
        if self.fence.as_ref().is_some_and(|f| f.check().is_err()) {
            return Err(self.failed(McpCheckError::NotLeader));
        }
        let agent = match &self.fence {
            Some(f) => f.user_agent(),
            None => crate::store::fence::user_agent(None),
        };
        let mut builder = self.http.request(method, uri).header(USER_AGENT, agent);
        if let Some(token) = bearer {
            builder = builder.bearer_auth(token);
        }
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        if let Some(session) = session_id {
            builder = builder.header(HEADER_SESSION_ID, session);
        }
        Ok(builder)
    }

    async fn send(&self, builder: RequestBuilder) -> Result<Response, Failed> {
        builder.send().await.map_err(|e| self.failed(transport(&e)))
    }

    /// The whole body, up to [`MAX_ANSWER_BYTES`].
    async fn body(&self, mut response: Response) -> Result<Vec<u8>, Failed> {
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.failed(transport(&e)))?
        {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(self.failed(too_large()));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// A non-success answer as the check's error, with what its body says.
    async fn refused_by_server(&self, response: Response) -> Failed {
        let status = response.status();
        let headers = response.headers().clone();
        let body = match self.body(response).await {
            Ok(body) => body,
            Err(e) => return e,
        };
        self.failed(McpCheckError::from_answer(status, &headers, &body))
    }

    /// The answer's events, read as they come, failing past [`MAX_ANSWER_BYTES`].
    fn events(&self, response: Response) -> BoxStream<'static, Result<Sse, SseError>> {
        let this = self.clone();
        let chunks = stream::unfold((response, 0usize, false), move |(mut r, read, done)| {
            let this = this.clone();
            async move {
                if done {
                    return None;
                }
                match r.chunk().await {
                    Ok(Some(chunk)) if read + chunk.len() > MAX_ANSWER_BYTES => {
                        this.failed(too_large());
                        Some((Err(BodyError("answer too large".into())), (r, read, true)))
                    }
                    Ok(Some(chunk)) => {
                        let read = read + chunk.len();
                        Some((Ok::<Bytes, BodyError>(chunk), (r, read, false)))
                    }
                    Ok(None) => None,
                    Err(e) => {
                        let message = this.redactor.redact(&e.to_string());
                        this.failed(transport(&e));
                        Some((Err(BodyError(message)), (r, read, true)))
                    }
                }
            }
        });
        SseStream::from_bytes_stream(chunks.boxed()).boxed()
    }
}

impl StreamableHttpClient for McpHttp {
    type Error = McpCheckError;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, Failed> {
        let body = serde_json::to_vec(&message).map_err(|e| {
            self.failed(McpCheckError::Protocol {
                message: format!("could not write the request: {e}"),
            })
        })?;
        let builder = self
            .request(
                Method::POST,
                &uri,
                session_id.as_deref(),
                auth_header,
                custom_headers,
            )?
            .header(
                ACCEPT,
                format!("{JSON_MIME_TYPE}, {EVENT_STREAM_MIME_TYPE}"),
            )
            .header(CONTENT_TYPE, JSON_MIME_TYPE)
            .body(body);
        let response = self.send(builder).await?;
        let status = response.status();
        if matches!(status, StatusCode::ACCEPTED | StatusCode::NO_CONTENT) {
            return Ok(StreamableHttpPostResponse::Accepted);
        }
        if !status.is_success() {
            return Err(self.refused_by_server(response).await);
        }
        let session = header_text(response.headers(), HEADER_SESSION_ID);
        match media_type(response.headers()) {
            Some(t) if t.eq_ignore_ascii_case(EVENT_STREAM_MIME_TYPE) => Ok(
                StreamableHttpPostResponse::Sse(self.events(response), session),
            ),
            Some(t) if t.eq_ignore_ascii_case(JSON_MIME_TYPE) => {
                let body = self.body(response).await?;
                if body.is_empty() {
                    return Ok(StreamableHttpPostResponse::Accepted);
                }
                let message: ServerJsonRpcMessage = serde_json::from_slice(&body).map_err(|e| {
                    self.failed(McpCheckError::Protocol {
                        message: format!("the answer is not JSON-RPC: {e}"),
                    })
                })?;
                Ok(StreamableHttpPostResponse::Json(message, session))
            }
            other => Err(self.failed(McpCheckError::Protocol {
                message: format!(
                    "the answer's content type is {}, not JSON or an event stream",
                    other.unwrap_or_else(|| "missing".into())
                ),
            })),
        }
    }

    /// Ends the session the server opened; failures here are not the check's (its answer
    /// is in by then) and are not kept.
    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), Failed> {
        let builder = self.request(
            Method::DELETE,
            &uri,
            Some(&session_id),
            auth_header,
            custom_headers,
        )?;
        let response = builder
            .send()
            .await
            .map_err(|e| StreamableHttpError::Client(self.wiped(transport(&e))))?;
        let status = response.status();
        if status.is_success() || status == StatusCode::METHOD_NOT_ALLOWED {
            Ok(())
        } else {
            Err(StreamableHttpError::Client(self.wiped(
                McpCheckError::Http {
                    status: status.as_u16(),
                    code: None,
                    message: None,
                },
            )))
        }
    }

    /// The check never listens for what the server might send on its own.
    async fn get_stream(
        &self,
        _uri: Arc<str>,
        _session_id: Option<Arc<str>>,
        _last_event_id: Option<String>,
        _auth_header: Option<String>,
        _custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, Failed> {
        Err(StreamableHttpError::ServerDoesNotSupportSse)
    }
}

/// A body that failed while it was being read.
#[derive(Debug)]
struct BodyError(String);

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BodyError {}

fn transport(e: &reqwest::Error) -> McpCheckError {
    // reqwest's own text names the URL (the operator knows which server it is); its
    // causes say why (refused, reset, certificate), which the top alone often does not.
    let mut message = e.to_string();
    if let Some(url) = e.url() {
        message = message
            .replace(&format!(" for url ({url})"), "")
            .replace(&format!(" ({url})"), "");
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    McpCheckError::Transport { message }
}

fn too_large() -> McpCheckError {
    McpCheckError::Protocol {
        message: format!("the answer is larger than {MAX_ANSWER_BYTES} bytes"),
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_owned)
}

/// The media type of the answer, without parameters (`text/event-stream; charset=utf-8`).
fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = header_text(headers, CONTENT_TYPE.as_str())?;
    value.split(';').next().map(|t| t.trim().to_owned())
}
