//! A round of token checks (the owner's, every `health.interval`, and `health` for every
//! tenant): a few tenants at a time, per OAuth client. While a client's alarm is raised the
//! round first probes it with one tenant holding a consent through it (a different one
//! each time); a client still condemned after its probe, or condemned during the round, is
//! paused for the rest of it, and the round goes on with the tenants of the clients that
//! work. [`TRANSIENT_STOP`] inconclusive answers in a row end it (Google is busy: asking
//! about every other tenant now would only add to it).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use futures_util::StreamExt;

use super::health::{CHECK_CONCURRENCY, Paused, TRANSIENT_STOP, check_one, checkable, no_client};
use crate::domain::actor::Actor;
use crate::domain::health::Health;
use crate::domain::health_alarm::Client;
use crate::engine::api::{HealthCheck, Reply, Skipped};
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::operation::Operation;

/// Why a tenant whose every consent is through a paused client was not checked.
const PAUSED: &str =
    "the round stopped early for its OAuth client: Google refused the client (see the alarm)";

/// A round of checks of these tenants; its output: the checks made and the tenants not
/// checked, with why.
pub struct CheckRound {
    pub slugs: Vec<String>,
}

impl Operation for CheckRound {
    type Output = (Vec<HealthCheck>, Vec<Skipped>);

    async fn run(self, core: &Core, actor: &Actor) -> Self::Output {
        let paused = Paused::default();
        let mut slugs = self.slugs;
        let mut results = Vec::new();
        for client in core.store().node().published().alarmed_clients() {
            if let Some(probe) = take_one_of(core, &mut slugs, client) {
                results.push(checked(core, actor, probe, &paused).await);
            }
        }
        // A client still under alarm after its probe is not asked about again this round.
        for client in core.store().node().published().alarmed_clients() {
            paused.add(client);
        }
        let stop = AtomicBool::new(false);
        let transient_run = AtomicUsize::new(0);
        let (stop, transient_run, paused) = (&stop, &transient_run, &paused);
        let rest: Vec<Result<HealthCheck, Skipped>> = futures_util::stream::iter(slugs)
            .map(|slug| async move {
                if stop.load(Ordering::Relaxed) {
                    return Err(Skipped {
                        slug,
                        reason: "the round stopped early (see the checks made)".into(),
                    });
                }
                let check = checked(core, actor, slug, paused).await?;
                match check.health {
                    Health::Transient => {
                        if transient_run.fetch_add(1, Ordering::Relaxed) + 1 >= TRANSIENT_STOP {
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                    Health::ClientError => {}
                    _ => transient_run.store(0, Ordering::Relaxed),
                }
                Ok(check)
            })
            .buffer_unordered(CHECK_CONCURRENCY)
            .collect()
            .await;
        results.extend(rest);
        let (mut done, mut skipped) = (Vec::new(), Vec::new());
        for r in results {
            match r {
                Ok(c) => done.push(c),
                Err(s) => skipped.push(s),
            }
        }
        done.sort_by(|a, b| a.slug.cmp(&b.slug));
        skipped.sort_by(|a, b| a.slug.cmp(&b.slug));
        (done, skipped)
    }
}

/// Take out of `slugs` one tenant (at random) holding a consent through `client`.
fn take_one_of(core: &Core, slugs: &mut Vec<String>, client: Client) -> Option<String> {
    use rand::Rng;
    let node = core.store().node();
    let through: Vec<usize> = slugs
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            node.brief(s)
                .is_some_and(|b| b.consented.iter().any(|i| core.client_key(*i) == client))
        })
        .map(|(k, _)| k)
        .collect();
    if through.is_empty() {
        return None;
    }
    let pick = through[rand::thread_rng().gen_range(0..through.len())];
    Some(slugs.swap_remove(pick))
}

/// Check `slug` in a round: its check, or why it was not checked.
async fn checked(
    core: &Core,
    actor: &Actor,
    slug: String,
    paused: &Paused,
) -> Result<HealthCheck, Skipped> {
    let what = format!("token check of {slug}");
    let checked = crate::task_guard::catch_panic(&what, check_one(core, actor, &slug, paused))
        .await
        .unwrap_or_else(|why| {
            Err(EngineError::Unavailable(format!(
                "an internal error stopped the check ({why}; logged)"
            )))
        });
    match checked {
        Ok(Some(check)) => Ok(check),
        Ok(None) => Err(Skipped {
            slug,
            reason: PAUSED.into(),
        }),
        Err(e) => Err(Skipped {
            slug,
            reason: e.to_string(),
        }),
    }
}

/// `health [SLUG]`: one tenant (whatever alarm is raised: a check of one is how an
/// operator sees whether a client works again), or every tenant holding a consent; then
/// the MCP servers of its deployed integrations (of every tenant's only with `mcp`: a
/// round of them takes long).
pub async fn command(
    core: &Core,
    actor: &Actor,
    slug: Option<String>,
    mcp: bool,
) -> Result<Reply, EngineError> {
    let servers = if slug.is_some() || mcp {
        super::mcp_checks::targets(core, slug.as_deref())
    } else {
        Vec::new()
    };
    // The tokens when Google is configured; the MCP servers anyway (when there are some).
    let google = core.google().map_err(no_client);
    let (checks, skipped) = match (google, slug) {
        (Err(e), _) if servers.is_empty() => return Err(e),
        (Err(_), _) => (Vec::new(), Vec::new()),
        (Ok(_), Some(s)) => {
            let one = check_one(core, actor, &s, &Paused::default()).await?;
            let one = one.ok_or_else(|| {
                EngineError::Unavailable(format!("{s} was not checked: {PAUSED}"))
            })?;
            (vec![one], Vec::new())
        }
        (Ok(_), None) => {
            CheckRound {
                slugs: checkable(core),
            }
            .run(core, actor)
            .await
        }
    };
    let mcp = super::mcp_checks::McpRound {
        targets: servers,
        // An operator's check is always what the tenant shows next.
        why: super::mcp_checks::McpWhy::Operator,
    }
    .run(core, actor)
    .await;
    Ok(Reply::Health {
        checks,
        skipped,
        alarm: core.store().node().published().health_alarm(),
        mcp,
    })
}
