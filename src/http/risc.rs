//! `POST /risc`: Google's security events (one Security Event Token per request, body
//! `application/secevent+jwt`), mounted when `google.risc` is on. Outside the customer
//! pages' guard (no per-client rate limit, no browser checks: Google is no browser and
//! sends from many addresses) but size- and time-limited, and a few at a time, so a flood
//! of bad tokens cannot take the listener from customers. 202 for a token taken (a
//! duplicate included), 400 for an invalid one, 503 when the transmitter's keys could
//! not be fetched (Google sends it again).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::limit::RequestBodyLimitLayer;

use crate::domain::actor::Actor;
use crate::engine::Engine;
use crate::engine::ops::risc::{ReceiveSecurityEvent, Received, Refused};
use crate::google::risc::RiscError;

pub const RISC_PATH: &str = "/risc";
/// A token is a few kilobytes at most.
pub const MAX_SET_BYTES: usize = 16 * 1024;
/// Tokens checked at once; more wait their turn.
pub const CONCURRENT_SETS: usize = 4;

/// The receiver's route, when `google.risc` is on.
pub fn router(engine: Arc<Engine>) -> Option<Router> {
    if !engine.config().google.risc {
        return None;
    }
    let app = Router::new()
        .route(RISC_PATH, post(receive))
        .with_state(engine)
        .layer(GlobalConcurrencyLimitLayer::new(CONCURRENT_SETS))
        .layer(RequestBodyLimitLayer::new(MAX_SET_BYTES));
    Some(super::request_limits(app))
}

async fn receive(State(engine): State<Arc<Engine>>, headers: HeaderMap, body: Bytes) -> Response {
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    if kind
        .as_deref()
        .is_some_and(|k| k != "application/secevent+jwt" && k != "application/jwt")
    {
        return (
            StatusCode::BAD_REQUEST,
            "expected application/secevent+jwt\n",
        )
            .into_response();
    }
    let Ok(token) = String::from_utf8(body.to_vec()) else {
        return (StatusCode::BAD_REQUEST, "not a token\n").into_response();
    };
    match engine
        .run(Actor::Google, ReceiveSecurityEvent { token })
        .await
    {
        Ok(Received::Accepted(_) | Received::Duplicate) => StatusCode::ACCEPTED.into_response(),
        Err(Refused::Risc(RiscError::Invalid(why))) => {
            tracing::warn!(%why, "a security event token was refused");
            (StatusCode::BAD_REQUEST, format!("{why}\n")).into_response()
        }
        Err(Refused::Risc(e @ RiscError::Unavailable(_))) => {
            tracing::error!(error = %e, "security events cannot be checked now");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        Err(Refused::Off) => StatusCode::NOT_FOUND.into_response(),
        Err(Refused::Engine(e)) => {
            tracing::error!(error = %e, "a security event could not be recorded");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
