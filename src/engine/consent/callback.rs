//! The OAuth callback: the flow taken (in the browser that started it), checked, the code
//! exchanged at Google, the grant decided on, and the consent stored or refused; then the
//! way back to the company's page.

use super::CallbackQuery;
use super::driver::{
    Stored, Taking, fail, other_browser, page, refuse, store_consent, take_in_same_browser,
};
use super::page::{CustomerPage, Next};
use crate::domain::actor::Actor;
use crate::domain::consent::{
    CallbackParams, GrantFacts, Page, Refusal, TokenClaims, before_exchange, check_claims,
    decide_grant,
};
use crate::domain::lifecycle::Transition;
use crate::domain::model::{FailureKind, GoogleIdentity, LinkState, PendingFlow};
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::ops::grants::give_back;
use crate::engine::token::{STATE_LEN, sha256, unhex, well_formed};
use crate::google;
use crate::store::{Durability, TakenFlow};
use crate::time::now_ms;

pub(super) async fn callback(
    core: &Core,
    actor: &Actor,
    q: CallbackQuery,
    browser: Option<String>,
) -> CustomerPage {
    let started = std::time::Instant::now();
    let page = answer(core, actor, q, browser).await;
    let m = core.metrics();
    m.callbacks.inc();
    m.callback_seconds.observe(started.elapsed().as_secs_f64());
    page
}

/// The state of a flow's link now (`None`: unknown).
async fn link_state(core: &Core, link_hash_hex: &str) -> Option<LinkState> {
    let hash = unhex(link_hash_hex);
    let now = now_ms();
    if core.store().node().live_link(&hash, now).is_some() {
        return Some(LinkState::Active);
    }
    match core.store().read(move |s| s.link(&hash)).await {
        Ok(l) => l.map(|l| l.state(now)),
        Err(e) => {
            tracing::warn!(error = %e, "could not read a flow's link");
            None
        }
    }
}

async fn answer(
    core: &Core,
    actor: &Actor,
    q: CallbackQuery,
    browser: Option<String>,
) -> CustomerPage {
    let Some(state) = q.state.as_deref().filter(|s| well_formed(s, STATE_LEN)) else {
        return CustomerPage::callback_incomplete();
    };
    let hash = sha256(state);
    let taken = core
        .commit(actor, Durability::Lazy, move |tx| {
            take_in_same_browser(tx, &hash, browser.as_deref())
        })
        .await;
    let (flow, verifier) = match taken {
        Ok(Taking::OtherBrowser { tenant }) => return other_browser(core, &tenant),
        Ok(Taking::Flow(TakenFlow::Taken(f, v))) => (f, v),
        Ok(Taking::Flow(TakenFlow::Used(used))) => {
            let r = Refusal {
                kind: None,
                reason: "a repeated sign-in response was refused (its state was already used)"
                    .into(),
                page: Page::Replayed,
                revoke: false,
            };
            return refuse(core, actor, &used.tenant, r).await;
        }
        Ok(Taking::Flow(TakenFlow::Unknown)) => return CustomerPage::state_unknown(),
        Err(e) => return CustomerPage::internal(&e.to_string()),
    };
    let slug = flow.tenant.clone();
    let outcome = async {
        let link_state = link_state(core, &flow.link_hash).await;
        let params = CallbackParams {
            code: q.code,
            error: q.error.clone(),
            error_description: q.error_description.clone(),
        };
        let redirect = core.config().redirect_uri().to_string();
        // Borrowed from the query's wiped copy, never copied.
        let code = match before_exchange(
            &flow,
            link_state,
            &flow.link_id,
            &params,
            &redirect,
            now_ms(),
        ) {
            Ok(c) => c,
            Err(r) if r.page == Page::StateUnknown => return page(&r.page),
            Err(r) => return refuse(core, actor, &slug, r).await,
        };
        finish(core, actor, &flow, code, &verifier).await
    }
    .await;
    hand_off(core, &slug, outcome).await
}

/// Add the way back to the company's frontend: the tenant's return URL, else
/// `listener.return_url`, with `tenant` and `outcome` appended (never a URL from the
/// request). With `listener.return_redirect` a success sends the browser there.
async fn hand_off(core: &Core, slug: &str, mut outcome: CustomerPage) -> CustomerPage {
    let s = slug.to_owned();
    let own = match core.store().read(move |st| st.tenant(&s)).await {
        Ok(Some(t)) => t.return_url,
        _ => None,
    };
    let base = match own {
        // Checked again: a record may come from a backup or an older release.
        Some(u) => crate::domain::lifecycle::validate_return_url(&u).ok(),
        None => core.config().listener.return_url.clone(),
    };
    if let Some(mut url) = base {
        url.query_pairs_mut()
            .append_pair("tenant", slug)
            .append_pair("outcome", outcome.hand_off());
        outcome.next = Some(Next {
            url: url.to_string(),
            redirect: outcome.success && core.config().listener.return_redirect,
        });
    }
    outcome
}

async fn finish(
    core: &Core,
    actor: &Actor,
    flow: &PendingFlow,
    code: &str,
    verifier: &secrecy::SecretString,
) -> CustomerPage {
    let slug = flow.tenant.as_str();
    let google = match core.google() {
        Ok(g) => g,
        Err(why) => {
            return refuse(
                core,
                actor,
                slug,
                fail(
                    FailureKind::ExchangeFailed,
                    format!("cannot exchange the code: {why}"),
                    Page::ExchangeFailed,
                ),
            )
            .await;
        }
    };
    let s = slug.to_owned();
    let tenant = match core.store().read(move |st| st.tenant(&s)).await {
        Ok(Some(t)) => t,
        Ok(None) => return CustomerPage::link_gone("This invitation is no longer active."),
        Err(e) => return CustomerPage::internal(&e.to_string()),
    };
    let grant = match google.exchange(code, verifier).await {
        Ok(g) => g,
        Err(e) => {
            return refuse(
                core,
                actor,
                slug,
                fail(
                    FailureKind::ExchangeFailed,
                    format!("code exchange failed: {e}"),
                    Page::ExchangeFailed,
                ),
            )
            .await;
        }
    };
    let facts = GrantFacts {
        has_refresh_token: grant.refresh_token.is_some(),
        scopes: grant.scopes.clone(),
        identity: grant.id_token.as_deref().map(|t| {
            let c = google::parse_id_token(t).map_err(|e| e.to_string())?;
            let claims = TokenClaims {
                iss: c.iss.clone(),
                aud: c.aud.clone(),
                azp: c.azp.clone(),
                exp: c.exp,
            };
            let client_id = core
                .config()
                .google
                .client_id
                .as_deref()
                .unwrap_or_default();
            check_claims(
                &claims,
                &core.config().google.issuer,
                client_id,
                now_ms() / 1000,
            )?;
            // What Google says about the account is shown to operators: cleaned here.
            Ok(GoogleIdentity {
                sub: crate::text::clean(&c.sub),
                email: c.email.as_deref().map(crate::text::clean),
                email_verified: c.email_verified,
                hd: c.hd.as_deref().map(crate::text::clean),
            })
        }),
    };
    let decided = decide_grant(tenant.expected.as_ref(), &tenant.scopes, &facts);
    let Some(refresh) = grant.refresh_token else {
        // No token: nothing to give back.
        return match decided {
            Err(r) => refuse(core, actor, slug, r).await,
            Ok(_) => {
                refuse(
                    core,
                    actor,
                    slug,
                    fail(
                        FailureKind::NoRefreshToken,
                        "no refresh token",
                        Page::NoRefreshToken,
                    ),
                )
                .await
            }
        };
    };
    let sub = match &facts.identity {
        Some(Ok(id)) => Some(id.sub.clone()),
        _ => None,
    };
    let give_back = |sub: Option<String>| {
        let refresh = refresh.clone();
        async move { give_back(core, google, &refresh, sub.as_deref(), slug).await }
    };
    let accepted = match decided {
        Ok(a) => a,
        Err(mut r) => {
            if r.revoke {
                r.reason.push_str(&give_back(sub).await);
            }
            return refuse(core, actor, slug, r).await;
        }
    };
    let sub = Some(accepted.identity.sub.clone());
    let email = accepted.identity.email.clone();
    let t = Transition::Consented {
        identity: accepted.identity,
        granted_scopes: accepted.granted,
    };
    let link_hash = unhex(&flow.link_hash);
    let token = refresh.clone();
    let s = slug.to_owned();
    let stored = core
        .commit(actor, Durability::Durable, move |tx| {
            store_consent(tx, &s, &link_hash, &t, &token)
        })
        .await;
    let stored = match stored {
        Ok(s) => s,
        Err(EngineError::Conflict(why)) => {
            // The link was used or withdrawn while the customer was at Google.
            let note = give_back(sub).await;
            let r = Refusal {
                kind: None,
                reason: format!(
                    "a sign-in through consent link {} was refused: {why}{note}",
                    flow.link_id
                ),
                page: Page::LinkGone(if why.contains("gone") {
                    // Removed (with its tenant) while the customer was at Google.
                    "This invitation is no longer active."
                } else {
                    "This link was already used to connect an account."
                }),
                revoke: true,
            };
            return refuse(core, actor, slug, r).await;
        }
        Err(e) => {
            // Not kept, so not wanted either: give the grant back.
            let note = give_back(sub).await;
            return refuse(
                core,
                actor,
                slug,
                fail(
                    FailureKind::StoreFailed,
                    format!("could not store the consent: {e}{note}"),
                    Page::Internal,
                ),
            )
            .await;
        }
    };
    core.metrics().consents.inc();
    if stored == Stored::AwaitingApproval {
        return CustomerPage::awaiting_approval(&tenant.display_name, email.as_deref());
    }
    core.wake_provisioner();
    CustomerPage::connected(&tenant.display_name, email.as_deref())
}
