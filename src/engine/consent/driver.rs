//! Performing what the consent flow's decisions say: a refusal recorded on the tenant (and
//! its page), a consent stored with its link marked used and the tenant's other links
//! superseded, a flow taken only in the browser that started it.

use super::page::CustomerPage;
use crate::domain::actor::Actor;
use crate::domain::consent::{Page, Refusal, same_browser};
use crate::domain::lifecycle::{self, Transition};
use crate::domain::model::{FailureKind, LinkState};
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::ops::grants::{PENDING_TOKEN, REFRESH_TOKEN};
use crate::engine::ops::{apply_in, tenant_in};
use crate::store::{Durability, TakenFlow, Tx};

/// The customer's page for a refusal's kind of page.
pub(super) fn page(p: &Page) -> CustomerPage {
    match p {
        Page::CallbackIncomplete => CustomerPage::callback_incomplete(),
        Page::StateUnknown => CustomerPage::state_unknown(),
        Page::Replayed => CustomerPage::replayed(),
        Page::LinkGone(why) => CustomerPage::link_gone(why),
        Page::FlowExpired => CustomerPage::flow_expired(),
        Page::Denied => CustomerPage::denied(),
        Page::GoogleError => CustomerPage::google_error(),
        Page::ExchangeFailed => CustomerPage::exchange_failed(),
        Page::NoRefreshToken => CustomerPage::no_refresh_token(),
        Page::ScopeMissing => CustomerPage::scope_missing(),
        Page::WrongAccount {
            signed_in,
            expected,
        } => CustomerPage::wrong_account(signed_in.as_deref(), expected),
        Page::Internal => CustomerPage::internal("consent"),
    }
}

/// A refusal that fails the tenant's consent with `kind`.
pub(super) fn fail(kind: FailureKind, reason: impl Into<String>, page: Page) -> Refusal {
    Refusal {
        kind: Some(kind),
        reason: reason.into(),
        page,
        revoke: false,
    }
}

/// Record a refusal on the tenant and return the customer's page.
pub(super) async fn refuse(core: &Core, actor: &Actor, slug: &str, r: Refusal) -> CustomerPage {
    record_refusal(core, actor, slug, r.kind, &r.reason).await;
    page(&r.page)
}

/// Put a refusal on the tenant: counted always, on the timeline within the bounds of
/// `note_refusal` (anyone can send them).
pub(super) async fn record_refusal(
    core: &Core,
    actor: &Actor,
    slug: &str,
    kind: Option<FailureKind>,
    reason: &str,
) {
    let reason = crate::text::clean(reason);
    let label = kind.map_or_else(
        || "refused".to_owned(),
        |k| {
            serde_json::to_value(k)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "other".into())
        },
    );
    core.metrics()
        .consent_failures
        .get_or_create(&crate::metrics::Kind { kind: label })
        .inc();
    tracing::info!(tenant = slug, kind = ?kind, %reason, "consent refused");
    let t = match kind {
        Some(kind) => Transition::ConsentFailed { kind, reason },
        None => Transition::CallbackRefused { reason },
    };
    let s = slug.to_owned();
    let recorded = core
        .commit(actor, Durability::Lazy, move |tx| {
            let cur = tenant_in(tx, &s)?;
            let now = tx.now();
            let (mut next, mut event) = lifecycle::apply(&cur, &t, now)?;
            let keep = lifecycle::note_refusal(&mut next, &mut event, now);
            tx.put_tenant(next, keep.then_some(event))?;
            Ok(())
        })
        .await;
    if let Err(e) = recorded {
        tracing::warn!(tenant = slug, error = %e, "could not record a refused consent");
    }
}

/// Where a consent's token went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stored {
    Consented,
    AwaitingApproval,
}

/// Store an accepted consent: the token, the tenant's new state and the link marked used,
/// all in one transaction, and only while the link is still good for it.
pub(super) fn store_consent(
    tx: &mut dyn Tx,
    slug: &str,
    link_hash: &[u8],
    t: &Transition,
    refresh: &secrecy::SecretString,
) -> Result<Stored, EngineError> {
    let now = tx.now();
    let mut link = tx
        .link(link_hash)?
        .ok_or_else(|| EngineError::Conflict("the consent link is gone".into()))?;
    match link.state(now) {
        LinkState::Active | LinkState::Expired => {}
        s => return Err(EngineError::Conflict(format!("the consent link is {s}"))),
    }
    let cur = tenant_in(tx, slug)?;
    // The identity gate: with no account pinned, another account than the previous
    // consent's is kept aside for the operator (a pinned one was refused already).
    let stored = match t {
        Transition::Consented {
            identity,
            granted_scopes,
        } if cur.expected.is_none()
            && cur.google.as_ref().is_some_and(|g| g.sub != identity.sub) =>
        {
            let gate = Transition::AwaitApproval {
                identity: identity.clone(),
                granted_scopes: granted_scopes.clone(),
            };
            apply_in(tx, slug, &gate)?;
            tx.put_secret(slug, PENDING_TOKEN, refresh)?;
            Stored::AwaitingApproval
        }
        _ => {
            apply_in(tx, slug, t)?;
            tx.put_secret(slug, REFRESH_TOKEN, refresh)?;
            Stored::Consented
        }
    };
    link.used_at = Some(now);
    tx.put_link(link_hash, link)?;
    // Every other link of the tenant that could still start a flow is dead from now on.
    for (h, mut other) in tx.links_of(slug)? {
        if h != link_hash && other.state(now) == LinkState::Active {
            other.superseded_at = Some(now);
            tx.put_link(&h, other)?;
        }
    }
    Ok(stored)
}

/// What a callback found under its state.
pub(super) enum Taking {
    /// Taken (or used, or unknown) as before.
    Flow(TakenFlow),
    /// A pending flow of another browser, left in place.
    OtherBrowser { tenant: String },
}

/// Take the flow under `state_hash`, unless it was started in another browser than the
/// one `cookie` comes from; in one transaction, so the check and the take cannot be told
/// apart by a racing callback. A callback that comes back to another browser is counted
/// and logged and changes nothing: whoever holds a callback URL can neither spend the flow
/// nor fail the tenant, and the customer's own browser still completes the consent.
pub(super) fn take_in_same_browser(
    tx: &mut dyn Tx,
    state_hash: &[u8],
    cookie: Option<&str>,
) -> Result<Taking, EngineError> {
    if let Some(flow) = tx.pending_flow(state_hash)?
        && !same_browser(&flow.browser, cookie)
    {
        return Ok(Taking::OtherBrowser {
            tenant: flow.tenant,
        });
    }
    Ok(Taking::Flow(tx.take_flow(state_hash)?))
}

/// The answer to a callback in another browser: counted and logged, nothing stored.
pub(super) fn other_browser(core: &Core, tenant: &str) -> CustomerPage {
    core.metrics()
        .consent_failures
        .get_or_create(&crate::metrics::Kind {
            kind: "wrong_browser".into(),
        })
        .inc();
    tracing::warn!(
        tenant,
        "a sign-in came back to another browser than the one that pressed Continue (the link's cookie was missing or different): refused, the flow is kept for the customer's own browser"
    );
    CustomerPage::wrong_browser()
}
