//! `GET /metrics` on a bind address of its own (`metrics.bind`, off by default; never the
//! public listener), through the public listener's accept loop and limits.

use std::sync::Arc;

use axum::http::header;
use axum::response::IntoResponse;

use crate::engine::Engine;

/// Connections the `/metrics` listener holds at once (within the descriptor budget's
/// reserve for the control socket), and from one scraper.
pub const MAX_CONNECTIONS: usize = 16;
const MAX_PER_CLIENT: usize = 8;

/// Serve `/metrics` on `listener` until the task is aborted, through the public listener's
/// accept loop: its header timeout, a connection cap and the request limits.
pub async fn serve(listener: tokio::net::TcpListener, engine: Arc<Engine>) {
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let engine = engine.clone();
            async move {
                (
                    [(
                        header::CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    engine.metrics().render(&engine.gauges()),
                )
                    .into_response()
            }
        }),
    );
    let app = super::request_limits(app).layer(axum::middleware::from_fn(super::limits::sizes));
    let limits = super::conn::ConnLimits {
        max_connections: MAX_CONNECTIONS,
        max_per_client: MAX_PER_CLIENT,
        max_per_network: MAX_CONNECTIONS,
        ..Default::default()
    };
    if let Err(e) = super::conn::serve(listener, app, std::future::pending(), limits).await {
        tracing::warn!(error = %e, "the metrics listener stopped");
    }
}
