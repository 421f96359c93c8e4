//! `restore`: a backup into an empty data dir, refused unless it verifies under the key
//! (or, in the old unauthenticated format, the operator accepts it as it is).

use anyhow::{Context as _, Result};

use super::Context;

pub async fn run(
    ctx: &Context,
    file: &std::path::Path,
    accept_unauthenticated: bool,
    as_json: bool,
) -> Result<()> {
    let (dir, key, file) = (ctx.data_dir.clone(), ctx.key.clone(), file.to_owned());
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
                "restored_into": ctx.data_dir.display().to_string(),
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
            ctx.data_dir.display()
        );
    }
    Ok(())
}
