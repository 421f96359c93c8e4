//! The owner runtime as one library call: take the database lock, open the store and the
//! engine, and run the listener, the provisioner, the sweepers, the token and MCP checks
//! and the control socket until [`Owner::shutdown`]. `serve` and the console both use it.
//! Nothing here writes to stdout or stderr: what a face shows comes from [`Owner::info`]
//! and the engine's events.

mod audit_head;
pub mod led;
pub mod mcp_rounds;
pub mod provisioning;
pub mod sample;
pub mod setup;
mod webhooks;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use axum::Router;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::control;
use crate::domain::actor::{Actor, Worker};
use crate::engine::ops::admin::Sweep;
use crate::engine::ops::health_round::CheckRound;
use crate::engine::ops::reconcile::FindDrift;
use crate::engine::{Engine, Parts, Placement};
use crate::http::{self, RateLimit};
use crate::sandbox::google::{GoogleSandbox, SandboxGoogleConfig};
use crate::store::KeySource;
use crate::time::now_ms;

/// Where the demo mounts the Google stand-in on its own listener.
pub const DEMO_GOOGLE_PREFIX: &str = "/sandbox/google";
pub const DEMO_CLIENT_ID: &str = "demo-client.apps.sandbox";
pub const DEMO_CLIENT_SECRET: &str = "demo-secret";
/// The account the demo's Google stand-in offers on its consent page.
pub const DEMO_CUSTOMER_EMAIL: &str = "customer@example.com";
/// Flows and their tombstones are kept this long after they were made or used.
const FLOW_KEEP_MS: i64 = 3_600_000;
const SWEEP_EVERY: Duration = Duration::from_secs(300);
/// Who the token check rounds are done for.
const CHECKS: Actor = Actor::System(Worker::TokenChecks);

/// What the owner needs to start.
pub struct OwnerOptions {
    pub data_dir: PathBuf,
    pub key: KeySource,
    pub config: Arc<Config>,
    /// Mount the Google and Blaxel stand-ins and provision against them.
    pub demo: bool,
    /// A listener bound already (tests); otherwise `listener.bind` is bound.
    pub listener: Option<tokio::net::TcpListener>,
}

/// What a face may tell its operator about the running owner.
#[derive(Debug, Clone)]
pub struct OwnerInfo {
    pub bind: SocketAddr,
    pub public_url: String,
    pub redirect_uri: String,
    pub data_dir: PathBuf,
    pub demo: bool,
    pub pid: u32,
}

pub struct Owner {
    engine: Arc<Engine>,
    info: OwnerInfo,
    stop: watch::Sender<bool>,
    http: JoinHandle<std::io::Result<()>>,
    tasks: Vec<JoinHandle<()>>,
    listener_stats: Arc<http::conn::ConnStats>,
    drain: Duration,
    tls: Option<http::tls::Tls>,
}

impl Owner {
    /// Start everything. Fails with a clear message when the database is held by another
    /// process, the address is taken, or the data dir is too open.
    pub async fn start(mut opts: OwnerOptions) -> Result<Self> {
        opts.config.check_for_serving(opts.demo)?;
        let descriptors = http::budget::raise_limit();
        let provisioning = provisioning::prepare(&opts)?;
        let parts = Parts {
            placement: Placement::Serving,
            blaxel: provisioning.as_ref().ok().map(|p| p.client.clone()),
            setup: setup::lines(&opts.config, opts.demo),
            demo: opts.demo,
        };
        let engine =
            Engine::open_with(&opts.data_dir, &opts.key, opts.config.clone(), parts).await?;
        let bind = opts.config.listener.bind;
        let listener = match opts.listener.take() {
            Some(l) => l,
            None => http::conn::bind(bind).with_context(|| {
                format!(
                    "cannot listen on {bind}; set [listener].bind or MCP_ONBOARD_BIND to a free address"
                )
            })?,
        };
        let addr = listener.local_addr().context("listener address")?;
        engine.listening_on(&addr.to_string());
        let socket = control::bind(&opts.data_dir).with_context(|| {
            format!(
                "cannot create the control socket in {}",
                opts.data_dir.display()
            )
        })?;
        let extra = if opts.demo {
            let google = GoogleSandbox::new(SandboxGoogleConfig {
                client_id: DEMO_CLIENT_ID.into(),
                client_secret: DEMO_CLIENT_SECRET.into(),
                redirect_uris: vec![opts.config.redirect_uri().to_string()],
                default_email: DEMO_CUSTOMER_EMAIL.into(),
            });
            Some(
                Router::new()
                    .nest(DEMO_GOOGLE_PREFIX, google.router())
                    .merge(provisioning::demo_blaxel(&opts)?),
            )
        } else {
            None
        };
        let rate = RateLimit {
            per_minute: opts.config.listener.rate_limit_per_minute,
            burst: opts.config.listener.rate_limit_burst,
        };
        let app = http::router(engine.clone(), rate, extra);
        let (stop, mut stop_rx) = watch::channel(false);
        let tls = match &opts.config.listener.tls {
            Some((cert, key)) => Some(
                http::tls::Tls::new(cert, key)
                    .map_err(|e| anyhow::anyhow!("{e} (listener.tls_cert, listener.tls_key)"))?,
            ),
            None => None,
        };
        let limits = http::conn_limits_with(&opts.config.listener, tls.clone());
        http::budget::report(descriptors, limits.max_connections);
        let listener_stats = limits.stats.clone();
        let drain = limits.drain;
        let http = tokio::spawn(http::serve(
            listener,
            app,
            async move {
                let _ = stop_rx.wait_for(|s| *s).await;
            },
            limits,
        ));
        let leads = engine.leadership();
        let e = engine.clone();
        let mut tasks = vec![
            tokio::spawn(control::serve(socket, engine.clone())),
            led::spawn(
                leads.clone(),
                "sweeper",
                move || sweep(e.clone()),
                led::nothing,
            ),
            tokio::spawn(audit_head::log_daily(engine.clone())),
        ];
        if let Some(p) = provisioning::start(&engine, provisioning).await {
            tasks.push(p);
            if let Some(every) = opts.config.provision.reconcile_interval {
                let e = engine.clone();
                let rounds = move || reconcile_rounds(e.clone(), every);
                tasks.push(led::spawn(leads.clone(), "reconcile", rounds, led::nothing));
            }
        }
        if let Some(at) = opts.config.metrics_bind {
            let l = http::conn::bind(at)
                .with_context(|| format!("cannot listen for metrics on {at} (metrics.bind)"))?;
            tracing::info!(%at, "metrics served");
            tasks.push(tokio::spawn(http::metrics::serve(l, engine.clone())));
        }
        if !opts.config.webhooks.is_empty() {
            let e = engine.clone();
            let run = move || webhooks::run(e.clone());
            tasks.push(led::spawn(leads.clone(), "webhooks", run, led::nothing));
        }
        if engine.checks_mcp() {
            let (e, every) = (engine.clone(), opts.config.health.mcp_interval);
            let run = move || mcp_rounds::run(e.clone(), every);
            tasks.push(led::spawn(leads.clone(), "MCP checks", run, led::nothing));
        }
        if let Some(every) = opts.config.health.interval
            && engine.consent_disabled().is_none()
        {
            let e = engine.clone();
            let rounds = move || health_rounds(e.clone(), every);
            tasks.push(led::spawn(leads, "token checks", rounds, led::nothing));
        }
        tracing::info!(%addr, "serving");
        let info = OwnerInfo {
            bind: addr,
            public_url: opts.config.listener.public_url.to_string(),
            redirect_uri: opts.config.redirect_uri().to_string(),
            data_dir: opts.data_dir.clone(),
            demo: opts.demo,
            pid: std::process::id(),
        };
        Ok(Self {
            engine,
            info,
            stop,
            http,
            tasks,
            listener_stats,
            drain,
            tls,
        })
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    pub fn info(&self) -> &OwnerInfo {
        &self.info
    }

    /// What the listener is doing (requests in flight), readable while it stops too.
    pub fn listener_stats(&self) -> Arc<http::conn::ConnStats> {
        self.listener_stats.clone()
    }

    /// Read the TLS certificate and key again (SIGHUP); `Ok(false)` when TLS is off.
    pub fn reload_tls(&self) -> Result<bool, String> {
        match &self.tls {
            Some(t) => t.reload().map(|()| true),
            None => Ok(false),
        }
    }

    /// How long a stop waits for requests in flight.
    pub fn drain_time(&self) -> Duration {
        self.drain
    }

    /// Resolves with the reason once the store stops taking writes (a disk error): the
    /// owner cannot go on safely and should stop.
    pub async fn store_failed(&self) -> String {
        loop {
            if let Some(why) = self.engine.store_failure() {
                return why;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Stop accepting, let requests in flight finish (at most `grace`), stop the workers,
    /// remove the control socket, and flush. Whatever was acknowledged is on disk.
    pub async fn shutdown(self, grace: Duration) -> Result<()> {
        tracing::info!("shutting down");
        let _ = self.stop.send(true);
        // The listener cuts what is left after its own drain time; this is a backstop.
        let served =
            match tokio::time::timeout(grace.max(self.drain) + Duration::from_secs(5), self.http)
                .await
            {
                Ok(Ok(r)) => r.context("listener failed"),
                Ok(Err(e)) => Err(anyhow::anyhow!("listener task failed: {e}")),
                Err(_) => {
                    tracing::warn!(
                        ?grace,
                        "requests still running after the grace period were cut"
                    );
                    Ok(())
                }
            };
        for t in &self.tasks {
            t.abort();
        }
        let _ = std::fs::remove_file(control::socket_path(&self.info.data_dir));
        self.engine
            .shutdown(grace)
            .await
            .context("flushing the database")?;
        served
    }
}

/// A reconcile pass soon after start (once provisioning had a moment), then every
/// `every`: what it finds is logged for the operator, nothing is changed.
async fn reconcile_rounds(engine: Arc<Engine>, every: Duration) {
    let mut wait = every.min(Duration::from_secs(60));
    loop {
        tokio::time::sleep(wait).await;
        wait = every;
        match engine
            .run(Actor::System(Worker::Reconcile), FindDrift)
            .await
        {
            Ok(found) if found.is_empty() => tracing::info!("reconcile: no drift"),
            Ok(found) => {
                for f in &found {
                    tracing::warn!(kind = %f.kind, resource = %f.resource, name = %f.name, slug = ?f.slug, detail = %f.detail, "drift");
                }
                tracing::warn!(
                    findings = found.len(),
                    "reconcile: drift found; `mcp-onboard reconcile` shows it"
                );
            }
            Err(e) => tracing::warn!(error = %e, "reconcile failed"),
        }
    }
}

/// A round of token checks every `every`, jittered by a fifth either way so that many
/// owners (or restarts) do not ask Google at the same moment. While the alarm about an
/// OAuth client is raised, a round probes it with one tenant and checks no other token
/// through it unless that works (see [`CheckRound`]).
async fn health_rounds(engine: Arc<Engine>, every: Duration) {
    use rand::Rng;
    // The first round comes soon after start (within a few minutes, or the interval if
    // shorter): an owner restarted more often than the interval still checks.
    let mut wait = {
        let soon = Duration::from_secs(rand::thread_rng().gen_range(60..300));
        soon.min(every.mul_f64(rand::thread_rng().gen_range(0.8..1.2)))
    };
    loop {
        tokio::time::sleep(wait).await;
        wait = every.mul_f64(rand::thread_rng().gen_range(0.8..1.2));
        let slugs = engine.checkable();
        let (checks, skipped) = engine.run(CHECKS, CheckRound { slugs }).await;
        let revoked = checks
            .iter()
            .filter(|c| c.health == crate::domain::health::Health::NeedsReconsent)
            .count();
        tracing::info!(
            checked = checks.len(),
            revoked,
            not_checked = skipped.len(),
            "token check round done"
        );
    }
}

/// Drop old flows and their tombstones, and links that expired, from time to time.
async fn sweep(engine: Arc<Engine>) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    loop {
        tick.tick().await;
        let sweep = Sweep {
            before: now_ms() - FLOW_KEEP_MS,
        };
        let res = engine.run(Actor::System(Worker::Sweeper), sweep).await;
        match res {
            Ok(n) if n > 0 => tracing::debug!(swept = n, "old OAuth flows dropped"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "sweeping old OAuth flows failed"),
        }
    }
}
