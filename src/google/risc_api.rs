//! Google's RISC API, as `risc register` and `risc verify` call it: `stream:update` sets
//! the push URL and the event types we want, `stream:verify` asks for a verification
//! event. Each call is authenticated by a JWT the project's service account signs
//! (RS256, `iss` and `sub` its email, `aud` the RISC API), as Google documents.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::rsa_key::pkcs1_from_pem;
use crate::domain::risc::RiscKind;

/// The audience of the service account's JWT.
pub const RISC_API_AUDIENCE: &str =
    "https://risc.googleapis.com/google.identity.risc.v1beta.RiscManagementService";
/// Where a stream's events are pushed.
pub const PUSH_DELIVERY: &str = "https://schemas.openid.net/secevent/risc/delivery-method/push";
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A service account's key file (JSON, as the Cloud console downloads it).
#[derive(Deserialize)]
pub struct ServiceAccount {
    pub client_email: String,
    #[serde(default)]
    pub private_key_id: Option<String>,
    private_key: SecretString,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("client_email", &self.client_email)
            .finish_non_exhaustive()
    }
}

impl ServiceAccount {
    pub fn from_json(text: &str) -> anyhow::Result<Self> {
        let sa: ServiceAccount = serde_json::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "not a service account key file (JSON with client_email and private_key): {e}"
            )
        })?;
        pkcs1_from_pem(sa.private_key.expose_secret())?;
        Ok(sa)
    }

    /// The bearer token of a call at `now` (seconds since the epoch): valid for an hour.
    pub fn bearer(&self, now: i64) -> anyhow::Result<String> {
        let der = pkcs1_from_pem(self.private_key.expose_secret())?;
        let mut header = Header::new(Algorithm::RS256);
        header.kid = self.private_key_id.clone();
        let claims = serde_json::json!({
            "iss": self.client_email,
            "sub": self.client_email,
            "aud": RISC_API_AUDIENCE,
            "iat": now,
            "exp": now + 3600,
        });
        Ok(encode(&header, &claims, &EncodingKey::from_rsa_der(&der))?)
    }
}

/// The body of `stream:update`: push to `push_url`, every event type we act on.
pub fn stream_update_body(push_url: &Url) -> serde_json::Value {
    let events: Vec<String> = RiscKind::ALL.iter().map(|k| k.uri()).collect();
    serde_json::json!({
        "delivery": {
            "delivery_method": PUSH_DELIVERY,
            "url": push_url.as_str(),
        },
        "events_requested": events,
    })
}

/// Call `{api}/stream:{verb}` with `body`, as the service account.
async fn call(
    api: &Url,
    verb: &str,
    sa: &ServiceAccount,
    body: &serde_json::Value,
) -> anyhow::Result<()> {
    let url = Url::parse(&format!(
        "{}/stream:{verb}",
        api.as_str().trim_end_matches('/')
    ))?;
    let http = reqwest::Client::builder().timeout(CALL_TIMEOUT).build()?;
    let bearer = sa.bearer(crate::time::now_ms() / 1000)?;
    let res = http
        .post(url.clone())
        .bearer_auth(bearer)
        .json(body)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
    let status = res.status();
    if !status.is_success() {
        let text = res.text().await.unwrap_or_default();
        anyhow::bail!(
            "{url} answered {status}: {}",
            crate::text::clean(&text)
                .chars()
                .take(500)
                .collect::<String>()
        );
    }
    Ok(())
}

/// Register the stream: events pushed to `push_url` (https only, as Google requires).
pub async fn update_stream(api: &Url, sa: &ServiceAccount, push_url: &Url) -> anyhow::Result<()> {
    // Plain http only on loopback: the stand-ins of the tests and the demo.
    if push_url.scheme() != "https" && !crate::config::is_loopback_host(push_url) {
        anyhow::bail!(
            "Google pushes security events only to an https URL on one of the project's authorized domains, not to {push_url}: set listener.public_url to the https address customers reach"
        );
    }
    call(api, "update", sa, &stream_update_body(push_url)).await
}

/// Ask Google for a verification event carrying `state`.
pub async fn verify_stream(api: &Url, sa: &ServiceAccount, state: &str) -> anyhow::Result<()> {
    call(api, "verify", sa, &serde_json::json!({ "state": state })).await
}
