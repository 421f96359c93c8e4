//! `serve`: run the owner runtime headless until SIGINT/SIGTERM, then stop accepting,
//! finish in-flight requests and flush. The banner is printed here, from what the owner
//! reports; the runtime itself never prints.

use std::time::Duration;

use anyhow::Result;

use super::instance::Instance;
use crate::owner::Owner;

/// How long requests in flight and the final flush may take after a stop signal.
pub const GRACE: Duration = Duration::from_secs(30);

pub async fn shutdown_signal() {
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

pub async fn run(instance: &Instance) -> Result<()> {
    instance.note_if_new().await;
    let owner = Owner::start(instance.owner_options()).await?;
    let info = owner.info().clone();
    println!(
        "mcp-onboard{} serving {} (listening on {}{})",
        if info.demo { " --demo" } else { "" },
        info.public_url,
        info.bind,
        if instance.config.listener.tls.is_some() {
            ", TLS; SIGHUP reloads the certificate"
        } else {
            ""
        }
    );
    println!("  redirect URI: {}", info.redirect_uri);
    println!("  data dir:     {}", info.data_dir.display());
    println!("  consent:      {}", owner.engine().describe_consent());
    println!("  token checks: {}", owner.engine().describe_health());
    println!(
        "  provisioning: {}",
        owner.engine().provisioner_state().describe()
    );
    println!("  other commands in another terminal reach this process; Ctrl-C stops it");
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let failed = loop {
        tokio::select! {
            () = shutdown_signal() => break None,
            why = owner.store_failed() => break Some(why),
            Some(()) = async {
                match hup.as_mut() {
                    Some(h) => h.recv().await,
                    None => std::future::pending().await,
                }
            } => match owner.reload_tls() {
                Ok(true) => {
                    tracing::info!("TLS certificate reloaded");
                    println!("TLS certificate reloaded");
                }
                Ok(false) => tracing::info!("SIGHUP: no TLS to reload"),
                Err(e) => {
                    tracing::error!(error = %e, "TLS certificate not reloaded; the old one stays");
                    eprintln!("TLS certificate not reloaded (the old one stays): {e}");
                }
            },
        }
    };
    let stats = owner.listener_stats();
    let wait = owner.drain_time();
    let in_flight = stats.in_flight();
    if in_flight > 0 {
        println!(
            "stopping: waiting up to {} for {in_flight} request{} in flight to finish, then flushing the database",
            crate::time::short_duration(wait),
            if in_flight == 1 { "" } else { "s" }
        );
    } else {
        println!("stopping: no requests in flight; flushing the database");
    }
    // While they finish, say now and then how many are left and how long at most.
    let progress = tokio::spawn({
        let stats = stats.clone();
        async move {
            let began = tokio::time::Instant::now();
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            tick.tick().await;
            loop {
                tick.tick().await;
                let n = stats.in_flight();
                if n == 0 {
                    break;
                }
                let left = wait.saturating_sub(began.elapsed());
                println!(
                    "stopping: still waiting for {n} request{} ({} at most)",
                    if n == 1 { "" } else { "s" },
                    crate::time::short_duration(left)
                );
            }
        }
    });
    let done = owner.shutdown(GRACE).await;
    progress.abort();
    let cut = stats.cut();
    if cut > 0 {
        println!(
            "{cut} request{} still running after {} {} cut",
            if cut == 1 { "" } else { "s" },
            crate::time::short_duration(wait),
            if cut == 1 { "was" } else { "were" }
        );
    }
    done?;
    if let Some(why) = failed {
        anyhow::bail!("{why}; stopped");
    }
    println!("stopped");
    Ok(())
}
