//! `[google]`: the OAuth client (its id and secret), Google's endpoints (every one
//! configurable, so the same code runs against the stand-in), and whether the app is in
//! Testing status.

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::ConfigError;
use super::source::Source;

pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const GOOGLE_REVOKE_URL: &str = "https://oauth2.googleapis.com/revoke";
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";

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
    })
}
