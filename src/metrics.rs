//! What `GET /metrics` shows, in the Prometheus (OpenMetrics) text format (served by
//! `http::metrics` on a bind address of its own).
//!
//! Counters are kept by the code that does the work (callbacks, Blaxel steps); what the
//! owner knows at any moment (tenants by status, queue and outbox depth, store flushes) is
//! given at scrape time ([`Gauges`]).

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::domain::model::{Integration, TenantStatus};

/// What the owner knows at the moment of a scrape.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    pub by_status: BTreeMap<TenantStatus, usize>,
    /// Integrations of tenants by integration and status.
    pub by_integration: BTreeMap<(Integration, TenantStatus), usize>,
    /// Provisioning and offboarding jobs waiting or under way.
    pub queue: usize,
    /// Webhook events waiting for a receiver.
    pub outbox: usize,
    /// Flushes of the store so far.
    pub flushes: u64,
    /// Integrations whose MCP server is shown unreachable, by integration.
    pub mcp_unreachable: BTreeMap<Integration, usize>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Kind {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Status {
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct IntegrationStatus {
    pub integration: String,
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Of {
    pub integration: String,
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
    pub mcp_checks: Family<Result_, Counter>,
    pub mcp_check_seconds: Histogram,
    mcp_unreachable: Family<Of, Gauge>,
    tenants: Family<Status, Gauge>,
    integrations: Family<IntegrationStatus, Gauge>,
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
            mcp_checks: Family::default(),
            mcp_check_seconds: seconds(),
            mcp_unreachable: Family::default(),
            tenants: Family::default(),
            integrations: Family::default(),
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
        registry.register(
            "mcp_checks",
            "Checks of MCP servers (initialize, tools/list), by result (usable, failed)",
            m.mcp_checks.clone(),
        );
        registry.register(
            "mcp_check_seconds",
            "Time an MCP check took",
            m.mcp_check_seconds.clone(),
        );
        registry.register(
            "mcp_unreachable",
            "Integrations whose MCP server failed health.mcp_failures checks in a row",
            m.mcp_unreachable.clone(),
        );
        registry.register("tenants", "Tenants by status", m.tenants.clone());
        registry.register(
            "integrations",
            "Integrations of tenants by integration and status",
            m.integrations.clone(),
        );
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
    /// The text a scrape gets, with `now`'s figures.
    pub fn render(&self, now: &Gauges) -> String {
        for s in TenantStatus::ALL {
            let n = now.by_status.get(&s).copied().unwrap_or(0);
            self.tenants
                .get_or_create(&Status {
                    status: s.as_str().to_owned(),
                })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        for i in Integration::all() {
            for s in TenantStatus::ALL {
                let n = now.by_integration.get(&(i, s)).copied().unwrap_or(0);
                self.integrations
                    .get_or_create(&IntegrationStatus {
                        integration: i.name().to_owned(),
                        status: s.as_str().to_owned(),
                    })
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
        }
        for i in Integration::all() {
            let n = now.mcp_unreachable.get(&i).copied().unwrap_or(0);
            self.mcp_unreachable
                .get_or_create(&Of {
                    integration: i.name().to_owned(),
                })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        self.queue.set(i64::try_from(now.queue).unwrap_or(i64::MAX));
        self.outbox
            .set(i64::try_from(now.outbox).unwrap_or(i64::MAX));
        let flushed = now.flushes;
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

    /// One MCP check done (`usable` or `failed`).
    pub fn observe_mcp(&self, usable: bool, took: Duration) {
        let result = if usable { "usable" } else { "failed" };
        self.mcp_checks
            .get_or_create(&Result_ {
                result: result.to_owned(),
            })
            .inc();
        self.mcp_check_seconds.observe(took.as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrations_are_counted_by_integration_and_status() {
        let mut now = Gauges::default();
        now.by_integration
            .insert((Integration::GoogleDrive, TenantStatus::Deployed), 2);
        let text = Metrics::default().render(&now);
        assert!(
            text.contains(
                "mcp_onboard_integrations{integration=\"google-drive\",status=\"deployed\"} 2"
            ),
            "{text}"
        );
        assert!(
            text.contains("mcp_onboard_integrations{integration=\"gmail\",status=\"deployed\"} 0"),
            "{text}"
        );
    }
}
