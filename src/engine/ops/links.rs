//! Consent links: issuing one (or one to every tenant that needs one) and withdrawing a
//! tenant's links. One rule for a withdrawal (the links are marked revoked, the flows
//! started through them end, the timeline says so), used by `link --revoke` and by
//! `link --replace`, which withdraws the tenant's other active links in the same commit as
//! it issues the new one.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::apply::{apply_in, tenant_in, write_links};
use super::batch::in_batches;
use crate::domain::actor::Actor;
use crate::domain::consent::{LinkChange, Withdrawal, withdraw};
use crate::domain::integration::Integration;
use crate::domain::lifecycle::Transition;
use crate::domain::model::{ConsentLink, EventKind, LinkState, TenantStatus};
use crate::engine::api::{LinkView, Reply};
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::token::new_link_code;
use crate::store::{Durability, Tx};
use crate::time::{Millis, add, now_ms, rfc3339};

pub use crate::domain::link_ttl::{MAX_LINK_TTL, MIN_LINK_TTL};

/// What an issue did to the tenant's other links.
struct Others {
    active: usize,
    until: Option<Millis>,
    withdrawn: Vec<String>,
}

/// Links of this lifetime may be issued now: the lifetime is in range, and consent works
/// (a link would otherwise lead the customer nowhere).
fn may_issue_links(core: &Core, ttl: Duration) -> Result<(), EngineError> {
    if !(MIN_LINK_TTL..=MAX_LINK_TTL).contains(&ttl) {
        return Err(EngineError::BadRequest(format!(
            "link lifetime {} is out of range: use between 1m and 30d",
            crate::time::short_duration(ttl)
        )));
    }
    if let Some(why) = core.consent_disabled() {
        return Err(EngineError::Unavailable(format!(
            "consent is disabled: {why}; a link would lead the customer nowhere, so none \
             was issued (`mcp-onboard config check` says what is missing)"
        )));
    }
    Ok(())
}

/// The URL a link's code is opened at. It carries no language: the page reads the
/// tenant's as the operator last set it, so a link already sent never speaks an old one.
fn link_url(core: &Core, code: &str) -> String {
    core.config().public_path(&format!("/c/{code}")).to_string()
}

/// Issue a link to `slug` (for `integration` alone, when given: one the tenant holds);
/// with `replace`, withdraw its other active links in the same commit. The view says how
/// many others stay active (and until when) or which were withdrawn.
pub async fn issue(
    core: &Core,
    actor: &Actor,
    slug: &str,
    ttl: Duration,
    replace: bool,
    integration: Option<Integration>,
) -> Result<Reply, EngineError> {
    may_issue_links(core, ttl)?;
    let (code, hash, id) = new_link_code();
    let s = slug.to_owned();
    let link_id = id.clone();
    let (expires_at, others) = core
        .commit(actor, Durability::Durable, move |tx| {
            let now = tx.now();
            if let Some(i) = integration
                && !tenant_in(tx, &s)?.holds(i)
            {
                return Err(EngineError::Conflict(format!(
                    "tenant {s} does not hold {i}: `mcp-onboard tenant integration add {s} {i}` first"
                )));
            }
            let mut link = ConsentLink::new(&s, &link_id, now, add(now, ttl));
            link.only = integration;
            let expires_at = link.expires_at;
            let withdrawn = if replace {
                let why = format!(" (replaced by link {link_id})");
                withdraw_links(tx, &s, &why, Withdrawal::Active)?
            } else {
                Vec::new()
            };
            // The transition before the link: an offboarded tenant refuses it, and then
            // nothing is written (the whole operation is discarded).
            apply_in(
                tx,
                &s,
                &Transition::LinkIssued {
                    link_id: link_id.clone(),
                    expires_at,
                    only: integration,
                },
            )?;
            let active: Vec<Millis> = tx
                .links_of(&s)?
                .into_iter()
                .filter(|(_, l)| l.state(now) == LinkState::Active)
                .map(|(_, l)| l.expires_at)
                .collect();
            tx.put_link(&hash, link)?;
            Ok((
                expires_at,
                Others {
                    active: active.len(),
                    until: active.into_iter().max(),
                    withdrawn,
                },
            ))
        })
        .await?;
    Ok(Reply::Link(LinkView {
        slug: slug.to_owned(),
        url: link_url(core, &code),
        id,
        expires_at: rfc3339(expires_at),
        expires_ms: expires_at,
        earlier_active: others.active,
        earlier_active_until: others.until.map(rfc3339),
        earlier_active_until_ms: others.until,
        withdrawn: Some(others.withdrawn),
    }))
}

/// Withdraw every unused link of the tenant (`link --revoke`).
pub async fn revoke(core: &Core, actor: &Actor, slug: &str) -> Result<(), EngineError> {
    let s = slug.to_owned();
    core.commit(actor, Durability::Durable, move |tx| {
        withdraw_links(tx, &s, "", Withdrawal::Unused).map(|_| ())
    })
    .await
}

/// A link for every tenant of which no integration ever consented and that has no live
/// link (not those leaving, or waiting for an approval); with `integration`, a link for it
/// alone to every tenant holding it that never consented for it, with no live link asking
/// for it. Issued a batch per commit.
pub async fn link_all_new(
    core: &Core,
    actor: &Actor,
    ttl: Duration,
    integration: Option<Integration>,
) -> Result<Reply, EngineError> {
    may_issue_links(core, ttl)?;
    let slugs: Vec<String> = {
        let node = core.store().node();
        let live = node.tenants_with_live_links(now_ms());
        node.briefs_after(None)
            .iter()
            .filter(|b| match integration {
                Some(i) => b.never_consented(i),
                None => {
                    b.consent_sub.is_none()
                        && b.step.is_none()
                        && matches!(
                            b.status,
                            TenantStatus::Created
                                | TenantStatus::LinkIssued
                                | TenantStatus::LinkOpened
                                | TenantStatus::Failed
                        )
                        && !live.contains(&b.slug)
                }
            })
            .map(|b| b.slug.clone())
            .collect()
    };
    // Made here, once: the operation may run again, and must issue the same links.
    let codes: HashMap<String, (String, [u8; 32], String)> =
        slugs.iter().map(|s| (s.clone(), new_link_code())).collect();
    let codes = Arc::new(codes);
    let made = codes.clone();
    let now = now_ms();
    let expires_at = add(now, ttl);
    let issued = in_batches(core, actor, &slugs, move |tx, slug| {
        let Some((_, hash, id)) = made.get(slug) else {
            return Ok(false);
        };
        if let Some(i) = integration {
            // A live link asking for it already (one for it, or for all not consented).
            let now = tx.now();
            let asked = tx
                .links_of(slug)?
                .into_iter()
                .any(|(_, l)| l.state(now) == LinkState::Active && l.only.is_none_or(|o| o == i));
            if asked {
                return Ok(false);
            }
        }
        apply_in(
            tx,
            slug,
            &Transition::LinkIssued {
                link_id: id.clone(),
                expires_at,
                only: integration,
            },
        )?;
        let mut link = ConsentLink::new(slug, id, tx.now(), expires_at);
        link.only = integration;
        tx.put_link(hash, link)?;
        Ok(true)
    })
    .await?;
    for s in &issued.skipped {
        tracing::warn!(tenant = %s.slug, reason = %s.reason, "no link issued: the tenant changed since the list");
    }
    let links = issued
        .done
        .into_iter()
        .filter_map(|slug| {
            let (code, _, id) = codes.get(&slug)?;
            Some(LinkView {
                url: link_url(core, code),
                id: id.clone(),
                slug,
                expires_at: rfc3339(expires_at),
                expires_ms: expires_at,
                // Only tenants with no live link (for it) get one.
                ..Default::default()
            })
        })
        .collect();
    Ok(Reply::Links { links })
}

/// Withdraw the tenant's links `which` takes, end the flows already started through them,
/// and put one line on the timeline (`why` follows the ids); their ids (none: nothing is
/// written). Those of the flows that had expired unused are noted as the sweep would have
/// ([`super::no_callback`]).
fn withdraw_links(
    tx: &mut dyn Tx,
    slug: &str,
    why: &str,
    which: Withdrawal,
) -> Result<Vec<String>, EngineError> {
    let now = tx.now();
    let changes = withdraw(&tx.links_of(slug)?, which, now);
    let expired: Vec<_> = tx
        .flows_of(slug)?
        .into_iter()
        .map(|(_, f)| f)
        .filter(|f| f.expires_at < now && changes.iter().any(|c| c.link.id == f.link_id))
        .collect();
    let ids = write_withdrawn(tx, slug, why, changes)?;
    super::no_callback::note(tx, &expired)?;
    Ok(ids)
}

/// Write a withdrawal's `changes` as [`withdraw_links`] does.
pub(super) fn write_withdrawn(
    tx: &mut dyn Tx,
    slug: &str,
    why: &str,
    changes: Vec<LinkChange>,
) -> Result<Vec<String>, EngineError> {
    let now = tx.now();
    let mut tenant = tenant_in(tx, slug)?;
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = changes.iter().map(|c| c.link.id.clone()).collect();
    write_links(tx, changes)?;
    for (state_hash, flow) in tx.flows_of(slug)? {
        if ids.contains(&flow.link_id) {
            tx.end_flow(&state_hash, &flow)?;
        }
    }
    tenant.updated_at = now;
    let event = crate::domain::transition::event(
        slug,
        now,
        EventKind::LinksRevoked,
        format!("operator withdrew consent links {}{why}", ids.join(", ")),
    );
    tx.put_tenant(tenant, Some(event))?;
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use crate::engine::Command;
    use crate::engine::api::LinkView;

    #[test]
    fn clients_that_know_nothing_of_replace_still_speak_the_same_protocol() {
        let old: Command =
            serde_json::from_str(r#"{"command":"issue_link","slug":"acme","ttl_secs":60}"#)
                .expect("an older client's command");
        assert_eq!(
            old,
            Command::IssueLink {
                integration: None,
                slug: "acme".into(),
                ttl_secs: 60,
                replace: false
            }
        );
        let view: LinkView = serde_json::from_str(
            r#"{"slug":"acme","url":"https://x/c/a","id":"ab12cd34","expires_at":"2026-12-08T12:00:00Z"}"#,
        )
        .expect("an older owner's reply");
        // It does not say it withdrew anything: nothing was (the CLI warns on --replace).
        assert_eq!((view.earlier_active, view.withdrawn), (0, None));
        assert_eq!(view.earlier_active_until, None);
    }
}
