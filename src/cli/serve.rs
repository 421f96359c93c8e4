//! `serve`: run the owner runtime headless until SIGINT/SIGTERM, then stop accepting,
//! finish in-flight requests and flush. The banner is printed here, from what the owner
//! reports; the runtime itself never prints.

use std::time::Duration;

use anyhow::Result;

use super::context::Context;
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

pub async fn run(ctx: &Context) -> Result<()> {
    ctx.note_if_new();
    let owner = Owner::start(ctx.owner_options()).await?;
    let info = owner.info().clone();
    println!(
        "mcp-onboard{} serving {} (listening on {})",
        if info.demo { " --demo" } else { "" },
        info.public_url,
        info.bind
    );
    println!("  redirect URI: {}", info.redirect_uri);
    println!("  data dir:     {}", info.data_dir.display());
    println!("  consent:      {}", owner.engine().describe_consent());
    println!(
        "  provisioning: {}",
        owner.engine().provisioner_state().describe()
    );
    println!("  other commands in another terminal reach this process; Ctrl-C stops it");
    let failed = tokio::select! {
        () = shutdown_signal() => None,
        why = owner.store_failed() => Some(why),
    };
    owner.shutdown(GRACE).await?;
    if let Some(why) = failed {
        anyhow::bail!("{why}; stopped");
    }
    println!("stopped");
    Ok(())
}
