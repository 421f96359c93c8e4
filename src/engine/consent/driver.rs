//! Performing what the consent flow's decisions say: a refusal recorded on the tenant (and
//! its page), a consent stored with its link marked used and the tenant's other links
//! superseded, a flow taken only in the browser that started it.

use secrecy::SecretString;

use super::page::CustomerPage;
use crate::domain::actor::Actor;
use crate::domain::consent::page::Failure;
use crate::domain::consent::several::{Progress, after_consent, first_account_only, may_ask};
use crate::domain::consent::{
    ConsentDecision, GrantFacts, LinkChange, Refusal, consume_link, decide_consent, same_browser,
};
use crate::domain::facet::with_facet;
use crate::domain::google_errors::{FixContext, GoogleCode};
use crate::domain::held::integration_secret;
use crate::domain::lifecycle::{self, Transition};
use crate::domain::model::{
    ExpectedAccount, FailureKind, GoogleIdentity, Integration, LinkState, Tenant,
};
use crate::domain::offboarding::is_leaving;
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::ops::grants::{PENDING_TOKEN, REFRESH_TOKEN};
use crate::engine::ops::{apply_for, tenant_in, write_links};
use crate::store::{Durability, TakenFlow, Tx};

/// The customer's page for a refusal's failure.
pub(super) fn page(failure: &Failure) -> CustomerPage {
    if *failure == Failure::Internal {
        return CustomerPage::internal("consent");
    }
    CustomerPage::from(failure.clone())
}

/// Record a refusal on the tenant (on `integration`, the flow's, when one added after its
/// first) and return the customer's page.
pub(super) async fn refuse(
    core: &Core,
    actor: &Actor,
    slug: &str,
    integration: Option<Integration>,
    r: Refusal,
) -> CustomerPage {
    record_refusal(core, actor, slug, integration, r.kind, &r.reason).await;
    page(&r.page)
}

/// Put a refusal on the tenant: counted always, on the timeline within the bounds of
/// `note_refusal` (anyone can send them).
pub(super) async fn record_refusal(
    core: &Core,
    actor: &Actor,
    slug: &str,
    integration: Option<Integration>,
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
    let reason_text = reason.clone();
    let t = match kind {
        Some(kind) => Transition::ConsentFailed { kind, reason },
        None => Transition::CallbackRefused { reason },
    };
    let s = slug.to_owned();
    let recorded = core
        .commit(actor, Durability::Lazy, move |tx| {
            let cur = tenant_in(tx, &s)?;
            let now = tx.now();
            let (next, event) = with_facet(&cur, integration, |f| {
                let (mut next, mut event) = lifecycle::apply(f, &t, now)?;
                let keep = lifecycle::note_refusal(&mut next, &mut event, now);
                Ok::<_, EngineError>((next, keep.then_some(event)))
            })?;
            tx.put_tenant(next, event)?;
            Ok(cur.integration)
        })
        .await;
    match recorded {
        Ok(first) => log_google_fix(core, slug, integration.unwrap_or(first), &reason_text),
        Err(e) => tracing::warn!(tenant = slug, error = %e, "could not record a refused consent"),
    }
}

/// The id of the OAuth client `integration`'s consents are made with, as a fix names it.
pub fn client_id_of(core: &Core, integration: Integration) -> String {
    match core.google_for(integration) {
        Ok(g) => g.client_id().to_owned(),
        Err(_) => "(none configured)".to_owned(),
    }
}

/// When a refusal's reason names a Google error: log the operator's fix.
fn log_google_fix(core: &Core, slug: &str, integration: Integration, reason: &str) {
    let Some(code) = GoogleCode::in_reason(reason) else {
        return;
    };
    let redirect = core.config().redirect_uri();
    let client_id = client_id_of(core, integration);
    let fix = code.fix(&FixContext {
        slug,
        integration,
        redirect_uri: redirect.as_str(),
        client_id: &client_id,
    });
    tracing::warn!(tenant = slug, google_error = %code.code, at = code.at.describe(), %fix, "Google error");
}

/// Where a consent's grant went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Stored {
    /// Stored, and where the link stands (the next integration it asks for, if any).
    Consented(Progress),
    AwaitingApproval,
    /// Refused, by the decision on the tenant as it is now: nothing was written.
    Refused(Refusal),
}

/// Decide on the grant (`facts`) for `integration` of the tenant (`None`: its first) as it
/// is now ([`decide_consent`] on that integration) and store what that says: the token
/// (`refresh`) under that integration's name, its new state and the tenant's links (the
/// one consented through used after its last consent, the others superseded then), all in
/// one transaction, and only while the link can take the consent. A link that took a
/// consent already takes only the same account.
pub(super) fn store_consent(
    tx: &mut dyn Tx,
    slug: &str,
    link_hash: &[u8],
    facts: &GrantFacts,
    refresh: Option<&SecretString>,
    integration: Option<Integration>,
) -> Result<Stored, EngineError> {
    // A tenant removed while its customer was at Google took its links with it: the
    // customer is told the invitation is no longer active, as for any link gone.
    let gone = || EngineError::Conflict("the consent link is gone".into());
    let cur = tenant_in(tx, slug).map_err(|e| match e {
        EngineError::UnknownTenant(_) => gone(),
        e => e,
    })?;
    let for_integration = integration.unwrap_or(cur.integration);
    // One leaving (removed alone) takes no consent: the customer is told the same.
    let facet = cur
        .facet(for_integration)
        .filter(|f| !is_leaving(f.status))
        .ok_or_else(gone)?;
    let links = tx.links_of(slug)?;
    let link = links
        .iter()
        .find(|(h, _)| h == link_hash)
        .map(|(_, l)| l.clone())
        .ok_or_else(gone)?;
    let (transition, secret, stored) = match decide_consent(&facet, facts) {
        ConsentDecision::Refuse(r) => return Ok(Stored::Refused(r)),
        ConsentDecision::AwaitApproval { identity, .. } if first_account_only(&link) => {
            return Ok(Stored::Refused(another_account(&facet, &identity)));
        }
        ConsentDecision::Accept { identity, granted } => (
            Transition::Consented {
                identity,
                granted_scopes: granted,
            },
            REFRESH_TOKEN,
            None,
        ),
        ConsentDecision::AwaitApproval { identity, granted } => (
            Transition::AwaitApproval {
                identity,
                granted_scopes: granted,
            },
            PENDING_TOKEN,
            Some(Stored::AwaitingApproval),
        ),
    };
    // A grant is kept only with its refresh token (the decision says so too).
    let refresh = refresh.ok_or_else(|| EngineError::Conflict("no refresh token".into()))?;
    let added = integration.filter(|i| *i != cur.integration);
    let next = if stored.is_none() {
        super::kept::consent_keeping_facts(tx, slug, added, &transition, &facts.kept, refresh)?
    } else {
        apply_for(tx, slug, added, &transition)?
    };
    let progress = after_consent(
        &may_ask(&next.statuses()),
        &next.consented_integrations(),
        &link,
        for_integration,
    );
    let changes = if progress.finished() || stored.is_some() {
        let mut changes =
            consume_link(&links, link_hash, tx.now()).map_err(EngineError::Conflict)?;
        for c in changes.iter_mut().filter(|c| c.hash == link_hash) {
            c.link.done = progress.done.clone();
        }
        changes
    } else {
        // More to consent through it: it stays open, for the same account.
        match link.state(tx.now()) {
            LinkState::Active | LinkState::Expired => {}
            s => return Err(EngineError::Conflict(format!("the consent link is {s}"))),
        }
        let mut l = link;
        l.done = progress.done.clone();
        vec![LinkChange {
            hash: link_hash.to_vec(),
            link: l,
        }]
    };
    tx.put_secret(slug, &integration_secret(added, secret), refresh)?;
    write_links(tx, changes)?;
    Ok(stored.unwrap_or(Stored::Consented(progress)))
}

/// A later consent through a link by another account than its first: refused, and the
/// grant given back (unless that would end a consent someone holds).
fn another_account(tenant: &Tenant, identity: &GoogleIdentity) -> Refusal {
    let first = tenant.google.as_ref();
    let expected = first.and_then(|g| g.email.clone()).unwrap_or_default();
    Refusal::fail(
        FailureKind::WrongAccount,
        format!(
            "{} signed in for {} through a link whose first consent was by {expected}: one Google account per tenant",
            identity.email.as_deref().unwrap_or(&identity.sub),
            tenant.integration
        ),
        Failure::WrongAccount {
            signed_in: identity.email.clone(),
            expected: ExpectedAccount::Email(expected),
        },
    )
    .revoking()
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
        "a sign-in came back to another browser than the one that pressed Continue (its consent cookie was missing or different): refused, the flow is kept for the customer's own browser"
    );
    Failure::WrongBrowser.into()
}
