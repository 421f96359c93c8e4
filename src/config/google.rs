//! `[google]`: the OAuth client (its id and secret), Google's endpoints (every one
//! configurable, so the same code runs against the stand-in), and whether the app is in
//! Testing status.

use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::ConfigError;
use super::source::Source;

pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const GOOGLE_REVOKE_URL: &str = "https://oauth2.googleapis.com/revoke";
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
pub const GOOGLE_RISC_CONFIGURATION_URL: &str =
    "https://accounts.google.com/.well-known/risc-configuration";
pub const GOOGLE_RISC_API_URL: &str = "https://risc.googleapis.com/v1beta";
/// Keys of Google's security events are fetched again at most this often, whatever key
/// ids come in.
pub const RISC_KEYS_MIN_REFRESH: Duration = Duration::from_secs(60);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileGoogle {
    client_id: Option<String>,
    client_secret: Option<String>,
    auth_url: Option<String>,
    token_url: Option<String>,
    revoke_url: Option<String>,
    issuer: Option<String>,
    app_in_testing: Option<bool>,
    risc: Option<bool>,
    risc_configuration_url: Option<String>,
    risc_api_url: Option<String>,
    risc_keys_min_refresh: Option<String>,
}

#[derive(Debug, Clone)]
pub struct GoogleConfig {
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub auth_url: Url,
    pub token_url: Url,
    pub revoke_url: Url,
    /// The `iss` every id_token must carry.
    pub issuer: String,
    /// The OAuth app is in Testing status: Google expires refresh tokens 7 days after
    /// consent, and `tenant show` counts down to it.
    pub app_in_testing: bool,
    /// Receive Google's security events at `{public_url}/risc`.
    pub risc: bool,
    /// The transmitter's configuration (its `issuer` and `jwks_uri`).
    pub risc_configuration_url: Url,
    /// Google's RISC API (`stream:update`, `stream:verify`).
    pub risc_api_url: Url,
    /// The least time between two fetches of the transmitter's keys.
    pub risc_keys_min_refresh: Duration,
}

/// Google client credentials, present and checked.
#[derive(Debug, Clone)]
pub struct GoogleCredentials {
    pub client_id: String,
    pub client_secret: SecretString,
}

pub(super) fn resolve(src: &Source) -> Result<GoogleConfig, ConfigError> {
    let file: FileGoogle = src.section("google")?;
    Ok(GoogleConfig {
        client_id: src.pick("GOOGLE_CLIENT_ID", file.client_id).map(|v| v.0),
        client_secret: src
            .pick("GOOGLE_CLIENT_SECRET", file.client_secret)
            .map(|v| SecretString::from(v.0)),
        auth_url: src.secret_url(
            "google.auth_url",
            "GOOGLE_AUTH_URL",
            file.auth_url,
            GOOGLE_AUTH_URL,
        )?,
        token_url: src.secret_url(
            "google.token_url",
            "GOOGLE_TOKEN_URL",
            file.token_url,
            GOOGLE_TOKEN_URL,
        )?,
        revoke_url: src.secret_url(
            "google.revoke_url",
            "GOOGLE_REVOKE_URL",
            file.revoke_url,
            GOOGLE_REVOKE_URL,
        )?,
        issuer: src
            .pick("GOOGLE_ISSUER", file.issuer)
            .map(|v| v.0.trim().to_owned())
            .unwrap_or_else(|| GOOGLE_ISSUER.to_owned()),
        app_in_testing: src.flag(
            "google.app_in_testing",
            "GOOGLE_APP_IN_TESTING",
            file.app_in_testing,
        )?,
        risc: src.flag("google.risc", "GOOGLE_RISC", file.risc)?,
        risc_configuration_url: src.secret_url(
            "google.risc_configuration_url",
            "GOOGLE_RISC_CONFIGURATION_URL",
            file.risc_configuration_url,
            GOOGLE_RISC_CONFIGURATION_URL,
        )?,
        risc_api_url: src.secret_url(
            "google.risc_api_url",
            "GOOGLE_RISC_API_URL",
            file.risc_api_url,
            GOOGLE_RISC_API_URL,
        )?,
        risc_keys_min_refresh: src.duration(
            "google.risc_keys_min_refresh",
            "GOOGLE_RISC_KEYS_MIN_REFRESH",
            file.risc_keys_min_refresh,
            RISC_KEYS_MIN_REFRESH,
            |_| "expected a duration of at least 1s, e.g. 60s".into(),
        )?,
    })
}
