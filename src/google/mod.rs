//! Google OAuth client (oauth2 crate): authorize URL with PKCE, code exchange, revoke, and
//! reading the id_token claims.
//!
//! The id_token comes straight from the token endpoint over TLS, so per OpenID Connect
//! Core 3.1.3.7 its signature check may be skipped; its claims are only parsed.
//!
//! Every text Google (or whatever answers in its place) sends back in an error has the
//! secrets of that request (client secret, code, PKCE verifier, refresh token) taken out
//! before it leaves this module ([`crate::redact`]).

mod claims;
pub mod risc;
pub mod risc_api;
pub mod rsa_key;

use std::time::Duration;

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use url::Url;

pub use claims::{ClaimsError, IdClaims, parse_id_token};

use crate::config::{GoogleConfig, GoogleCredentials};
use crate::redact::Redactor;
use crate::store::{Fence, NotLeader};

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct IdTokenField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// Set for a time-limited grant: seconds until the refresh token ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_in: Option<u64>,
}
impl ExtraTokenFields for IdTokenField {}

type TokenResp = StandardTokenResponse<IdTokenField, BasicTokenType>;
type Client = oauth2::Client<
    BasicErrorResponse,
    TokenResp,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

#[derive(Debug, Error)]
pub enum GoogleError {
    #[error("Google refused the code: {error}{}", .description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        error: String,
        description: Option<String>,
    },
    #[error("could not reach Google's token endpoint: {0}")]
    Network(String),
    #[error("Google's token endpoint answered something unreadable: {0}")]
    Unreadable(String),
    #[error("revoking at Google failed: {0}")]
    Revoke(String),
    /// Not sent: the client is fenced to the leader and this node does not lead now.
    #[error("not sent to Google: {0}")]
    NotLeader(#[from] NotLeader),
}

impl GoogleError {
    /// The same error with every text it holds passed through `r`.
    fn redacted(self, r: &Redactor) -> Self {
        match self {
            GoogleError::Refused { error, description } => GoogleError::Refused {
                error: r.redact(&error),
                description: r.redact_opt(description),
            },
            GoogleError::Network(t) => GoogleError::Network(r.redact(&t)),
            GoogleError::Unreadable(t) => GoogleError::Unreadable(r.redact(&t)),
            GoogleError::Revoke(t) => GoogleError::Revoke(r.redact(&t)),
            GoogleError::NotLeader(n) => GoogleError::NotLeader(n),
        }
    }
}

/// What a successful exchange gives us.
pub struct TokenGrant {
    pub refresh_token: Option<SecretString>,
    /// `None` when Google did not list scopes (RFC 6749: then they equal the requested ones).
    pub scopes: Option<Vec<String>>,
    pub id_token: Option<String>,
    /// `refresh_token_expires_in`: the grant is time-limited.
    pub refresh_expires_in: Option<u64>,
}

impl std::fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenGrant")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct GoogleOAuth {
    client: Client,
    /// Reached only through [`GoogleOAuth::outbound`], which checks the fence.
    http: oauth2::reqwest::Client,
    fence: Option<Fence>,
    revoke_url: Url,
    token_url: Url,
    client_id: String,
    client_secret: SecretString,
}

pub use crate::domain::health::RefreshAnswer;

/// The HTTP client of Google's endpoints: no redirects followed, 20 s per request, and a
/// `User-Agent` naming the node when the fence says which.
fn http_client(fence: Option<&Fence>) -> Result<oauth2::reqwest::Client, GoogleError> {
    oauth2::reqwest::Client::builder()
        .redirect(oauth2::reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .user_agent(match fence {
            Some(f) => f.user_agent(),
            None => crate::store::fence::user_agent(None),
        })
        .build()
        .map_err(|e| GoogleError::Network(e.to_string()))
}

/// A fresh PKCE pair: the challenge goes in the URL, the verifier into the store.
pub fn new_pkce() -> (PkceCodeChallenge, SecretString) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    (challenge, SecretString::from(verifier.secret().clone()))
}

impl GoogleOAuth {
    pub fn new(
        cfg: &GoogleConfig,
        creds: &GoogleCredentials,
        redirect_uri: &Url,
    ) -> Result<Self, GoogleError> {
        let client: Client = oauth2::Client::new(ClientId::new(creds.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                creds.client_secret.expose_secret().to_owned(),
            ))
            .set_auth_uri(AuthUrl::from_url(cfg.auth_url.clone()))
            .set_token_uri(TokenUrl::from_url(cfg.token_url.clone()))
            .set_redirect_uri(RedirectUrl::from_url(redirect_uri.clone()))
            // Google accepts both; the form body keeps the secret out of proxy auth logs.
            .set_auth_type(oauth2::AuthType::RequestBody);
        Ok(Self {
            client,
            http: http_client(None)?,
            fence: None,
            revoke_url: cfg.revoke_url.clone(),
            token_url: cfg.token_url.clone(),
            client_id: creds.client_id.clone(),
            client_secret: creds.client_secret.clone(),
        })
    }

    /// The same client, checking `fence` before every request and naming its node in
    /// `User-Agent`.
    pub fn with_fence(mut self, fence: Fence) -> Result<Self, GoogleError> {
        self.http = http_client(Some(&fence))?;
        self.fence = Some(fence);
        Ok(self)
    }

    /// The same client over `http` (unfenced): the online checks' own, bounded client.
    pub fn with_http(mut self, http: oauth2::reqwest::Client) -> Self {
        self.http = http;
        self.fence = None;
        self
    }

    /// The HTTP client, once the fence lets a request go: every call out asks here.
    fn outbound(&self) -> Result<&oauth2::reqwest::Client, NotLeader> {
        if let Some(fence) = &self.fence {
            fence.check()?;
        }
        Ok(&self.http)
    }

    /// The OAuth client's id: an id_token it receives must be issued for it (`aud`).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The authorize URL for one flow.
    pub fn authorize_url(
        &self,
        state: &str,
        challenge: PkceCodeChallenge,
        scopes: &[String],
        login_hint: Option<&str>,
        hl: &str,
    ) -> Url {
        let state = state.to_owned();
        let mut req = self
            .client
            .authorize_url(move || CsrfToken::new(state))
            .add_scopes(scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .add_extra_param("access_type", "offline")
            .add_extra_param("prompt", "consent")
            // The language of Google's screens: the one our page spoke.
            .add_extra_param("hl", hl);
        if let Some(hint) = login_hint {
            req = req.add_extra_param("login_hint", hint);
        }
        req.url().0
    }

    /// What to take out of Google's answers to a request that carried `sent`. Made only
    /// for an answer that is an error (or has a body): it holds copies of every secret.
    fn redactor(&self, sent: &[&str]) -> Redactor {
        Redactor::new(
            std::iter::once(self.client_secret.expose_secret()).chain(sent.iter().copied()),
        )
    }

    pub async fn exchange(
        &self,
        code: &str,
        verifier: &SecretString,
    ) -> Result<TokenGrant, GoogleError> {
        self.exchange_raw(code, verifier)
            .await
            .map_err(|e| e.redacted(&self.redactor(&[code, verifier.expose_secret()])))
    }

    async fn exchange_raw(
        &self,
        code: &str,
        verifier: &SecretString,
    ) -> Result<TokenGrant, GoogleError> {
        let res = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.expose_secret().to_owned()))
            .request_async(self.outbound()?)
            .await;
        match res {
            Ok(tok) => Ok(TokenGrant {
                refresh_token: tok
                    .refresh_token()
                    .map(|r| SecretString::from(r.secret().clone())),
                scopes: tok
                    .scopes()
                    .map(|s| s.iter().map(|s| s.as_str().to_owned()).collect()),
                id_token: tok.extra_fields().id_token.clone(),
                refresh_expires_in: tok.extra_fields().refresh_token_expires_in,
            }),
            Err(RequestTokenError::ServerResponse(e)) => Err(GoogleError::Refused {
                error: e.error().as_ref().to_owned(),
                description: e.error_description().cloned(),
            }),
            Err(RequestTokenError::Request(e)) => Err(GoogleError::Network(e.to_string())),
            Err(RequestTokenError::Parse(e, _)) => Err(GoogleError::Unreadable(e.to_string())),
            Err(RequestTokenError::Other(e)) => Err(GoogleError::Unreadable(e)),
        }
    }

    /// Try a refresh token at the token endpoint (RFC 6749 section 6), as a health check.
    /// A plain form POST, so that the HTTP status reaches the classification.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<RefreshAnswer, NotLeader> {
        let r = || self.redactor(&[refresh_token.expose_secret()]);
        Ok(match self.refresh_raw(refresh_token).await? {
            RefreshAnswer::Granted => RefreshAnswer::Granted,
            RefreshAnswer::Refused {
                status,
                error,
                description,
            } => {
                let r = r();
                RefreshAnswer::Refused {
                    status,
                    error: r.redact_opt(error),
                    description: r.redact_opt(description),
                }
            }
            RefreshAnswer::Unreachable(why) => RefreshAnswer::Unreachable(r().redact(&why)),
        })
    }

    async fn refresh_raw(&self, refresh_token: &SecretString) -> Result<RefreshAnswer, NotLeader> {
        let res = self
            .outbound()?
            .post(self.token_url.clone())
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose_secret()),
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.expose_secret()),
            ])
            .send()
            .await;
        let res = match res {
            Ok(r) => r,
            Err(e) => return Ok(RefreshAnswer::Unreachable(e.to_string())),
        };
        let status = res.status().as_u16();
        let body: serde_json::Value = res.json().await.unwrap_or(serde_json::Value::Null);
        let text = |k: &str| body.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        if status == 200 && text("access_token").is_some() {
            return Ok(RefreshAnswer::Granted);
        }
        Ok(RefreshAnswer::Refused {
            status,
            error: text("error"),
            description: text("error_description"),
        })
    }

    /// Revoke a token at Google and give back the HTTP status it answered (200: revoked;
    /// 400 `invalid_token`: it was not live any more), or why there was no answer.
    pub async fn revoke_status(&self, token: &SecretString) -> Result<(u16, String), GoogleError> {
        self.revoke_status_raw(token)
            .await
            .map_err(|e| e.redacted(&self.redactor(&[token.expose_secret()])))
    }

    async fn revoke_status_raw(&self, token: &SecretString) -> Result<(u16, String), GoogleError> {
        let res = self
            .outbound()?
            .post(self.revoke_url.clone())
            .form(&[("token", token.expose_secret())])
            .send()
            .await
            .map_err(|e| GoogleError::Network(e.to_string()))?;
        let status = res.status().as_u16();
        let body = res.text().await.unwrap_or_default();
        let body = if body.is_empty() {
            body
        } else {
            self.redactor(&[token.expose_secret()]).redact(&body)
        };
        Ok((
            status,
            crate::text::clean(&body.chars().take(200).collect::<String>()),
        ))
    }

    /// Revoke a refresh token (and with it the grant) at Google. Done with a plain form
    /// POST: Google's endpoint takes `token` alone, and the oauth2 crate insists on https,
    /// which the loopback stand-ins do not serve.
    pub async fn revoke(&self, refresh_token: &SecretString) -> Result<(), GoogleError> {
        self.revoke_raw(refresh_token)
            .await
            .map_err(|e| e.redacted(&self.redactor(&[refresh_token.expose_secret()])))
    }

    async fn revoke_raw(&self, refresh_token: &SecretString) -> Result<(), GoogleError> {
        let res = self
            .outbound()?
            .post(self.revoke_url.clone())
            .form(&[("token", refresh_token.expose_secret())])
            .send()
            .await
            .map_err(|e| GoogleError::Revoke(e.to_string()))?;
        if res.status().is_success() {
            Ok(())
        } else {
            let status = res.status();
            let body = res.text().await.unwrap_or_default();
            // Taken out before the cut, which could leave a secret's beginning.
            let body = self
                .redactor(&[refresh_token.expose_secret()])
                .redact(&body);
            Err(GoogleError::Revoke(format!(
                "{status}: {}",
                body.chars().take(200).collect::<String>()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;

    /// A token and revoke endpoint that grants everything asked.
    async fn granting_google() -> Url {
        let app = axum::Router::new()
            .route(
                "/token",
                post(|| async {
                    axum::Json(serde_json::json!({
                        "access_token": "ya29.access",
                        "token_type": "Bearer",
                        "expires_in": 3600,
                        "refresh_token": "1//0gRefresh",
                    }))
                }),
            )
            .route("/revoke", post(|| async { "" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Url::parse(&base).unwrap()
    }

    #[tokio::test(flavor = "current_thread")]
    async fn no_copy_of_a_secret_is_made_for_redaction_unless_an_answer_is_an_error() {
        let base = granting_google().await;
        let cfg = GoogleConfig {
            client_id: None,
            client_secret: None,
            auth_url: base.join("auth").unwrap(),
            token_url: base.join("token").unwrap(),
            revoke_url: base.join("revoke").unwrap(),
            issuer: "https://accounts.google.com".into(),
            app_in_testing: false,
            risc: false,
            risc_configuration_url: Url::parse(
                "https://accounts.google.com/.well-known/risc-configuration",
            )
            .unwrap(),
            risc_api_url: Url::parse("https://risc.googleapis.com/v1beta").unwrap(),
            risc_keys_min_refresh: std::time::Duration::from_secs(60),
        };
        let creds = GoogleCredentials {
            client_id: "client.apps".into(),
            client_secret: SecretString::from("GOCSPX-client-secret"),
        };
        let google = GoogleOAuth::new(&cfg, &creds, &base.join("cb").unwrap()).unwrap();
        let token = SecretString::from("1//0gRefresh");
        let built = crate::redact::built_here();
        let grant = google
            .exchange("4/0code-value", &SecretString::from("pkce-verifier-value"))
            .await
            .unwrap();
        assert!(grant.refresh_token.is_some());
        assert_eq!(
            google.refresh(&token).await.unwrap(),
            RefreshAnswer::Granted
        );
        google.revoke(&token).await.unwrap();
        assert_eq!(google.revoke_status(&token).await.unwrap().0, 200);
        assert_eq!(
            crate::redact::built_here(),
            built,
            "a redactor (copies of the code, the verifier, the secrets) was made for a success"
        );
        // An error still has them taken out.
        let unreachable = GoogleOAuth::new(
            &GoogleConfig {
                token_url: Url::parse("http://127.0.0.1:9/token").unwrap(),
                ..cfg
            },
            &creds,
            &base,
        )
        .unwrap();
        assert!(matches!(
            unreachable.refresh(&token).await.unwrap(),
            RefreshAnswer::Unreachable(_)
        ));
        assert!(crate::redact::built_here() > built);
    }
}
