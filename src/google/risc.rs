//! The RISC receiver's check of a Security Event Token, as Google documents it: signed
//! (RS256) by a key of the transmitter's configuration (`google.risc_configuration_url`,
//! its `jwks_uri`), `iss` exactly the configuration's `issuer`, `aud` one of our OAuth
//! client ids; no `exp` (SETs carry none) and no `typ` required.
//!
//! The configuration and its keys are cached; an unknown key id fetches them again, but
//! never twice within `google.risc_keys_min_refresh`, so a flood of tokens naming made-up
//! keys cannot make us hammer Google (or anyone) with fetches.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use thiserror::Error;
use url::Url;

use crate::config::is_loopback_host;
use crate::domain::risc::{SecurityEvent, events_of};

/// The longest `jti` we keep (Google's are short).
pub const MAX_JTI: usize = 256;
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a token was not accepted.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RiscError {
    /// Not a valid token from the transmitter: answered 400.
    #[error("invalid security event token: {0}")]
    Invalid(String),
    /// We could not get the transmitter's keys: answered 503, so it sends again.
    #[error("the transmitter's configuration or keys could not be fetched: {0}")]
    Unavailable(String),
}

/// A token that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSet {
    pub jti: String,
    pub events: Vec<SecurityEvent>,
    /// The claims, for the record (they name no secret).
    pub claims: serde_json::Value,
}

#[derive(Deserialize)]
struct TransmitterConfig {
    issuer: String,
    jwks_uri: String,
}

#[derive(Default)]
struct Keys {
    issuer: Option<String>,
    by_kid: HashMap<String, DecodingKey>,
    fetched: Option<Instant>,
}

/// Checks Security Event Tokens against the transmitter's published keys.
pub struct RiscVerifier {
    http: reqwest::Client,
    config_url: Url,
    audiences: Vec<String>,
    min_refresh: Duration,
    keys: tokio::sync::Mutex<Keys>,
    fetches: std::sync::atomic::AtomicU64,
}

/// An https URL, or http on loopback (tests, the demo).
fn allowed(url: &Url) -> bool {
    url.scheme() == "https" || (url.scheme() == "http" && is_loopback_host(url))
}

impl RiscVerifier {
    pub fn new(config_url: Url, audiences: Vec<String>, min_refresh: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        RiscVerifier {
            http,
            config_url,
            audiences,
            min_refresh,
            keys: tokio::sync::Mutex::new(Keys::default()),
            fetches: Default::default(),
        }
    }

    /// How many times the configuration and keys were fetched.
    pub fn fetches(&self) -> u64 {
        self.fetches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Check `token`; its events when it passes.
    pub async fn verify(&self, token: &str) -> Result<VerifiedSet, RiscError> {
        let bad = |m: &str| RiscError::Invalid(m.to_owned());
        let header = decode_header(token.trim()).map_err(|_| bad("not a JWT"))?;
        if header.alg != Algorithm::RS256 {
            return Err(bad("not signed with RS256"));
        }
        let kid = header.kid.ok_or_else(|| bad("no key id (kid)"))?;
        let (key, issuer) = self.key(&kid).await?;
        let mut v = Validation::new(Algorithm::RS256);
        v.validate_exp = false;
        // A SET has no `exp`; its `iss` and `aud` must be there (the library checks a
        // claim's value only when the claim is present and required).
        v.set_required_spec_claims(&["iss", "aud"]);
        v.set_issuer(&[issuer]);
        v.set_audience(&self.audiences);
        let data = decode::<serde_json::Value>(token.trim(), &key, &v)
            .map_err(|e| RiscError::Invalid(e.to_string()))?;
        let claims = data.claims;
        let jti = claims
            .get("jti")
            .and_then(|j| j.as_str())
            .filter(|j| !j.is_empty() && j.len() <= MAX_JTI)
            .ok_or_else(|| bad("no jti"))?
            .to_owned();
        let events = events_of(claims.get("events").unwrap_or(&serde_json::Value::Null));
        Ok(VerifiedSet {
            jti,
            events,
            claims,
        })
    }

    /// The key `kid` and the issuer, fetching them again when `kid` is unknown (unless
    /// they were fetched within the least time between fetches).
    async fn key(&self, kid: &str) -> Result<(DecodingKey, String), RiscError> {
        let mut keys = self.keys.lock().await;
        if let (Some(k), Some(iss)) = (keys.by_kid.get(kid), keys.issuer.as_ref()) {
            return Ok((k.clone(), iss.clone()));
        }
        if keys
            .fetched
            .is_some_and(|at| at.elapsed() < self.min_refresh)
        {
            // Not known yet and not fetched again so soon: Google sends it again after a
            // 503, while a 400 would make it drop a real event signed by a new key.
            return Err(RiscError::Unavailable(format!(
                "unknown key id {kid}, keys fetched less than {} ago",
                humantime::format_duration(self.min_refresh)
            )));
        }
        keys.fetched = Some(Instant::now());
        self.fetches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (issuer, by_kid) = self.fetch().await?;
        keys.issuer = Some(issuer);
        keys.by_kid = by_kid;
        match (keys.by_kid.get(kid), keys.issuer.as_ref()) {
            (Some(k), Some(iss)) => Ok((k.clone(), iss.clone())),
            _ => Err(RiscError::Invalid(format!("unknown key id {kid}"))),
        }
    }

    async fn fetch(&self) -> Result<(String, HashMap<String, DecodingKey>), RiscError> {
        let down = |e: String| RiscError::Unavailable(e);
        let config: TransmitterConfig = self.get(&self.config_url).await?;
        let jwks_uri = Url::parse(&config.jwks_uri)
            .ok()
            .filter(allowed)
            .ok_or_else(|| down(format!("jwks_uri {} is not an https URL", config.jwks_uri)))?;
        let set: JwkSet = self.get(&jwks_uri).await?;
        let by_kid = set
            .keys
            .iter()
            .filter_map(|k| {
                let kid = k.common.key_id.clone()?;
                DecodingKey::from_jwk(k).ok().map(|d| (kid, d))
            })
            .collect();
        Ok((config.issuer, by_kid))
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, url: &Url) -> Result<T, RiscError> {
        let down = |e: String| RiscError::Unavailable(format!("{url}: {e}"));
        if !allowed(url) {
            return Err(down("not an https URL".into()));
        }
        let res = self
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(|e| down(e.to_string()))?;
        if !res.status().is_success() {
            return Err(down(format!("answered {}", res.status())));
        }
        res.json().await.map_err(|e| down(e.to_string()))
    }
}
