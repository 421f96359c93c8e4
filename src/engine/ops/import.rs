//! Importing tenants as one decision, whatever the number: every row is added, or none.
//!
//! A control-socket frame holds a few hundred rows, so a client stages an import in parts
//! under an import id ([`Command::ImportStage`](crate::engine::Command::ImportStage)), then
//! commits it ([`Command::ImportCommit`](crate::engine::Command::ImportCommit)). The commit is decided in
//! one transaction: if any slug is taken (by another client's `tenant add` meanwhile, say)
//! nothing is added; else every slug is reserved and the rows journaled, and they are
//! written a chunk per transaction (see `store::import` for why not one transaction),
//! finished at the next open if a crash comes between. Staged rows are kept in memory
//! only, bounded in number ([`MAX_STAGED_ROWS`], [`MAX_IMPORTS`]) and in time (an import
//! left for [`IDLE`] is dropped); nothing of an import is stored before its commit.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use crate::domain::actor::Actor;
use crate::domain::lifecycle::{self, NewTenant};
use crate::engine::api::Reply;
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::operation::Operation;
use crate::engine::staging::Staged;
use crate::engine::token::random_token;
use crate::store::Durability;
use crate::time::now_ms;

/// Rows staged at once, over every import.
pub const MAX_STAGED_ROWS: usize = 500_000;
/// Imports staged at once.
pub const MAX_IMPORTS: usize = 8;
/// An import with no part or commit for this long is dropped.
pub const IDLE: Duration = Duration::from_secs(10 * 60);
/// Slugs named in a conflict message, at most.
const NAMED: usize = 20;

/// `a, b, c (and 5 more)`.
fn named(slugs: &[String]) -> String {
    let mut s = slugs
        .iter()
        .take(NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if slugs.len() > NAMED {
        s.push_str(&format!(" (and {} more)", slugs.len() - NAMED));
    }
    s
}

/// Stage a part of an import (a new one when `import` is `None`): every row checked, none
/// stored. Says which of the part's slugs are taken now (the commit checks again).
pub fn stage(
    core: &Core,
    import: Option<String>,
    tenants: Vec<NewTenant>,
) -> Result<Reply, EngineError> {
    let mut all = core.imports().lock();
    all.retain(|_, s| s.touched.elapsed() < IDLE);
    let id = match import {
        Some(id) if all.contains_key(&id) => id,
        Some(id) => {
            return Err(EngineError::BadRequest(format!(
                "no import {id} is staged (it was committed, dropped, or left for over {} minutes); nothing was added",
                IDLE.as_secs() / 60
            )));
        }
        None if all.len() >= MAX_IMPORTS => {
            return Err(EngineError::Unavailable(format!(
                "{MAX_IMPORTS} imports are being staged already; try again once they are done; nothing was added"
            )));
        }
        None => {
            let id = random_token(16);
            all.insert(
                id.clone(),
                Staged {
                    rows: Vec::new(),
                    slugs: HashSet::new(),
                    touched: Instant::now(),
                },
            );
            id
        }
    };
    let total: usize = all.values().map(|s| s.rows.len()).sum();
    let fail = |all: &mut HashMap<String, Staged>, e: EngineError| {
        all.remove(&id);
        Err(e)
    };
    if total + tenants.len() > MAX_STAGED_ROWS {
        return fail(
            &mut all,
            EngineError::BadRequest(format!(
                "over {MAX_STAGED_ROWS} rows would be staged for imports; import fewer at a time; nothing was added"
            )),
        );
    }
    let Some(staged) = all.get_mut(&id) else {
        return Err(EngineError::Unavailable("the import went away".into()));
    };
    let now = now_ms();
    let node = core.store().node();
    let mut existing = Vec::new();
    let mut bad = None;
    for (i, row) in tenants.iter().enumerate() {
        let n = staged.rows.len() + i + 1;
        if let Err(e) = lifecycle::new_tenant(row, now) {
            bad = Some(format!("row {n}: {e}"));
            break;
        }
        if !staged.slugs.insert(row.slug.clone()) {
            bad = Some(format!("row {n}: {} is in the import already", row.slug));
            break;
        }
        if node.brief(&row.slug).is_some() {
            existing.push(row.slug.clone());
        }
    }
    if let Some(why) = bad {
        return fail(
            &mut all,
            EngineError::BadRequest(format!("{why}; nothing was added")),
        );
    }
    staged.rows.extend(tenants);
    staged.touched = Instant::now();
    tracing::debug!(import = %id, rows = staged.rows.len(), "import part staged");
    Ok(Reply::ImportStaged {
        staged: staged.rows.len(),
        import: id,
        existing,
    })
}

/// Drop a staged import (the client found a bad row).
pub fn discard(core: &Core, import: &str) -> Reply {
    core.imports().lock().remove(import);
    Reply::Imported { added: 0 }
}

/// Commit a staged import of `rows` rows: all in one transaction, or none.
pub async fn commit(
    core: &Core,
    actor: &Actor,
    import: String,
    rows: usize,
) -> Result<Reply, EngineError> {
    let staged = {
        let mut all = core.imports().lock();
        all.retain(|_, s| s.touched.elapsed() < IDLE);
        all.remove(&import)
    };
    let staged = staged.ok_or_else(|| {
            EngineError::BadRequest(format!(
                "no import {import} is staged (it was committed, dropped, or left for over {} minutes); nothing was added",
                IDLE.as_secs() / 60
            ))
        })?;
    if staged.rows.len() != rows {
        return Err(EngineError::BadRequest(format!(
            "the import has {} rows staged, not the {rows} the client sent; nothing was added",
            staged.rows.len()
        )));
    }
    add_all(core, actor, staged.rows).await
}

/// Add these tenants, all or none: checked, then decided in one transaction (every slug
/// free, then reserved, the rows journaled; see `store::sled::import`), then written a
/// chunk per transaction. Once decided, every row is added, even across a crash.
pub async fn add_all(
    core: &Core,
    actor: &Actor,
    tenants: Vec<NewTenant>,
) -> Result<Reply, EngineError> {
    let added = tenants.len();
    // CPU work of a second for a large import: not on an async worker.
    let tenants = tokio::task::spawn_blocking(move || {
        let now = now_ms();
        for (i, input) in tenants.iter().enumerate() {
            lifecycle::new_tenant(input, now).map_err(|e| {
                EngineError::BadRequest(format!("row {}: {e}; nothing was added", i + 1))
            })?;
        }
        Ok::<_, EngineError>(tenants)
    })
    .await
    .map_err(|e| EngineError::Unavailable(format!("checking the import: {e}")))??;
    let id = random_token(16);
    let chunks = core
            .commit(actor, Durability::Durable, move |tx| {
                tx.import_decide(&id, tenants.clone())?.map_err(|taken| {
                    EngineError::Conflict(format!(
                        "{} of the {added} tenants exist already (or are being imported), so none was added: {}",
                        taken.len(),
                        named(&taken)
                    ))
                })
            })
            .await?;
    write(core, actor, chunks).await.map_err(|e| {
            EngineError::Unavailable(format!(
                "the import of {added} tenants was decided, but writing it stopped ({e}); its slugs stay reserved and it is finished when the database opens next"
            ))
        })?;
    Ok(Reply::Imported { added })
}

/// Write journal chunks as tenants, one transaction each, then flush.
async fn write(core: &Core, actor: &Actor, chunks: Vec<Vec<u8>>) -> Result<(), EngineError> {
    for key in chunks {
        core.commit(
            actor,
            Durability::Lazy,
            move |tx| Ok(tx.import_apply(&key)?),
        )
        .await?;
    }
    Ok(core.store().sync().await?)
}

/// Finish the imports a crash left decided and not written (when the database opens).
pub struct FinishImports;

impl Operation for FinishImports {
    type Output = ();

    async fn run(self, core: &Core, actor: &Actor) {
        let chunks = match core.store().read(|s| s.pending_import_chunks()).await {
            Ok(c) if c.is_empty() => return,
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the import journal");
                return;
            }
        };
        tracing::info!(
            chunks = chunks.len(),
            "finishing an import decided before a restart"
        );
        if let Err(e) = write(core, actor, chunks).await {
            tracing::warn!(error = %e, "finishing an import stopped; it goes on at the next open");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conflict_names_twenty_slugs_and_counts_the_rest() {
        let slugs: Vec<String> = (0..25).map(|i| format!("t{i}")).collect();
        let s = named(&slugs);
        assert!(
            s.starts_with("t0, t1,") && s.ends_with("t19 (and 5 more)"),
            "{s}"
        );
        assert_eq!(named(&slugs[..2]), "t0, t1");
    }
}
