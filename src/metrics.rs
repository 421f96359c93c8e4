//! `GET /metrics` in the Prometheus (OpenMetrics) text format, on a bind address of its own
//! (`metrics.bind`, off by default; never the public listener).
//!
//! Counters are kept by the code that does the work (callbacks, Blaxel steps); what the
//! owner knows at any moment (tenants by status, queue and outbox depth, store flushes) is
//! read at scrape time.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Kind {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Status {
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Result_ {
    pub result: String,
}

/// Everything `/metrics` shows.
pub struct Metrics {
    pub consents: Counter,
    pub consent_failures: Family<Kind, Counter>,
    pub callbacks: Counter,
    pub callback_seconds: Histogram,
    pub blaxel_calls: Family<Result_, Counter>,
    pub blaxel_seconds: Histogram,
    tenants: Family<Status, Gauge>,
    queue: Gauge,
    outbox: Gauge,
    flushes: Counter<u64, AtomicU64>,
    registry: Registry,
}

fn seconds() -> Histogram {
    Histogram::new([
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("mcp_onboard");
        let m = Self {
            consents: Counter::default(),
            consent_failures: Family::default(),
            callbacks: Counter::default(),
            callback_seconds: seconds(),
            blaxel_calls: Family::default(),
            blaxel_seconds: seconds(),
            tenants: Family::default(),
            queue: Gauge::default(),
            outbox: Gauge::default(),
            flushes: Counter::default(),
            registry: Registry::default(),
        };
        registry.register("consents", "Consents stored", m.consents.clone());
        registry.register(
            "consent_failures",
            "Consents refused or failed, by kind",
            m.consent_failures.clone(),
        );
        registry.register("callbacks", "OAuth callbacks answered", m.callbacks.clone());
        registry.register(
            "callback_seconds",
            "Time to answer an OAuth callback (the code exchange included)",
            m.callback_seconds.clone(),
        );
        registry.register(
            "blaxel_calls",
            "Provisioning and offboarding steps at Blaxel, by result",
            m.blaxel_calls.clone(),
        );
        registry.register(
            "blaxel_seconds",
            "Time a step at Blaxel took",
            m.blaxel_seconds.clone(),
        );
        registry.register("tenants", "Tenants by status", m.tenants.clone());
        registry.register(
            "provisioning_queue",
            "Provisioning and offboarding jobs waiting or under way",
            m.queue.clone(),
        );
        registry.register(
            "webhook_outbox",
            "Webhook events waiting for a receiver",
            m.outbox.clone(),
        );
        registry.register("store_flushes", "Flushes of the store", m.flushes.clone());
        Self { registry, ..m }
    }
}

impl Metrics {
    /// The text a scrape gets, with what the engine knows now.
    pub fn render(&self, engine: &crate::engine::Engine) -> String {
        let store = engine.store();
        {
            let node = store.node();
            let (_, counts) = node.counts();
            for s in crate::domain::model::TenantStatus::ALL {
                let n = counts.get(&s).copied().unwrap_or(0);
                self.tenants
                    .get_or_create(&Status {
                        status: s.as_str().to_owned(),
                    })
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
            self.queue
                .set(i64::try_from(node.jobs().active).unwrap_or(i64::MAX));
        }
        self.outbox
            .set(i64::try_from(store.outbox_len()).unwrap_or(i64::MAX));
        let flushed = store.stats().flushes;
        let seen = self.flushes.get();
        if flushed > seen {
            self.flushes.inc_by(flushed - seen);
        }
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }

    pub fn observe_blaxel(&self, result: &str, took: Duration) {
        self.blaxel_calls
            .get_or_create(&Result_ {
                result: result.to_owned(),
            })
            .inc();
        self.blaxel_seconds.observe(took.as_secs_f64());
    }
}

/// Connections the `/metrics` listener holds at once (within the descriptor budget's
/// reserve for the control socket), and from one scraper.
const MAX_CONNECTIONS: usize = 16;
const MAX_PER_CLIENT: usize = 8;

/// Serve `/metrics` on `listener` until the task is aborted, through the public listener's
/// accept loop: its header timeout, a connection cap and the request limits.
pub async fn serve(listener: tokio::net::TcpListener, engine: Arc<crate::engine::Engine>) {
    use crate::http;
    use axum::http::header;
    use axum::response::IntoResponse;
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
                    engine.metrics().render(&engine),
                )
                    .into_response()
            }
        }),
    );
    let app = http::request_limits(app).layer(axum::middleware::from_fn(http::limits::sizes));
    let limits = http::conn::ConnLimits {
        max_connections: MAX_CONNECTIONS,
        max_per_client: MAX_PER_CLIENT,
        max_per_network: MAX_CONNECTIONS,
        ..Default::default()
    };
    if let Err(e) = http::conn::serve(listener, app, std::future::pending(), limits).await {
        tracing::warn!(error = %e, "the metrics listener stopped");
    }
}
