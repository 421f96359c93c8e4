//! Performing what the consent flow's decisions say: a refusal recorded on the tenant (and
//! its page), a consent stored with its link marked used and the tenant's other links
//! superseded, a flow taken only in the browser that started it.

use secrecy::SecretString;

use super::page::CustomerPage;
use crate::domain::actor::Actor;
use crate::domain::consent::{
    ConsentDecision, GrantFacts, Page, Refusal, consume_link, decide_consent, same_browser,
};
use crate::domain::lifecycle::{self, Transition};
use crate::domain::model::FailureKind;
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::ops::grants::{PENDING_TOKEN, REFRESH_TOKEN};
use crate::engine::ops::{apply_in, tenant_in, write_links};
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

/// Where a consent's grant went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Stored {
    Consented,
    AwaitingApproval,
    /// Refused, by the decision on the tenant as it is now: nothing was written.
    Refused(Refusal),
}

/// Decide on the grant (`facts`) for the tenant as it is now ([`decide_consent`]) and
/// store what that says: the token (`refresh`), the tenant's new state and its links (the
/// one consented through used, the others superseded), all in one transaction, and only
/// while the link can take the consent.
pub(super) fn store_consent(
    tx: &mut dyn Tx,
    slug: &str,
    link_hash: &[u8],
    facts: &GrantFacts,
    refresh: Option<&SecretString>,
) -> Result<Stored, EngineError> {
    let cur = tenant_in(tx, slug)?;
    let (transition, secret, stored) = match decide_consent(&cur, facts) {
        ConsentDecision::Refuse(r) => return Ok(Stored::Refused(r)),
        ConsentDecision::Accept { identity, granted } => (
            Transition::Consented {
                identity,
                granted_scopes: granted,
            },
            REFRESH_TOKEN,
            Stored::Consented,
        ),
        ConsentDecision::AwaitApproval { identity, granted } => (
            Transition::AwaitApproval {
                identity,
                granted_scopes: granted,
            },
            PENDING_TOKEN,
            Stored::AwaitingApproval,
        ),
    };
    // A grant is kept only with its refresh token (the decision says so too).
    let refresh = refresh.ok_or_else(|| EngineError::Conflict("no refresh token".into()))?;
    let links =
        consume_link(&tx.links_of(slug)?, link_hash, tx.now()).map_err(EngineError::Conflict)?;
    apply_in(tx, slug, &transition)?;
    tx.put_secret(slug, secret, refresh)?;
    write_links(tx, links)?;
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
