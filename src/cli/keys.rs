//! `key rotate`: re-seal every tenant's data key under a new master key. It needs the
//! database to itself: the owner must be stopped first.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Subcommand;

use super::instance::Instance;

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Re-seal every tenant's data key under a new master key (stop the owner first).
    Rotate {
        /// Where to write the new key when it comes from MCP_ONBOARD_KEY (a new file,
        /// 0600); with a key file the new key replaces it.
        #[arg(long, value_name = "FILE")]
        new_key_file: Option<PathBuf>,
    },
}

pub async fn run(instance: &Instance, cmd: &KeyCmd, as_json: bool) -> Result<()> {
    match cmd {
        KeyCmd::Rotate { new_key_file } => rotate(instance, new_key_file.as_ref(), as_json).await,
    }
}

async fn rotate(instance: &Instance, new_key_file: Option<&PathBuf>, as_json: bool) -> Result<()> {
    if let crate::config::StoreBackend::Postgres(url) = &instance.config.store.backend {
        anyhow::bail!(
            "key rotate re-seals an embedded (sled) database; the store is PostgreSQL at {}: stop every node, back it up, restore it into an embedded store, rotate there, back it up and restore it into a new PostgreSQL database, then start every node with the new key and the new database",
            url.shown()
        );
    }
    super::first_run::require_database(instance).await?;
    let (dir, key, out) = (
        instance.data_dir.clone(),
        instance.key.clone(),
        new_key_file.cloned(),
    );
    let hooks: Vec<String> = instance
        .config
        .webhooks
        .iter()
        .map(|h| h.url.to_string())
        .collect();
    let done = tokio::task::spawn_blocking(move || {
        crate::store::rotate::rotate(&dir, &key, out.as_deref(), &hooks)
    })
    .await
    .context("rotating the key")?
    .map_err(|e| match e {
        crate::store::StoreError::Locked { .. } => {
            anyhow::anyhow!("{e}; key rotation needs the database to itself: stop the owner first")
        }
        e => e.into(),
    })?;
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&done).context("encoding JSON")?
        );
    } else {
        println!(
            "master key rotated: {} tenant keys and {} pending sign-ins re-sealed; the new key is in {}{}",
            done.tenant_keys,
            done.flows,
            done.key_file.display(),
            if new_key_file.is_some() {
                " (set MCP_ONBOARD_KEY to it; the old key no longer opens the database)"
            } else {
                " (the old key no longer opens the database: update any copy of it)"
            }
        );
    }
    Ok(())
}
