//! `serve`: own the database, serve the control socket and the public listener until
//! SIGINT/SIGTERM, then stop accepting, finish in-flight requests and flush.

use std::time::Duration;

use anyhow::{Context as _, Result};
use axum::Router;

use super::context::{Context, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_GOOGLE_PREFIX};
use crate::control;
use crate::http::{self, RateLimit};
use crate::sandbox::google::{GoogleSandbox, SandboxGoogleConfig};
use crate::time::now_ms;

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
    tracing::info!("shutdown requested");
}

pub async fn run(ctx: &Context) -> Result<()> {
    let engine = ctx.open_engine()?;
    let bind = ctx.config.listener.bind;
    let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| {
        format!(
            "cannot listen on {bind}; set [listener].bind or MCP_ONBOARD_BIND to a free address"
        )
    })?;
    let socket = control::bind(&ctx.data_dir).with_context(|| {
        format!(
            "cannot create the control socket in {}",
            ctx.data_dir.display()
        )
    })?;
    let extra = if ctx.demo {
        let google = GoogleSandbox::new(SandboxGoogleConfig {
            client_id: DEMO_CLIENT_ID.into(),
            client_secret: DEMO_CLIENT_SECRET.into(),
            redirect_uris: vec![ctx.config.redirect_uri().to_string()],
            default_email: "customer@example.com".into(),
        });
        Some(
            Router::new()
                .nest(DEMO_GOOGLE_PREFIX, google.router())
                .merge(super::provisioning::demo_blaxel(ctx)?),
        )
    } else {
        None
    };
    let rate = RateLimit {
        per_minute: ctx.config.listener.rate_limit_per_minute,
        burst: ctx.config.listener.rate_limit_burst,
    };
    let app = http::router(engine.clone(), rate, extra);
    let control_task = tokio::spawn(control::serve(socket, engine.clone()));
    let store = engine.store().clone();
    let sweeper = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(300));
        loop {
            tick.tick().await;
            if let Err(e) = store.sweep_flows(now_ms() - 3_600_000) {
                tracing::warn!(error = %e, "sweeping old OAuth flows failed");
            }
        }
    });
    println!(
        "mcp-onboard{} serving {} (listening on {bind})",
        if ctx.demo { " --demo" } else { "" },
        ctx.config.listener.public_url
    );
    println!("  redirect URI: {}", ctx.config.redirect_uri());
    println!("  data dir:     {}", ctx.data_dir.display());
    let provisioner = super::provisioning::start(ctx, &engine)?;
    println!("  other commands in another terminal reach this process; Ctrl-C stops it");
    tracing::info!(%bind, "serving");
    let served = http::serve(listener, app, shutdown_signal()).await;
    control_task.abort();
    if let Some(p) = provisioner {
        p.abort();
    }
    sweeper.abort();
    let _ = std::fs::remove_file(control::socket_path(&ctx.data_dir));
    engine.store().flush().await?;
    served.context("listener failed")?;
    println!("stopped");
    Ok(())
}
