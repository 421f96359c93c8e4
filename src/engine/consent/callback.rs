//! The OAuth callback: the flow taken (in the browser that started it), checked, the code
//! exchanged at Google, the grant decided on, and the consent stored or refused; then the
//! way back to the company's page.

use super::CallbackQuery;
use super::driver::{
    Stored, Taking, other_browser, page, refuse, store_consent, take_in_same_browser,
};
use super::page::{CustomerPage, Next};
use crate::domain::actor::Actor;
use crate::domain::consent::page::{Failure, PageKind};
use crate::domain::consent::{
    CallbackParams, GrantFacts, KeptAtConsent, Refusal, TokenClaims, before_exchange, check_claims,
    google_refused,
};
use crate::domain::google_errors::{GoogleCode, Stage};
use crate::domain::link::Gone;
use crate::domain::model::{FailureKind, GoogleIdentity, LinkState, PendingFlow, Tenant};
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::ops::grants::give_back;
use crate::engine::token::{LINK_CODE_LEN, STATE_LEN, sha256, unhex, well_formed};
use crate::google::{self, GoogleOAuth};
use crate::store::{Durability, TakenFlow};
use crate::time::now_ms;

pub(super) async fn callback(
    core: &Core,
    actor: &Actor,
    q: CallbackQuery,
    browser: Option<String>,
    link_code: Option<String>,
) -> CustomerPage {
    let started = std::time::Instant::now();
    let page = answer(core, actor, q, browser, link_code.as_deref()).await;
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
    link_code: Option<&str>,
) -> CustomerPage {
    let Some(state) = q.state.as_deref().filter(|s| well_formed(s, STATE_LEN)) else {
        return Failure::CallbackIncomplete.into();
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
                page: Failure::Replayed,
                revoke: false,
            };
            return refuse(core, actor, &used.tenant, None, r).await;
        }
        Ok(Taking::Flow(TakenFlow::Unknown)) => return Failure::StateUnknown.into(),
        Err(e) => return CustomerPage::internal(&e.to_string()),
    };
    let slug = flow.tenant.clone();
    // The language the pages spoke before Google (the customer's choice among them).
    let spoken = flow.lang.as_deref().and_then(crate::i18n::Lang::from_tag);
    // The tenant, read once: what the pages name, and where the customer goes back to
    // (the consent itself is decided on the record as the transaction finds it).
    let s = slug.clone();
    let tenant = core.store().read(move |st| st.tenant(&s)).await;
    // The integration this consent is for: the flow's, else the tenant's first.
    let integration = match (&tenant, flow.integration) {
        (_, Some(i)) => i,
        (Ok(Some(t)), None) => t.integration,
        _ => Default::default(),
    };
    let page = async {
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
            Err(r) if r.page == Failure::StateUnknown => return page(&r.page),
            Err(r) => return refuse(core, actor, &slug, flow.integration, r).await,
        };
        let google = match core.google_for(integration) {
            Ok(g) => g,
            Err(why) => {
                let r = Refusal::fail(
                    FailureKind::ExchangeFailed,
                    format!("cannot exchange the code: {why}"),
                    Failure::ExchangeFailed,
                );
                return refuse(core, actor, &slug, flow.integration, r).await;
            }
        };
        match &tenant {
            Ok(Some(t)) => {
                let page = finish(core, actor, google, &flow, t, code, &verifier).await;
                way_on(core, &flow, link_code, page)
            }
            Ok(None) => CustomerPage::link_gone(Gone::Inactive),
            Err(e) => CustomerPage::internal(&e.to_string()),
        }
    }
    .await;
    let mut page = page;
    page.lang = page.lang.or(spoken);
    hand_off(core, &slug, tenant.ok().flatten(), page)
}

/// Name the tenant on a failure and speak its language; add the way back to the
/// company's frontend: the tenant's return URL, else `listener.return_url`, with `tenant`
/// and `outcome` appended (never a URL from the request). With `listener.return_redirect`
/// a success sends the browser there. Not while the link still asks for another consent:
/// then the customer's one way on is that consent.
fn hand_off(
    core: &Core,
    slug: &str,
    tenant: Option<Tenant>,
    mut page: CustomerPage,
) -> CustomerPage {
    let own = match tenant {
        Some(t) => {
            page.lang = page.lang.or(t.language());
            if let PageKind::Failed { tenant: named, .. } = &mut page.kind {
                named.get_or_insert(t.display_name);
            }
            t.return_url
        }
        None => None,
    };
    let base = match own {
        // Checked again: a record may come from a backup or an older release.
        Some(u) => crate::domain::lifecycle::validate_return_url(&u).ok(),
        None => core.config().listener.return_url.clone(),
    };
    if let Some(mut url) = base.filter(|_| !page.kind.consents_left()) {
        url.query_pairs_mut()
            .append_pair("tenant", slug)
            .append_pair("outcome", page.hand_off());
        page.next = Some(Next {
            url: url.to_string(),
            redirect: page.success() && core.config().listener.return_redirect,
        });
    }
    page
}

/// What Google's token endpoint gave `google` (the client that made the flow), as the
/// decision reads it: the id_token's claims checked (issued for that client), and what it
/// says of the account cleaned (it is shown to operators).
fn grant_facts(core: &Core, google: &GoogleOAuth, grant: &google::TokenGrant) -> GrantFacts {
    GrantFacts {
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
            check_claims(
                &claims,
                &core.config().google.issuer,
                google.client_id(),
                now_ms() / 1000,
            )?;
            Ok(GoogleIdentity {
                sub: crate::text::clean(&c.sub),
                email: c.email.as_deref().map(crate::text::clean),
                email_verified: c.email_verified,
                hd: c.hd.as_deref().map(crate::text::clean),
            })
        }),
        kept: KeptAtConsent {
            issuer: Some(core.config().google.issuer.clone()),
            testing: core.config().google.app_in_testing,
            expires_in: grant.refresh_expires_in,
        },
    }
}

/// Exchange the code, then decide on the grant and store what the decision says (in one
/// transaction, on the tenant as it is then); refuse, giving an unwanted grant back.
async fn finish(
    core: &Core,
    actor: &Actor,
    google: &GoogleOAuth,
    flow: &PendingFlow,
    tenant: &Tenant,
    code: &str,
    verifier: &secrecy::SecretString,
) -> CustomerPage {
    let slug = flow.tenant.as_str();
    let grant = match google.exchange(code, verifier).await {
        Ok(g) => g,
        Err(google::GoogleError::Refused { error, description }) => {
            let code = GoogleCode::new(Stage::Token, &error);
            let r = google_refused(&code, description.as_deref());
            return refuse(core, actor, slug, flow.integration, r).await;
        }
        Err(e) => {
            let r = Refusal::fail(
                FailureKind::ExchangeFailed,
                format!("code exchange failed: {e}"),
                Failure::ExchangeFailed,
            );
            return refuse(core, actor, slug, flow.integration, r).await;
        }
    };
    let facts = grant_facts(core, google, &grant);
    let sub = match &facts.identity {
        Some(Ok(id)) => Some(id.sub.clone()),
        _ => None,
    };
    let email = match &facts.identity {
        Some(Ok(id)) => id.email.as_deref().map(str::to_ascii_lowercase),
        _ => None,
    };
    let refresh = grant.refresh_token;
    // The integration this consent is for: the flow's, else the tenant's first.
    let client = flow.integration.unwrap_or(tenant.integration);
    // Give the grant back (when one was made and nobody keeps it); what to tell the
    // operator of it.
    let give_back = |sub: Option<String>| {
        let refresh = refresh.clone();
        async move {
            match refresh {
                Some(r) => {
                    let tokens = std::slice::from_ref(&r);
                    give_back(core, google, client, tokens, sub.as_deref(), slug).await
                }
                None => String::new(),
            }
        }
    };
    let link_hash = unhex(&flow.link_hash);
    let (s, kept, decided) = (slug.to_owned(), refresh.clone(), facts.clone());
    let integration = flow.integration;
    let stored = core
        .commit(actor, Durability::Durable, move |tx| {
            store_consent(tx, &s, &link_hash, &decided, kept.as_ref(), integration)
        })
        .await;
    let stored = match stored {
        Ok(Stored::Refused(mut r)) => {
            if r.revoke {
                r.reason.push_str(&give_back(sub).await);
            }
            return refuse(core, actor, slug, flow.integration, r).await;
        }
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
                page: Failure::LinkGone(if why.contains("gone") {
                    // Removed (with its tenant) while the customer was at Google.
                    Gone::Inactive
                } else {
                    Gone::Used
                }),
                revoke: true,
            };
            return refuse(core, actor, slug, flow.integration, r).await;
        }
        Err(e) => {
            // Not kept, so not wanted either: give the grant back.
            let note = give_back(sub).await;
            let r = Refusal::fail(
                FailureKind::StoreFailed,
                format!("could not store the consent: {e}{note}"),
                Failure::Internal,
            );
            return refuse(core, actor, slug, flow.integration, r).await;
        }
    };
    core.metrics().consents.inc();
    let tenant_name = tenant.display_name.clone();
    let Stored::Consented(progress) = stored else {
        return PageKind::AwaitingApproval {
            tenant: tenant_name,
            email,
        }
        .into();
    };
    core.wake_provisioner();
    CustomerPage::from(PageKind::Connected {
        tenant: tenant_name,
        email,
        integrations: progress.done.clone(),
        progress: Some(progress),
        link_page: None,
    })
}

/// After a consent that leaves others to give through its link: the link's page to go on
/// from, when the link code this browser brought back (its link cookie, set at Continue)
/// is the flow's link's. Nothing else of the cookie is trusted, and no code is kept.
fn way_on(
    core: &Core,
    flow: &PendingFlow,
    code: Option<&str>,
    mut page: CustomerPage,
) -> CustomerPage {
    use subtle::ConstantTimeEq;
    if !page.kind.consents_left() {
        return page;
    }
    let Some(code) = code.filter(|c| well_formed(c, LINK_CODE_LEN)) else {
        return page;
    };
    let ours: bool = sha256(code)[..].ct_eq(&unhex(&flow.link_hash)[..]).into();
    if let (true, PageKind::Connected { link_page, .. }) = (ours, &mut page.kind) {
        let path = core.config().public_path(&format!("/c/{code}"));
        *link_page = Some(path.path().to_owned());
    }
    page
}
