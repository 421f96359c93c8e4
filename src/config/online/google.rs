//! The Google lines: `google.endpoints` (the authorization and token endpoints answer),
//! `google.client` (a token request with a dummy code: `invalid_client` means the id or
//! secret is wrong, `invalid_grant` that both were accepted), `google.redirect_uri` (see
//! [`super::redirect`]) and `google.clock` (from the token answer's `Date`). An
//! integration with an OAuth client of its own gets its own client and redirect lines
//! (`google.client.google-drive`). The fixes are the error table's
//! ([`crate::domain::google_errors`]).

use std::time::SystemTime;

use super::clock::{self, Sample};
use super::{CheckLine, Level, redirect};
use crate::config::{Config, GoogleCredentials};
use crate::domain::google_errors::{FixContext, GoogleCode, Stage};
use crate::domain::integration::Integration;

/// The code sent: Google cannot know it, so a client it accepts gets `invalid_grant`.
const DUMMY_CODE: &str = "mcp-onboard-config-check";

pub(super) async fn checks(http: &reqwest::Client, config: &Config) -> Vec<CheckLine> {
    let main = match config.google_credentials() {
        Ok(c) => c,
        Err(e) => {
            return vec![CheckLine::new(
                "google.client",
                Level::Fail,
                e.to_string(),
                "set the Google OAuth client first (`config check` says how)",
            )];
        }
    };
    let mut clients = vec![(String::new(), Integration::Gmail, main)];
    for i in Integration::all() {
        if let Some(own) = config.integration_clients.get(i) {
            clients.push((format!(".{}", i.name()), i, own.clone()));
        }
    }
    let runs = clients
        .iter()
        .map(|(suffix, integration, creds)| async move {
            let cx = OwnedFix {
                integration: *integration,
                redirect_uri: config.redirect_uri().to_string(),
                client_id: creds.client_id.clone(),
            };
            let (client, redirect) = tokio::join!(
                client_check(http, config, creds, &cx, suffix),
                redirect::check(http, config, creds, &cx, suffix),
            );
            (client, redirect)
        });
    let results = futures_util::future::join_all(runs).await;
    let mut lines = Vec::new();
    if let Some(((_, token_answered, _), (_, auth_answered))) = results.first() {
        lines.push(endpoints(config, *auth_answered, *token_answered));
    }
    let mut sample = None;
    for ((client, _, s), (redirect, _)) in results {
        sample = sample.or(s);
        lines.push(client);
        lines.push(redirect);
    }
    lines.push(clock::verdict(sample));
    lines
}

fn endpoints(config: &Config, auth: bool, token: bool) -> CheckLine {
    let (a, t) = (&config.google.auth_url, &config.google.token_url);
    if auth && token {
        return CheckLine::ok(
            "google.endpoints",
            format!("the authorization endpoint {a} and the token endpoint {t} answer"),
        );
    }
    let silent: Vec<String> = [
        (auth, format!("{a} (google.auth_url)")),
        (token, format!("{t} (google.token_url)")),
    ]
    .into_iter()
    .filter(|(answered, _)| !answered)
    .map(|(_, what)| what)
    .collect();
    CheckLine::new(
        "google.endpoints",
        Level::Fail,
        format!("no answer from {}", silent.join(" and ")),
        "check the URLs (GOOGLE_AUTH_URL, GOOGLE_TOKEN_URL; the defaults are Google's) and that this machine reaches them (firewall, proxy)",
    )
}

/// `google.client`: the line, whether the token endpoint answered, and its `Date`.
async fn client_check(
    http: &reqwest::Client,
    config: &Config,
    creds: &GoogleCredentials,
    cx: &OwnedFix,
    suffix: &str,
) -> (CheckLine, bool, Option<Sample>) {
    use secrecy::ExposeSecret;
    let name = format!("google.client{suffix}");
    let redirect_uri = config.redirect_uri().to_string();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", DUMMY_CODE),
        ("redirect_uri", redirect_uri.as_str()),
        ("client_id", creds.client_id.as_str()),
        ("client_secret", creds.client_secret.expose_secret()),
    ];
    let sent = SystemTime::now();
    let res = match http
        .post(config.google.token_url.clone())
        .form(&form)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => {
            let line = CheckLine::new(
                name,
                Level::Fail,
                format!("the token endpoint did not answer: {}", cause(&e)),
                "see google.endpoints",
            );
            return (line, false, None);
        }
    };
    let local = sent + SystemTime::now().duration_since(sent).unwrap_or_default() / 2;
    let sample = res
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|d| d.to_str().ok())
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .map(|google| Sample { google, local });
    let status = res.status();
    let error = res
        .json::<serde_json::Value>()
        .await
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned));
    let client = &creds.client_id;
    let line = match error.as_deref() {
        Some("invalid_grant") => CheckLine::ok(
            name,
            format!(
                "Google accepts the client {client} and its secret (a dummy code got invalid_grant)"
            ),
        ),
        Some(code @ ("invalid_client" | "unauthorized_client" | "redirect_uri_mismatch")) => {
            let google = GoogleCode::new(Stage::Token, code);
            CheckLine::new(
                name,
                Level::Fail,
                format!(
                    "Google's token endpoint answered {} {code} for the client {client}",
                    status.as_u16()
                ),
                google.fix(&cx.borrowed()),
            )
        }
        _ if status == reqwest::StatusCode::UNAUTHORIZED => CheckLine::new(
            name,
            Level::Fail,
            format!("Google's token endpoint answered 401 for the client {client}"),
            GoogleCode::new(Stage::Token, "invalid_client").fix(&cx.borrowed()),
        ),
        other => CheckLine::new(
            name,
            Level::Warn,
            format!(
                "could not tell: the token endpoint answered {} {}",
                status.as_u16(),
                other.unwrap_or("(no OAuth error)")
            ),
            "check google.token_url (GOOGLE_TOKEN_URL) names Google's token endpoint",
        ),
    };
    (line, true, sample)
}

/// A [`FixContext`] that owns its texts (the checks run in futures of their own).
pub(super) struct OwnedFix {
    integration: Integration,
    redirect_uri: String,
    client_id: String,
}

impl OwnedFix {
    pub(super) fn borrowed(&self) -> FixContext<'_> {
        FixContext {
            slug: "",
            integration: self.integration,
            redirect_uri: &self.redirect_uri,
            client_id: &self.client_id,
        }
    }
}

/// A request's failure in a few words, with what caused it (`timed out`, `connection
/// refused`).
pub(super) fn cause(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    if e.is_timeout() {
        return "timed out".to_owned();
    }
    // What went wrong below reqwest's own "error sending request for url (...)": the URL
    // is in the line already.
    let mut causes = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    if causes.is_empty() {
        e.to_string()
    } else {
        causes.join(": ")
    }
}
