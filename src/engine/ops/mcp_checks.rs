//! MCP checks: call each deployed integration's MCP server at the URL Blaxel returned (see
//! [`crate::blaxel::McpChecker`]: `initialize`, then `tools/list`, a few at a time) and
//! record the result on that integration through the commit point (see
//! [`crate::domain::mcp_health`]): its tools and the time it took, or its error; after
//! `health.mcp_failures` failures in a row it is shown unreachable, and a later success
//! brings it back, each change once on the timeline and as a webhook.
//!
//! Invariant: a check refused by the fence (this node stopped leading) records nothing;
//! a result is recorded only while the integration is still deployed at the URL checked.

use std::collections::BTreeMap;

use futures_util::StreamExt as _;

use crate::blaxel::McpCheckError;
use crate::domain::actor::Actor;
use crate::domain::facet::{parse_job_key, with_facet};
use crate::domain::mcp_health::McpOutcome;
use crate::domain::mcp_record;
use crate::domain::mcp_worth::worth_writing;
use crate::domain::model::{Integration, TenantStatus};
use crate::engine::api::{McpCheckView, McpView};
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::operation::Operation;
use crate::store::Durability;

/// One deployed integration's MCP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpTarget {
    pub slug: String,
    pub integration: Integration,
    /// The function's `metadata.url` + `/mcp`, as Blaxel returned it.
    pub url: String,
}

/// The deployed integrations with an MCP URL, of `slug` alone when given, else of every
/// tenant, in slug order.
pub fn targets(core: &Core, slug: Option<&str>) -> Vec<McpTarget> {
    let node = core.store().node();
    let briefs = match slug {
        Some(s) => node.brief(s).into_iter().collect(),
        None => node.briefs_after(None),
    };
    briefs
        .iter()
        .flat_map(|b| {
            b.statuses.iter().filter_map(|(i, _)| {
                let facet = b.of_integration(*i)?;
                let url = facet
                    .mcp_url
                    .filter(|_| facet.status == TenantStatus::Deployed)?;
                Some(McpTarget {
                    slug: b.slug.clone(),
                    integration: *i,
                    url,
                })
            })
        })
        .collect()
}

/// The integrations deployed since the last call (see [`Core::mcp_after_deploy`]) that
/// are still deployed.
pub fn due_after_deploy(core: &Core) -> Vec<McpTarget> {
    let node = core.store().node();
    core.take_mcp_due()
        .iter()
        .filter_map(|key| parse_job_key(key))
        .flat_map(|(slug, added)| {
            // A key without an integration is the tenant's first.
            let which = added.or_else(|| node.brief(&slug).map(|b| b.integration));
            targets(core, Some(&slug))
                .into_iter()
                .filter(move |t| Some(t.integration) == which)
        })
        .collect()
}

/// How many integrations' servers are shown unreachable, by integration (for `/metrics`).
pub fn unreachable_counts(core: &Core) -> BTreeMap<Integration, usize> {
    let mut counts = BTreeMap::new();
    for b in core.store().node().briefs_after(None) {
        let first = std::iter::once((b.integration, b.mcp_unreachable));
        let added = b.facets.iter().map(|f| (f.integration, f.mcp_unreachable));
        for (i, unreachable) in first.chain(added) {
            if unreachable {
                *counts.entry(i).or_insert(0) += 1;
            }
        }
    }
    counts
}

/// Why servers are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McpWhy {
    /// A round of every deployed server: results written only when worth it (see
    /// [`crate::domain::mcp_worth`]).
    Round,
    /// Just deployed: checked at once (urgent places), written when worth it.
    AfterDeploy,
    /// An operator's `health`: checked at once, every result written.
    Operator,
}

/// Check these servers (a few at a time: the checker's limit) and record each result;
/// the checks recorded, in slug order. Nothing when no Blaxel credentials are here.
pub struct McpRound {
    pub targets: Vec<McpTarget>,
    pub why: McpWhy,
}

impl Operation for McpRound {
    type Output = Vec<McpCheckView>;

    async fn run(self, core: &Core, actor: &Actor) -> Vec<McpCheckView> {
        let Some(checker) = core.mcp_as(actor) else {
            return Vec::new();
        };
        let at_once = checker.settings().concurrency;
        let why = self.why;
        let mut done: Vec<McpCheckView> = futures_util::stream::iter(self.targets)
            .map(|t| async move {
                let what = format!("MCP check of {} ({})", t.slug, t.integration);
                let slug = t.slug.clone();
                let checked = check_one(core, actor, t, why);
                match crate::task_guard::catch_panic(&what, checked).await {
                    Ok(Ok(view)) => view,
                    Ok(Err(e)) => {
                        tracing::warn!(tenant = %slug, error = %e, "MCP check not recorded");
                        None
                    }
                    Err(why) => {
                        tracing::error!(tenant = %slug, %why, "MCP check stopped");
                        None
                    }
                }
            })
            .buffer_unordered(at_once)
            .filter_map(std::future::ready)
            .collect()
            .await;
        done.sort_by(|a, b| (&a.slug, a.integration).cmp(&(&b.slug, b.integration)));
        done
    }
}

/// Check one server and record the result; `None` when nothing is to record (the fence
/// refused, or the integration is no longer deployed at that URL).
async fn check_one(
    core: &Core,
    actor: &Actor,
    target: McpTarget,
    why: McpWhy,
) -> Result<Option<McpCheckView>, EngineError> {
    let Some(checker) = core.mcp_as(actor) else {
        return Ok(None);
    };
    let check = checker.check_as(&target.url, why != McpWhy::Round).await;
    if matches!(check.result, Err(McpCheckError::NotLeader)) {
        return Ok(None);
    }
    core.metrics().observe_mcp(check.is_usable(), check.elapsed);
    let outcome = McpOutcome {
        url: target.url.clone(),
        elapsed_ms: u64::try_from(check.elapsed.as_millis()).unwrap_or(u64::MAX),
        result: check.result.map(|s| s.tools).map_err(|e| e.to_string()),
    };
    if let Err(error) = &outcome.result {
        tracing::info!(tenant = %target.slug, integration = %target.integration, %error, "MCP check failed");
    }
    let threshold = core.config().health.mcp_failures;
    let McpTarget {
        slug,
        integration,
        url,
    } = target;
    let s = slug.clone();
    let recorded = core
        .commit(actor, Durability::Lazy, move |tx| {
            let Some(cur) = tx.tenant(&s)? else {
                return Ok(None);
            };
            let same = cur.facet(integration).is_some_and(|f| {
                f.status == TenantStatus::Deployed
                    && f.provision.as_ref().and_then(|p| p.mcp_url.as_deref()) == Some(&url)
            });
            if !same {
                // Redeployed, re-consented or leaving meanwhile: this says nothing of it.
                return Ok(None);
            }
            let now = tx.now();
            let added = (integration != cur.integration).then_some(integration);
            let (next, event) = with_facet(&cur, added, |f| {
                Ok::<_, EngineError>(mcp_record::apply(f, outcome.clone(), now, threshold))
            })?;
            let health = next.facet(integration).and_then(|f| f.mcp);
            let before = cur.facet(integration).and_then(|f| f.mcp);
            let worth = health
                .as_ref()
                .is_some_and(|h| worth_writing(before.as_ref(), h, threshold, now));
            if why == McpWhy::Operator || event.is_some() || worth {
                tx.put_tenant(next, event)?;
            }
            Ok(health)
        })
        .await?;
    Ok(recorded.map(|h| McpCheckView {
        slug,
        integration,
        check: McpView::of(&h),
    }))
}
