//! `backup`: a consistent copy of the database into a new file (secrets stay sealed); and
//! `restore`: a backup into an empty data dir, refused unless it verifies under the key
//! (or, in the old unauthenticated format, the operator accepts it as it is).

use std::path::Path;

use anyhow::{Context as _, Result};

use super::instance::Instance;
use super::reply::run_and_print;
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
    accept_unauthenticated: bool,
    as_json: bool,
) -> Result<()> {
    let (dir, key, file) = (
        instance.data_dir.clone(),
        instance.key.clone(),
        file.to_owned(),
    );
    let done = tokio::task::spawn_blocking(move || {
        crate::store::restore(&dir, &key, &file, accept_unauthenticated)
    })
    .await
    .context("restoring")??;
    if done.unauthenticated {
        eprintln!(
            "warning: restored an unauthenticated backup (old format), as asked: nothing proves it was not altered"
        );
    }
    let summary = done.summary;
    if as_json {
        println!(
            "{}",
            serde_json::json!({
                "restored_into": instance.data_dir.display().to_string(),
                "entries": summary.entries,
                "schema_version": summary.schema_version,
                "unauthenticated": done.unauthenticated,
            })
        );
    } else {
        println!(
            "restored {} entries (schema version {}) into {}; the next command opens it (and brings it up to date)",
            summary.entries,
            summary.schema_version,
            instance.data_dir.display()
        );
    }
    Ok(())
}
