//! The customer-facing consent flow, the effects around the pure decisions in
//! [`crate::domain::consent`]: open a link, continue to Google, handle the callback.
//!
//! Every outcome is a page for the customer (no internal detail) plus, when the tenant is
//! known, a reason for the operator recorded through the commit point. The link pages read
//! only the in-memory index; the callback's state is taken (deleted, tombstoned) by the
//! writer, so of two racing callbacks exactly one proceeds; the refresh token is stored,
//! with the link marked used, in one transaction that is flushed before the success page.

use url::Url;

use super::binding::{Taking, take_in_same_browser};
use super::error::EngineError;
use super::handle::{
    Engine, FLOW_TTL, LINK_CODE_LEN, STATE_LEN, apply_in, random_token, sha256, well_formed,
};
use super::outcome::{Interstitial, Outcome};
use crate::domain::brief::Brief;
use crate::domain::consent::{
    CallbackParams, ContinueRequest, GrantFacts, Page, Refusal, TokenClaims, before_exchange,
    browser_hash, check_claims, check_continue, decide_grant, form_token,
};
use crate::domain::lifecycle::Transition;
use crate::domain::model::{
    ConsentLink, ExpectedAccount, FailureKind, GoogleIdentity, LinkState, PendingFlow, TenantStatus,
};
use crate::google;
use crate::store::{Counted, Durability, TakenFlow, Tx};
use crate::time::{add, now_ms};

/// The query Google sends to the redirect URI.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct CallbackQuery {
    pub state: Option<String>,
    /// Wiped when dropped.
    pub code: Option<secrecy::SecretString>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub scope: Option<String>,
}

fn page(p: &Page) -> Outcome {
    match p {
        Page::CallbackIncomplete => Outcome::callback_incomplete(),
        Page::StateUnknown => Outcome::state_unknown(),
        Page::Replayed => Outcome::replayed(),
        Page::LinkGone(why) => Outcome::link_gone(why),
        Page::FlowExpired => Outcome::flow_expired(),
        Page::Denied => Outcome::denied(),
        Page::GoogleError => Outcome::google_error(),
        Page::ExchangeFailed => Outcome::exchange_failed(),
        Page::NoRefreshToken => Outcome::no_refresh_token(),
        Page::ScopeMissing => Outcome::scope_missing(),
        Page::WrongAccount {
            signed_in,
            expected,
        } => Outcome::wrong_account(signed_in.as_deref(), expected),
        Page::Internal => Outcome::internal("consent"),
    }
}

fn gone(state: LinkState) -> Outcome {
    Outcome::link_gone(match state {
        LinkState::Used => "This link was already used to connect an account.",
        LinkState::Revoked => "This link was withdrawn.",
        LinkState::Superseded => "A newer link was used to connect an account.",
        LinkState::Expired => "This link has expired.",
        LinkState::Active => "This invitation is no longer active.",
    })
}

fn inactive(status: TenantStatus) -> bool {
    matches!(status, TenantStatus::Offboarded | TenantStatus::Offboarding)
}

/// Count an open on the link; the first open of a link goes on the tenant's timeline.
fn count_open(tx: &mut dyn Tx, hash: &[u8]) -> Result<(), EngineError> {
    if let Counted::First(link) = tx.count_on_link(hash, false)? {
        // A tenant being offboarded refuses the transition; the count still stands.
        let _ = apply_in(
            tx,
            &link.tenant,
            &Transition::LinkOpened {
                link_id: link.id.clone(),
            },
        );
    }
    Ok(())
}

/// Store a new flow for a link that can still start one; count the Continue.
fn start_flow(
    tx: &mut dyn Tx,
    hash: &[u8],
    state_hash: &[u8],
    flow: PendingFlow,
    sealed_verifier: String,
) -> Result<(), EngineError> {
    let link = tx
        .link(hash)?
        .ok_or_else(|| EngineError::Conflict("the link is gone".into()))?;
    let state = link.state(tx.now());
    if state != LinkState::Active {
        return Err(EngineError::Conflict(format!("the link is {state}")));
    }
    tx.put_sealed_flow(state_hash, flow, sealed_verifier)?;
    if let Counted::First(link) = tx.count_on_link(hash, true)? {
        let _ = apply_in(
            tx,
            &link.tenant,
            &Transition::ConsentStarted {
                link_id: link.id.clone(),
            },
        );
    }
    Ok(())
}

/// Store an accepted consent: the token, the tenant's new state and the link marked used,
/// all in one transaction, and only while the link is still good for it.
fn store_consent(
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
    let cur = tx
        .tenant(slug)?
        .ok_or_else(|| EngineError::UnknownTenant(slug.to_owned()))?;
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
            tx.put_secret(slug, "refresh_token", refresh)?;
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

/// The secret holding a consent's refresh token while it waits for approval.
pub const PENDING_TOKEN: &str = "pending_refresh_token";

/// Where a consent's token went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stored {
    Consented,
    AwaitingApproval,
}

impl Engine {
    /// The link behind `code` if it can still start a flow, with its tenant in brief; else
    /// the page that says why not.
    async fn live_link(
        &self,
        code: &str,
    ) -> Result<([u8; 32], ConsentLink, std::sync::Arc<Brief>), Outcome> {
        if !well_formed(code, LINK_CODE_LEN) {
            return Err(Outcome::link_unknown());
        }
        let hash = sha256(code);
        let now = now_ms();
        {
            let node = self.store.node();
            if let Some(link) = node.live_link(&hash, now) {
                return match node.brief(&link.tenant) {
                    Some(b) if !inactive(b.status) => Ok((hash, link, b)),
                    _ => Err(Outcome::link_gone("This invitation is no longer active.")),
                };
            }
        }
        // Not live: the stored record says why (a blocking read, off the workers).
        match self.store.read(move |s| s.link(&hash)).await {
            Ok(Some(l)) => Err(gone(l.state(now))),
            Ok(None) => Err(Outcome::link_unknown()),
            Err(e) => Err(Outcome::internal(&e.to_string())),
        }
    }

    /// `GET /c/{code}`: count the open and describe what will be asked. Nothing else, since
    /// mail scanners open links too. `browser` is the consent cookie the page is served
    /// with; the Continue form carries a token tied to it and to the link.
    pub async fn open_link(&self, code: &str, browser: &str) -> Result<Interstitial, Outcome> {
        let (hash, _link, brief) = self.live_link(code).await?;
        // A repeat open is only counted (in memory, written with the next lazy flush); the
        // first is queued, not waited for: the page does not wait for the disk.
        if !self.count_again(&hash, false) {
            self.commit_detached("count a link open", move |tx| count_open(tx, &hash));
        }
        Ok(Interstitial {
            display_name: brief.display_name.clone(),
            access: brief.integration.access_summary().to_owned(),
            account_hint: brief.expected.as_ref().map(|e| match e {
                ExpectedAccount::Email(m) => m.clone(),
                ExpectedAccount::Domain(d) => format!("an account of {d}"),
            }),
            continue_path: self
                .config
                .public_path(&format!("/c/{code}/continue"))
                .path()
                .to_owned(),
            token: form_token(self.store.form_key(), browser, &hash),
        })
    }

    /// `POST /c/{code}/continue`: start a fresh single-use flow bound to this browser;
    /// returns Google's URL. Only a press on our own page, in the browser that opened the
    /// link, gets this far.
    pub async fn continue_link(&self, code: &str, req: &ContinueRequest) -> Result<Url, Outcome> {
        let (hash, link, brief) = self.live_link(code).await?;
        let origin = self
            .config
            .listener
            .public_url
            .origin()
            .ascii_serialization();
        let browser = match check_continue(&origin, self.store.form_key(), &hash, req) {
            Ok(b) => browser_hash(b),
            Err(why) => {
                tracing::warn!(tenant = %brief.slug, link = %link.id, reason = why.reason(), "Continue refused");
                return Err(Outcome::continue_refused());
            }
        };
        let Some(google) = &self.google else {
            let why = self.google_missing.clone().unwrap_or_default();
            tracing::error!(error = %why, "consent flow refused: Google is not configured");
            self.record_refusal(
                &brief.slug,
                None,
                &format!("Continue refused: consent is disabled ({why})"),
            )
            .await;
            return Err(Outcome::not_configured());
        };
        let state = random_token(32);
        let (challenge, verifier) = google::new_pkce();
        let now = now_ms();
        let flow = PendingFlow {
            tenant: brief.slug.clone(),
            link_id: link.id.clone(),
            link_hash: hex(&hash),
            redirect_uri: self.config.redirect_uri().to_string(),
            created_at: now,
            expires_at: add(now, FLOW_TTL),
            browser,
        };
        let state_hash = sha256(&state);
        let sealed = self.store.seal_flow_verifier(&state_hash, &verifier);
        if self.count_again(&hash, true) {
            // A repeat Continue: the flow is staged (the callback finds it at once) and
            // written with the next lazy flush.
            self.stage_flow(&state_hash, flow, sealed);
        } else {
            // The first Continue goes on the timeline. Queued, not waited for: the
            // callback, which comes after Google, takes the flow through the same queue.
            self.commit_detached("start a flow", move |tx| {
                start_flow(tx, &hash, &state_hash, flow.clone(), sealed.clone())
            });
        }
        let hint = match &brief.expected {
            Some(ExpectedAccount::Email(m)) => Some(m.as_str()),
            _ => None,
        };
        Ok(google.authorize_url(&state, challenge, &brief.integration.scopes(), hint))
    }

    /// Record a refusal on the tenant and return the customer's page.
    async fn refuse(&self, slug: &str, r: Refusal) -> Outcome {
        self.record_refusal(slug, r.kind, &r.reason).await;
        page(&r.page)
    }

    /// Put a refusal on the tenant: counted always, on the timeline within the bounds of
    /// `note_refusal` (anyone can send them).
    async fn record_refusal(&self, slug: &str, kind: Option<FailureKind>, reason: &str) {
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
        self.metrics()
            .consent_failures
            .get_or_create(&crate::metrics::Kind { kind: label })
            .inc();
        tracing::info!(tenant = slug, kind = ?kind, %reason, "consent refused");
        let t = match kind {
            Some(kind) => Transition::ConsentFailed { kind, reason },
            None => Transition::CallbackRefused { reason },
        };
        let s = slug.to_owned();
        let recorded = self
            .commit(Durability::Lazy, move |tx| {
                let cur = tx
                    .tenant(&s)?
                    .ok_or_else(|| EngineError::UnknownTenant(s.clone()))?;
                let now = tx.now();
                let (mut next, mut event) = crate::domain::lifecycle::apply(&cur, &t, now)?;
                let keep = crate::domain::lifecycle::note_refusal(&mut next, &mut event, now);
                tx.put_tenant(next, keep.then_some(event))?;
                Ok(())
            })
            .await;
        if let Err(e) = recorded {
            tracing::warn!(tenant = slug, error = %e, "could not record a refused consent");
        }
    }

    /// The state of a flow's link now (`None`: unknown).
    async fn link_state(&self, link_hash_hex: &str) -> Option<LinkState> {
        let hash = unhex(link_hash_hex);
        let now = now_ms();
        if self.store.node().live_link(&hash, now).is_some() {
            return Some(LinkState::Active);
        }
        match self.store.read(move |s| s.link(&hash)).await {
            Ok(l) => l.map(|l| l.state(now)),
            Err(e) => {
                tracing::warn!(error = %e, "could not read a flow's link");
                None
            }
        }
    }

    /// `GET /oauth/callback`; `browser` is the consent cookie the callback came with.
    pub async fn callback(&self, q: CallbackQuery, browser: Option<String>) -> Outcome {
        let started = std::time::Instant::now();
        let outcome = self.callback_answer(q, browser).await;
        let m = self.metrics();
        m.callbacks.inc();
        m.callback_seconds.observe(started.elapsed().as_secs_f64());
        outcome
    }

    async fn callback_answer(&self, q: CallbackQuery, browser: Option<String>) -> Outcome {
        let Some(state) = q.state.as_deref().filter(|s| well_formed(s, STATE_LEN)) else {
            return Outcome::callback_incomplete();
        };
        let hash = sha256(state);
        let cookie = browser.clone();
        let taken = self
            .commit(Durability::Lazy, move |tx| {
                take_in_same_browser(tx, &hash, cookie.as_deref())
            })
            .await;
        let (flow, verifier) = match taken {
            Ok(Taking::OtherBrowser { tenant }) => return self.other_browser(&tenant),
            Ok(Taking::Flow(TakenFlow::Taken(f, v))) => (f, v),
            Ok(Taking::Flow(TakenFlow::Used(used))) => {
                let r = Refusal {
                    kind: None,
                    reason: "a repeated sign-in response was refused (its state was already used)"
                        .into(),
                    page: Page::Replayed,
                    revoke: false,
                };
                return self.refuse(&used.tenant, r).await;
            }
            Ok(Taking::Flow(TakenFlow::Unknown)) => return Outcome::state_unknown(),
            Err(e) => return Outcome::internal(&e.to_string()),
        };
        let slug = flow.tenant.clone();
        let outcome = async {
            let link_state = self.link_state(&flow.link_hash).await;
            let params = CallbackParams {
                code: q.code,
                error: q.error.clone(),
                error_description: q.error_description.clone(),
            };
            let redirect = self.config.redirect_uri().to_string();
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
                Err(r) => return self.refuse(&slug, r).await,
            };
            self.finish(&flow, code, &verifier).await
        }
        .await;
        self.hand_off(&slug, outcome).await
    }

    /// Add the way back to the company's frontend: the tenant's return URL, else
    /// `listener.return_url`, with `tenant` and `outcome` appended (never a URL from the
    /// request). With `listener.return_redirect` a success sends the browser there.
    async fn hand_off(&self, slug: &str, mut outcome: Outcome) -> Outcome {
        let s = slug.to_owned();
        let own = match self.store.read(move |st| st.tenant(&s)).await {
            Ok(Some(t)) => t.return_url,
            _ => None,
        };
        let base = match own {
            // Checked again: a record may come from a backup or an older release.
            Some(u) => crate::domain::lifecycle::validate_return_url(&u).ok(),
            None => self.config.listener.return_url.clone(),
        };
        if let Some(mut url) = base {
            url.query_pairs_mut()
                .append_pair("tenant", slug)
                .append_pair("outcome", outcome.hand_off());
            outcome.next = Some(super::outcome::Next {
                url: url.to_string(),
                redirect: outcome.success && self.config.listener.return_redirect,
            });
        }
        outcome
    }

    async fn finish(
        &self,
        flow: &PendingFlow,
        code: &str,
        verifier: &secrecy::SecretString,
    ) -> Outcome {
        let slug = flow.tenant.as_str();
        let Some(google) = &self.google else {
            let why = self.google_missing.clone().unwrap_or_default();
            return self
                .refuse(
                    slug,
                    fail(
                        FailureKind::ExchangeFailed,
                        format!("cannot exchange the code: {why}"),
                        Page::ExchangeFailed,
                    ),
                )
                .await;
        };
        let s = slug.to_owned();
        let tenant = match self.store.read(move |st| st.tenant(&s)).await {
            Ok(Some(t)) => t,
            Ok(None) => return Outcome::link_gone("This invitation is no longer active."),
            Err(e) => return Outcome::internal(&e.to_string()),
        };
        let grant = match google.exchange(code, verifier).await {
            Ok(g) => g,
            Err(e) => {
                return self
                    .refuse(
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
                let client_id = self.config.google.client_id.as_deref().unwrap_or_default();
                check_claims(
                    &claims,
                    &self.config.google.issuer,
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
                Err(r) => self.refuse(slug, r).await,
                Ok(_) => {
                    self.refuse(
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
            async move { self.give_back(google, &refresh, sub.as_deref(), slug).await }
        };
        let accepted = match decided {
            Ok(a) => a,
            Err(mut r) => {
                if r.revoke {
                    r.reason.push_str(&give_back(sub).await);
                }
                return self.refuse(slug, r).await;
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
        let stored = self
            .commit(Durability::Durable, move |tx| {
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
                return self.refuse(slug, r).await;
            }
            Err(e) => {
                // Not kept, so not wanted either: give the grant back.
                let note = give_back(sub).await;
                return self
                    .refuse(
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
        self.metrics().consents.inc();
        if stored == Stored::AwaitingApproval {
            return Outcome::awaiting_approval(&tenant.display_name, email.as_deref());
        }
        self.wake_provisioner();
        Outcome::connected(&tenant.display_name, email.as_deref())
    }
}

impl Engine {
    /// Give an unwanted grant back at Google, unless that would end a consent a tenant
    /// holds: Google revokes an account's whole grant to our client, every refresh token
    /// with it. Returns what to add to the operator's reason.
    pub(super) async fn give_back(
        &self,
        google: &google::GoogleOAuth,
        refresh: &secrecy::SecretString,
        sub: Option<&str>,
        slug: &str,
    ) -> String {
        let Some(sub) = sub else {
            return " (the grant was kept at Google: the account is unknown, and giving it back could end another tenant's consent by the same account)".into();
        };
        let holders = self.store.node().consents_by(sub);
        if !holders.is_empty() {
            return format!(
                " (the grant was kept at Google: {} hold{} a consent by this Google account, which giving it back would end)",
                holders.join(", "),
                if holders.len() == 1 { "s" } else { "" }
            );
        }
        match google.revoke(refresh).await {
            Ok(()) => " (the grant was given back at Google)".into(),
            Err(e) => {
                tracing::warn!(tenant = slug, error = %e, "could not revoke an unwanted grant");
                format!(" (giving the grant back at Google failed: {e})")
            }
        }
    }
}

fn fail(kind: FailureKind, reason: impl Into<String>, page: Page) -> Refusal {
    Refusal {
        kind: Some(kind),
        reason: reason.into(),
        page,
        revoke: false,
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Decode our own hex; anything malformed gives bytes that match no link.
fn unhex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .filter_map(|i| text.get(2 * i..2 * i + 2))
        .filter_map(|h| u8::from_str_radix(h, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_round_trips() {
        let b = [0u8, 1, 0xab, 0xff, 0x10];
        assert_eq!(super::hex(&b), "0001abff10");
        assert_eq!(super::unhex(&super::hex(&b)), b);
    }
}
