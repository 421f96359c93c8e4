//! Many tenants at once (`retry --all-failed`, `offboard`, `link --all-new`): a batch of
//! [`BATCH`] per durable commit, each tenant taken or refused with why, so one that changed
//! since the list neither stops the others nor goes unsaid.

use std::sync::Arc;

use crate::domain::actor::Actor;
use crate::engine::api::Skipped;
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::store::{Durability, Tx};

/// Tenants per commit.
pub const BATCH: usize = 500;

/// What [`in_batches`] came to: the tenants done, and those refused with why.
#[derive(Debug, Default)]
pub struct Batched {
    pub done: Vec<String>,
    pub skipped: Vec<Skipped>,
}

/// Apply `each` to every slug, a batch per durable commit. `each` says `Ok(true)` for a
/// tenant done, `Ok(false)` for one passed over without a word (gone since the list); a
/// refusal (the lifecycle's, made before anything of the tenant is written) skips that
/// tenant alone, with why. A store error fails the whole batch: nothing of it is kept.
pub async fn in_batches<F>(
    core: &Core,
    actor: &Actor,
    slugs: &[String],
    each: F,
) -> Result<Batched, EngineError>
where
    F: Fn(&mut dyn Tx, &str) -> Result<bool, EngineError> + Send + Sync + 'static,
{
    let each = Arc::new(each);
    let mut out = Batched::default();
    for batch in slugs.chunks(BATCH) {
        let batch = batch.to_vec();
        let each = each.clone();
        let (done, skipped) = core
            .commit(actor, Durability::Durable, move |tx| {
                let (mut done, mut skipped) = (Vec::new(), Vec::new());
                for slug in &batch {
                    match each(tx, slug) {
                        Ok(true) => done.push(slug.clone()),
                        Ok(false) => {}
                        Err(e @ EngineError::Store(_)) => return Err(e),
                        Err(e) => skipped.push(Skipped {
                            slug: slug.clone(),
                            reason: e.to_string(),
                        }),
                    }
                }
                Ok((done, skipped))
            })
            .await?;
        out.done.extend(done);
        out.skipped.extend(skipped);
    }
    Ok(out)
}
