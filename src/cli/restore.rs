//! `restore`: a backup into an empty data dir, refused unless it verifies under the key
//! (or, in the old unauthenticated format, the operator accepts it as it is) and holds the
//! anchors asked for; says which audit chain (genesis and head) it brought back.

use anyhow::{Context as _, Result};

use super::Context;
use crate::domain::anchor::AuditAnchor;

pub async fn run(
    ctx: &Context,
    file: &std::path::Path,
    (accept_unauthenticated, expect): (bool, &[AuditAnchor]),
    as_json: bool,
) -> Result<()> {
    let (dir, key, file) = (ctx.data_dir.clone(), ctx.key.clone(), file.to_owned());
    let expect = expect.to_vec();
    let done = tokio::task::spawn_blocking(move || {
        crate::store::restore(&dir, &key, &file, accept_unauthenticated, &expect)
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
                "restored_into": ctx.data_dir.display().to_string(),
                "entries": summary.entries,
                "schema_version": summary.schema_version,
                "unauthenticated": done.unauthenticated,
                "audit_genesis": genesis,
                "audit_head": head,
            })
        );
    } else {
        println!(
            "restored {} entries (schema version {}) into {}; the next command opens it (and brings it up to date)",
            summary.entries,
            summary.schema_version,
            ctx.data_dir.display()
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
