//! `backup`: a consistent copy of the database into a new file (secrets stay sealed); and
//! `restore`: a backup into an empty data dir, refused unless it verifies under the key
//! (or, in the old unauthenticated format, the operator accepts it as it is) and holds the
//! anchors asked for; says which audit chain (genesis and head) it brought back.

use std::path::Path;

use anyhow::{Context as _, Result};

use super::instance::Instance;
use super::reply::run_and_print;
use crate::domain::anchor::AuditAnchor;
use crate::engine::Command;

/// `backup FILE`: written by the engine (the owner's, or this process's), to the file's
/// absolute path (the owner may run in another directory).
pub async fn backup(instance: &Instance, file: &Path, as_json: bool) -> Result<()> {
    let abs = std::path::absolute(file).with_context(|| format!("resolving {}", file.display()))?;
    let command = Command::Backup {
        path: abs.display().to_string(),
    };
    run_and_print(instance, command, as_json).await
}

/// `restore FILE`: into this instance's data dir, which must have no database yet.
pub async fn restore(
    instance: &Instance,
    file: &Path,
    (accept_unauthenticated, expect): (bool, &[AuditAnchor]),
    as_json: bool,
) -> Result<()> {
    let (dir, key, file, store) = (
        instance.data_dir.clone(),
        instance.key.clone(),
        file.to_owned(),
        instance.config.store.clone(),
    );
    let into = match &store.backend {
        crate::config::StoreBackend::Postgres(url) => url.shown().to_owned(),
        crate::config::StoreBackend::Sled => instance.data_dir.display().to_string(),
    };
    let expect = expect.to_vec();
    let done = tokio::task::spawn_blocking(move || {
        crate::store::restore_with(&store, &dir, &key, &file, accept_unauthenticated, &expect)
    })
    .await
    .context("restoring")??;
    if done.unauthenticated {
        eprintln!(
            "warning: restored an unauthenticated backup (old format), as asked: nothing proves it was not altered"
        );
    }
    let summary = done.summary;
    let anchor = |a: &Option<AuditAnchor>| a.as_ref().map(ToString::to_string);
    let (genesis, head) = (anchor(&done.chain.genesis), anchor(&done.chain.head));
    if as_json {
        println!(
            "{}",
            serde_json::json!({
                "restored_into": into,
                "entries": summary.entries,
                "schema_version": summary.schema_version,
                "unauthenticated": done.unauthenticated,
                "audit_genesis": genesis,
                "audit_head": head,
            })
        );
    } else {
        println!(
            "restored {} entries (schema version {}) into {into}; the next command opens it (and brings it up to date)",
            summary.entries, summary.schema_version,
        );
        let none = || "none".to_owned();
        println!(
            "its audit chain: genesis {}, head {}",
            genesis.unwrap_or_else(none),
            head.unwrap_or_else(none)
        );
    }
    Ok(())
}
