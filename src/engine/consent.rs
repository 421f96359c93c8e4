//! The customer-facing consent flow: open a link, continue to Google, handle the callback.
//!
//! Every outcome is a page for the customer (no internal detail) plus, when the tenant is
//! known, a reason for the operator recorded through a lifecycle transition. The callback's
//! state is looked up by its SHA-256 and deleted on first use, so of two racing callbacks
//! exactly one proceeds; the refresh token is stored and flushed before the success page is
//! returned.

use url::Url;

use super::handle::{
    Engine, EngineError, FLOW_TTL, LINK_CODE_LEN, STATE_LEN, random_token, sha256, well_formed,
};
use super::lifecycle::Transition;
use super::model::{ExpectedAccount, FailureKind, GoogleIdentity, PendingFlow, Tenant};
use super::outcome::{Interstitial, Outcome};
use crate::google::{self, IdClaims};
use crate::time::{add, now_ms};

/// The query Google sends to the redirect URI.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct CallbackQuery {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub scope: Option<String>,
}

/// Google reports `email`/`profile` under their long names.
fn normalise_scope(s: &str) -> &str {
    match s {
        "https://www.googleapis.com/auth/userinfo.email" => "email",
        "https://www.googleapis.com/auth/userinfo.profile" => "profile",
        other => other,
    }
}

/// Requested scopes missing from the granted ones.
pub fn missing_scopes(requested: &[String], granted: &[String]) -> Vec<String> {
    requested
        .iter()
        .filter(|r| {
            !granted
                .iter()
                .any(|g| normalise_scope(g) == normalise_scope(r))
        })
        .cloned()
        .collect()
}

/// Does the signed-in account match what the operator expected? `Err` says who signed in.
fn check_account(expected: Option<&ExpectedAccount>, c: &IdClaims) -> Result<(), String> {
    let email = c
        .email
        .as_deref()
        .unwrap_or("an account without an email")
        .to_ascii_lowercase();
    match expected {
        None => Ok(()),
        Some(ExpectedAccount::Email(want)) => {
            if c.email_verified && email == *want {
                Ok(())
            } else if !c.email_verified && email == *want {
                Err(format!(
                    "{email} (address not verified by Google), expected {want}"
                ))
            } else {
                Err(format!("{email}, expected {want}"))
            }
        }
        Some(ExpectedAccount::Domain(want)) => match c.hd.as_deref() {
            Some(hd) if hd.eq_ignore_ascii_case(want) => Ok(()),
            Some(hd) => Err(format!(
                "{email} of Workspace domain {hd}, expected domain {want}"
            )),
            None => Err(format!(
                "{email} (not a Workspace account), expected domain {want}"
            )),
        },
    }
}

impl Engine {
    fn live_link(
        &self,
        code: &str,
    ) -> Result<(Vec<u8>, super::model::ConsentLink, Tenant), Outcome> {
        if !well_formed(code, LINK_CODE_LEN) {
            return Err(Outcome::link_unknown());
        }
        let hash = sha256(code);
        let link = match self.store.link(&hash) {
            Ok(Some(l)) => l,
            Ok(None) => return Err(Outcome::link_unknown()),
            Err(e) => return Err(Outcome::internal(&e.to_string())),
        };
        let now = now_ms();
        if link.used_at.is_some() {
            return Err(Outcome::link_gone(
                "This link was already used to connect an account.",
            ));
        }
        if link.revoked {
            return Err(Outcome::link_gone("This link was withdrawn."));
        }
        if link.expires_at <= now {
            return Err(Outcome::link_gone("This link has expired."));
        }
        let tenant = match self.tenant(&link.tenant) {
            Ok(t) => t,
            Err(_) => return Err(Outcome::link_gone("This invitation is no longer active.")),
        };
        if matches!(
            tenant.status,
            super::model::TenantStatus::Offboarded | super::model::TenantStatus::Offboarding
        ) {
            return Err(Outcome::link_gone("This invitation is no longer active."));
        }
        Ok((hash.to_vec(), link, tenant))
    }

    /// `GET /c/{code}`: record "opened" and describe what will be asked. Nothing else, since
    /// mail scanners open links too.
    pub fn open_link(&self, code: &str) -> Result<Interstitial, Outcome> {
        let (hash, link, tenant) = self.live_link(code)?;
        if let Err(e) = self.store.mark_link_opened(&hash, now_ms()) {
            return Err(Outcome::internal(&e.to_string()));
        }
        if let Err(e) = self.transition(&tenant.slug, Transition::LinkOpened { link_id: link.id }) {
            tracing::warn!(tenant = %tenant.slug, error = %e, "could not record link opened");
        }
        Ok(Interstitial {
            display_name: tenant.display_name.clone(),
            access: tenant.integration.access_summary().to_owned(),
            account_hint: tenant.expected.as_ref().map(|e| match e {
                ExpectedAccount::Email(m) => m.clone(),
                ExpectedAccount::Domain(d) => format!("an account of {d}"),
            }),
            continue_path: format!("/c/{code}/continue"),
        })
    }

    /// `POST /c/{code}/continue`: start a fresh single-use flow; returns Google's URL.
    pub async fn continue_link(&self, code: &str) -> Result<Url, Outcome> {
        let (hash, link, tenant) = self.live_link(code)?;
        let Some(google) = &self.google else {
            let why = self.google_missing.clone().unwrap_or_default();
            tracing::error!(error = %why, "consent flow refused: Google is not configured");
            return Err(Outcome::not_configured());
        };
        let state = random_token(32);
        let (challenge, verifier) = google::new_pkce();
        let now = now_ms();
        let flow = PendingFlow {
            tenant: tenant.slug.clone(),
            link_id: link.id.clone(),
            link_hash: hex(&hash),
            redirect_uri: self.config.redirect_uri().to_string(),
            created_at: now,
            expires_at: add(now, FLOW_TTL),
        };
        let stored = self
            .store
            .put_flow(&sha256(&state), &flow, &verifier)
            .map_err(EngineError::from)
            .and_then(|()| {
                self.transition(
                    &tenant.slug,
                    Transition::ConsentStarted { link_id: link.id },
                )
            });
        if let Err(e) = stored {
            return Err(Outcome::internal(&e.to_string()));
        }
        let hint = match &tenant.expected {
            Some(ExpectedAccount::Email(m)) => Some(m.as_str()),
            _ => None,
        };
        Ok(google.authorize_url(&state, challenge, &tenant.scopes, hint))
    }

    /// Record a failure on the tenant and return the customer's page.
    fn fail(&self, slug: &str, kind: FailureKind, reason: String, page: Outcome) -> Outcome {
        let reason = crate::text::clean(&reason);
        tracing::info!(tenant = slug, ?kind, %reason, "consent failed");
        if let Err(e) = self.transition(slug, Transition::ConsentFailed { kind, reason }) {
            tracing::warn!(tenant = slug, error = %e, "could not record consent failure");
        }
        page
    }

    /// `GET /oauth/callback`.
    pub async fn callback(&self, q: CallbackQuery) -> Outcome {
        let Some(state) = q.state.as_deref().filter(|s| well_formed(s, STATE_LEN)) else {
            return Outcome::callback_incomplete();
        };
        let hash = sha256(state);
        let now = now_ms();
        let (flow, verifier) = match self.store.take_flow(&hash, now) {
            Ok(Some(f)) => f,
            Ok(None) => {
                return match self.store.used_flow(&hash) {
                    Ok(Some(used)) => {
                        let reason =
                            "a repeated sign-in response was refused (its state was already used)";
                        if let Err(e) = self.transition(
                            &used.tenant,
                            Transition::CallbackRefused {
                                reason: reason.into(),
                            },
                        ) {
                            tracing::warn!(error = %e, "could not record replay");
                        }
                        Outcome::replayed()
                    }
                    _ => Outcome::state_unknown(),
                };
            }
            Err(e) => return Outcome::internal(&e.to_string()),
        };
        // Looked up by SHA-256, so the lookup's timing says nothing about the state itself.
        if flow.redirect_uri != self.config.redirect_uri().as_str() {
            return Outcome::state_unknown();
        }
        let slug = flow.tenant.clone();
        // One consent per link: a second tab, or a flow started before another consent
        // went through the same link, stops here, before anything reaches Google.
        let link_hash = unhex(&flow.link_hash);
        if let Ok(Some(link)) = self.store.link(&link_hash) {
            if link.used_at.is_some() {
                let reason = format!(
                    "a sign-in through consent link {} was refused: the link was already used",
                    link.id
                );
                if let Err(e) = self.transition(&slug, Transition::CallbackRefused { reason }) {
                    tracing::warn!(error = %e, "could not record refused callback");
                }
                return Outcome::link_gone("This link was already used to connect an account.");
            }
        }
        if flow.expires_at <= now {
            return self.fail(
                &slug,
                FailureKind::FlowExpired,
                "the customer came back from Google after the 10-minute sign-in window; they can open the consent link again".into(),
                Outcome::flow_expired(),
            );
        }
        if let Some(err) = q.error.as_deref() {
            let desc = q
                .error_description
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            return if err == "access_denied" {
                self.fail(
                    &slug,
                    FailureKind::ConsentDenied,
                    "the customer declined access at Google (access_denied)".into(),
                    Outcome::denied(),
                )
            } else {
                self.fail(
                    &slug,
                    FailureKind::ConsentError,
                    format!("Google returned error {err}{desc}"),
                    Outcome::google_error(),
                )
            };
        }
        let Some(code) = q
            .code
            .as_deref()
            .filter(|c| !c.is_empty() && c.len() <= 2048)
        else {
            return self.fail(
                &slug,
                FailureKind::MissingCode,
                "Google's response had no authorization code".into(),
                Outcome::callback_incomplete(),
            );
        };
        let tenant = match self.tenant(&slug) {
            Ok(t) => t,
            Err(e) => return Outcome::internal(&e.to_string()),
        };
        self.finish(tenant, code, &verifier, &link_hash).await
    }

    async fn finish(
        &self,
        tenant: Tenant,
        code: &str,
        verifier: &secrecy::SecretString,
        link_hash: &[u8],
    ) -> Outcome {
        let slug = tenant.slug.as_str();
        let Some(google) = &self.google else {
            let why = self.google_missing.clone().unwrap_or_default();
            return self.fail(
                slug,
                FailureKind::ExchangeFailed,
                format!("cannot exchange the code: {why}"),
                Outcome::exchange_failed(),
            );
        };
        let grant = match google.exchange(code, verifier).await {
            Ok(g) => g,
            Err(e) => {
                return self.fail(
                    slug,
                    FailureKind::ExchangeFailed,
                    format!("code exchange failed: {e}"),
                    Outcome::exchange_failed(),
                );
            }
        };
        let granted = grant
            .scopes
            .clone()
            .unwrap_or_else(|| tenant.scopes.clone());
        let Some(refresh) = grant.refresh_token else {
            return self.fail(
                slug,
                FailureKind::NoRefreshToken,
                "Google returned no refresh token (offline access not granted)".into(),
                Outcome::no_refresh_token(),
            );
        };
        let revoke = || async {
            if let Err(e) = google.revoke(&refresh).await {
                tracing::warn!(tenant = slug, error = %e, "could not revoke an unwanted grant");
            }
        };
        let missing = missing_scopes(&tenant.scopes, &granted);
        if !missing.is_empty() {
            revoke().await;
            return self.fail(
                slug,
                FailureKind::ScopeMissing,
                format!("the customer did not grant {}", missing.join(", ")),
                Outcome::scope_missing(),
            );
        }
        let claims = match grant.id_token.as_deref().map(google::parse_id_token) {
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                revoke().await;
                return self.fail(
                    slug,
                    FailureKind::ExchangeFailed,
                    format!("unreadable id_token: {e}"),
                    Outcome::exchange_failed(),
                );
            }
            None => {
                revoke().await;
                return self.fail(
                    slug,
                    FailureKind::ScopeMissing,
                    "Google returned no id_token (openid scope not granted)".into(),
                    Outcome::scope_missing(),
                );
            }
        };
        if let Err(who) = check_account(tenant.expected.as_ref(), &claims) {
            revoke().await;
            let expected = match &tenant.expected {
                Some(ExpectedAccount::Email(m)) => m.clone(),
                Some(ExpectedAccount::Domain(d)) => format!("an account of {d}"),
                None => String::new(),
            };
            return self.fail(
                slug,
                FailureKind::WrongAccount,
                format!("wrong Google account: signed in as {who}"),
                Outcome::wrong_account(claims.email.as_deref(), &expected),
            );
        }
        let identity = GoogleIdentity {
            sub: claims.sub,
            email: claims.email.map(|e| e.to_ascii_lowercase()),
            email_verified: claims.email_verified,
            hd: claims.hd,
        };
        let t = Transition::Consented {
            identity: identity.clone(),
            granted_scopes: granted,
        };
        let now = now_ms();
        let stored = self
            .store
            .update_tenant(slug, Some(("refresh_token", &refresh)), |cur| {
                super::lifecycle::apply(cur, &t, now).map(|(t, e)| (t, Some(e)))
            });
        if let Err(e) = stored {
            // Not kept, so not wanted either: give the grant back.
            revoke().await;
            return self.fail(
                slug,
                FailureKind::StoreFailed,
                format!("could not store the consent: {e}"),
                Outcome::internal("store"),
            );
        }
        if let Err(e) = self.store.mark_link_used(link_hash, now) {
            tracing::warn!(tenant = slug, error = %e, "could not mark the consent link used");
        }
        if let Err(e) = self.store.flush().await {
            return Outcome::internal(&e.to_string());
        }
        self.wake_provisioner();
        Outcome::connected(&tenant.display_name, identity.email.as_deref())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
    use super::*;

    fn claims(email: &str, verified: bool, hd: Option<&str>) -> IdClaims {
        IdClaims {
            sub: "1".into(),
            email: Some(email.into()),
            email_verified: verified,
            hd: hd.map(Into::into),
        }
    }

    #[test]
    fn scope_comparison_understands_googles_long_names() {
        let req: Vec<String> = [
            "openid",
            "email",
            "profile",
            crate::engine::model::GMAIL_SEND_SCOPE,
        ]
        .map(String::from)
        .to_vec();
        let granted: Vec<String> = [
            "openid",
            "https://www.googleapis.com/auth/userinfo.email",
            "https://www.googleapis.com/auth/userinfo.profile",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            missing_scopes(&req, &granted),
            vec![crate::engine::model::GMAIL_SEND_SCOPE.to_owned()]
        );
        let mut all = granted.clone();
        all.push(crate::engine::model::GMAIL_SEND_SCOPE.into());
        assert!(missing_scopes(&req, &all).is_empty());
    }

    #[test]
    fn account_checks() {
        let want = ExpectedAccount::Email("ann@acme.com".into());
        assert!(
            check_account(Some(&want), &claims("Ann@Acme.com", true, Some("acme.com"))).is_ok()
        );
        assert!(
            check_account(Some(&want), &claims("ann@acme.com", false, None))
                .unwrap_err()
                .contains("not verified")
        );
        assert!(check_account(Some(&want), &claims("bob@acme.com", true, None)).is_err());
        let dom = ExpectedAccount::Domain("acme.com".into());
        assert!(check_account(Some(&dom), &claims("x@acme.com", true, Some("acme.com"))).is_ok());
        // A personal account whose address merely ends in the domain is not a Workspace member.
        assert!(
            check_account(Some(&dom), &claims("x@acme.com", true, None))
                .unwrap_err()
                .contains("not a Workspace")
        );
        assert!(check_account(None, &claims("any@x.io", false, None)).is_ok());
    }
}
