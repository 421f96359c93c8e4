//! A stand-in for Google's security events (RISC): a transmitter that publishes its
//! configuration (`issuer`, `jwks_uri`) and keys on loopback and signs Security Event
//! Tokens with its own RSA keys, and the RISC API's `stream:update` and `stream:verify`,
//! which check the service account's JWT as Google does (RS256 under the account's key,
//! `iss` its email, `aud` the RISC API, not expired) and, on verify, push a verification
//! event to the registered URL.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use url::Url;

use crate::domain::risc::RiscKind;
use crate::google::rsa_key::{pkcs1_from_pem, public_parts};

#[derive(Default)]
struct Inner {
    issuer: String,
    /// Signing keys published in the JWKS, by key id (PKCS#1 DER).
    keys: Vec<(String, Vec<u8>)>,
    jwks_fetches: u64,
    /// The service account trusted by the API: its email and public key.
    account: Option<(String, Vec<u8>)>,
    stream: Option<serde_json::Value>,
    /// Calls the API refused, with why.
    refused: Vec<String>,
    /// The audience of the tokens it signs (our OAuth client id).
    audience: String,
}

/// The transmitter and its API, serving on loopback.
#[derive(Clone)]
pub struct RiscTransmitter {
    inner: Arc<Mutex<Inner>>,
    pub base: Url,
}

impl RiscTransmitter {
    /// Start it, signing for `audience` with the key `kid` (a PEM key).
    pub async fn start(audience: &str, kid: &str, pem: &str) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = Url::parse(&format!("http://{}/", listener.local_addr()?))?;
        let t = RiscTransmitter {
            inner: Arc::new(Mutex::new(Inner {
                issuer: base.as_str().to_owned(),
                audience: audience.to_owned(),
                ..Default::default()
            })),
            base,
        };
        t.add_key(kid, pem)?;
        let app = Router::new()
            .route("/.well-known/risc-configuration", get(configuration))
            .route("/jwks", get(jwks))
            .route("/v1beta/stream:update", post(stream_update))
            .route("/v1beta/stream:verify", post(stream_verify))
            .with_state(t.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(t)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn configuration_url(&self) -> Url {
        self.base
            .join(".well-known/risc-configuration")
            .unwrap_or_else(|_| self.base.clone())
    }

    /// The RISC API's base (`.../v1beta`).
    pub fn api_url(&self) -> Url {
        self.base
            .join("v1beta")
            .unwrap_or_else(|_| self.base.clone())
    }

    /// Its issuer (the base URL, with its trailing slash, as Google's carries one).
    pub fn issuer(&self) -> String {
        self.lock().issuer.clone()
    }

    /// Publish another signing key.
    pub fn add_key(&self, kid: &str, pem: &str) -> anyhow::Result<()> {
        let der = pkcs1_from_pem(pem)?;
        self.lock().keys.push((kid.to_owned(), der));
        Ok(())
    }

    pub fn jwks_fetches(&self) -> u64 {
        self.lock().jwks_fetches
    }

    /// Trust `email`'s key (PEM) for the API's calls.
    pub fn trust_account(&self, email: &str, pem: &str) -> anyhow::Result<()> {
        let der = pkcs1_from_pem(pem)?;
        self.lock().account = Some((email.to_owned(), der));
        Ok(())
    }

    /// The stream `stream:update` registered.
    pub fn stream(&self) -> Option<serde_json::Value> {
        self.lock().stream.clone()
    }

    pub fn refused(&self) -> Vec<String> {
        self.lock().refused.clone()
    }

    /// Sign `claims` with the key `kid` (any key: one it does not publish makes a token
    /// nobody can check).
    pub fn sign_with(
        &self,
        kid: &str,
        pem: &str,
        claims: &serde_json::Value,
    ) -> anyhow::Result<String> {
        let der = pkcs1_from_pem(pem)?;
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        header.typ = Some("secevent+jwt".into());
        Ok(encode(&header, claims, &EncodingKey::from_rsa_der(&der))?)
    }

    /// A token of one event `kind` about `subject`, signed with its key `kid`.
    pub fn event(
        &self,
        kid: &str,
        kind: RiscKind,
        subject: serde_json::Value,
    ) -> anyhow::Result<String> {
        let (der, claims) = {
            let inner = self.lock();
            let der = inner
                .keys
                .iter()
                .find(|(k, _)| k == kid)
                .map(|(_, d)| d.clone())
                .ok_or_else(|| anyhow::anyhow!("no key {kid}"))?;
            (der, self.claims(&inner, kind, subject))
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        Ok(encode(&header, &claims, &EncodingKey::from_rsa_der(&der))?)
    }

    fn claims(
        &self,
        inner: &Inner,
        kind: RiscKind,
        subject: serde_json::Value,
    ) -> serde_json::Value {
        let mut body = serde_json::json!({ "subject": subject });
        if kind == RiscKind::Verification {
            body = subject;
        }
        serde_json::json!({
            "iss": inner.issuer,
            "aud": inner.audience,
            "iat": crate::time::now_ms() / 1000,
            "jti": crate::engine::token::random_token(16),
            "events": { kind.uri(): body },
        })
    }
}

async fn configuration(State(t): State<RiscTransmitter>) -> Response {
    let jwks = t
        .base
        .join("jwks")
        .map(|u| u.to_string())
        .unwrap_or_default();
    axum::Json(serde_json::json!({
        "issuer": t.issuer(),
        "jwks_uri": jwks,
        "delivery_methods_supported": [crate::google::risc_api::PUSH_DELIVERY],
    }))
    .into_response()
}

async fn jwks(State(t): State<RiscTransmitter>) -> Response {
    let mut inner = t.lock();
    inner.jwks_fetches += 1;
    let keys: Vec<serde_json::Value> = inner
        .keys
        .iter()
        .filter_map(|(kid, der)| {
            let (n, e) = public_parts(der)?;
            Some(serde_json::json!({
                "kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
                "n": URL_SAFE_NO_PAD.encode(n), "e": URL_SAFE_NO_PAD.encode(e),
            }))
        })
        .collect();
    axum::Json(serde_json::json!({ "keys": keys })).into_response()
}

/// The caller's JWT checked as Google does; why not, when it fails.
fn authorized(t: &RiscTransmitter, headers: &HeaderMap) -> Result<(), String> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or("no bearer token")?;
    let (email, der) = t
        .lock()
        .account
        .clone()
        .ok_or("no service account trusted")?;
    let (n, e) = public_parts(&der).ok_or("bad key")?;
    let key = DecodingKey::from_rsa_raw_components(&n, &e);
    let mut v = Validation::new(Algorithm::RS256);
    // The audience as Google's RISC guide spells it, written out here so that a wrong
    // one in the client is refused.
    v.set_audience(&[
        "https://risc.googleapis.com/google.identity.risc.v1beta.RiscManagementService",
    ]);
    v.set_issuer(&[email.as_str()]);
    let claims = decode::<serde_json::Value>(bearer, &key, &v).map_err(|e| e.to_string())?;
    if claims.claims.get("sub").and_then(|s| s.as_str()) != Some(email.as_str()) {
        return Err("sub is not the service account".into());
    }
    Ok(())
}

async fn stream_update(
    State(t): State<RiscTransmitter>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<serde_json::Value>,
) -> Response {
    if let Err(why) = authorized(&t, &headers) {
        t.lock().refused.push(why.clone());
        return (StatusCode::UNAUTHORIZED, why).into_response();
    }
    t.lock().stream = Some(body);
    axum::Json(serde_json::json!({})).into_response()
}

async fn stream_verify(
    State(t): State<RiscTransmitter>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<serde_json::Value>,
) -> Response {
    if let Err(why) = authorized(&t, &headers) {
        t.lock().refused.push(why.clone());
        return (StatusCode::UNAUTHORIZED, why).into_response();
    }
    let url = t
        .stream()
        .and_then(|s| s["delivery"]["url"].as_str().map(str::to_owned));
    let kid = t.lock().keys.first().map(|(k, _)| k.clone());
    let (Some(url), Some(kid)) = (url, kid) else {
        return (StatusCode::BAD_REQUEST, "no stream registered").into_response();
    };
    let state = body.get("state").cloned().unwrap_or_default();
    let Ok(token) = t.event(
        &kid,
        RiscKind::Verification,
        serde_json::json!({ "state": state }),
    ) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // Google pushes it after answering; so does the stand-in.
    let Ok(http) = reqwest::Client::builder().build() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    tokio::spawn(async move {
        let _ = http
            .post(url)
            .header(header::CONTENT_TYPE, "application/secevent+jwt")
            .body(token)
            .send()
            .await;
    });
    axum::Json(serde_json::json!({})).into_response()
}
