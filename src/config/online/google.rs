//! The Google lines: `google.endpoints` (the authorization and token endpoints answer),
//! `google.client` (a token request with a dummy code and verifier: `invalid_client` means
//! the id or secret is wrong, `invalid_grant` that both were accepted), `google.redirect_uri`
//! (see [`super::redirect`]) and `google.clock` (from the authorization answer's `Date`).
//! Both requests are made by the consent flow's own client ([`GoogleOAuth`]), so the
//! check probes the URL customers get. An
//! integration with an OAuth client of its own gets its own client and redirect lines
//! (`google.client.google-drive`). The fixes are the error table's
//! ([`crate::domain::google_errors`]).

use super::clock;
use super::fix::OwnedFix;
use super::{CheckLine, Level, redirect};
use crate::config::Config;
use crate::domain::google_errors::{GoogleCode, Stage};
use crate::domain::integration::Integration;
use crate::google::{GoogleError, GoogleOAuth};

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
            let oauth = match GoogleOAuth::new(&config.google, creds, &config.redirect_uri()) {
                Ok(o) => o.with_http(http.clone()),
                Err(e) => {
                    let line = |n: &str| {
                        CheckLine::new(format!("{n}{suffix}"), Level::Fail, e.to_string(), "")
                    };
                    let client = (line("google.client"), false);
                    return (client, (line("google.redirect_uri"), false, None));
                }
            };
            tokio::join!(
                client_check(&oauth, &cx, suffix),
                redirect::check(http, &oauth, config, *integration, &cx, suffix),
            )
        });
    let results = futures_util::future::join_all(runs).await;
    let mut lines = Vec::new();
    if let Some(((_, token_answered), (_, auth_answered, _))) = results.first() {
        lines.push(endpoints(config, *auth_answered, *token_answered));
    }
    let mut sample = None;
    for ((client, _), (redirect, _, s)) in results {
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

/// `google.client`: the line, and whether the token endpoint answered.
async fn client_check(oauth: &GoogleOAuth, cx: &OwnedFix, suffix: &str) -> (CheckLine, bool) {
    let name = format!("google.client{suffix}");
    let client = &cx.client_id;
    // A well-formed verifier, so that only the code is wrong.
    let (_, verifier) = crate::google::new_pkce();
    let error = match oauth.exchange(DUMMY_CODE, &verifier).await {
        Err(GoogleError::Refused { error, .. }) => error,
        Err(GoogleError::Network(e)) => {
            let line = CheckLine::new(
                name,
                Level::Fail,
                format!("the token endpoint did not answer: {e}"),
                "see google.endpoints",
            );
            return (line, false);
        }
        Ok(_) => "(a token for a dummy code)".to_owned(),
        Err(e) => e.to_string(),
    };
    let line = match error.as_str() {
        "invalid_grant" => CheckLine::ok(
            name,
            format!(
                "Google accepts the client {client} and its secret (a dummy code got invalid_grant)"
            ),
        ),
        code @ ("invalid_client" | "unauthorized_client" | "redirect_uri_mismatch") => {
            CheckLine::new(
                name,
                Level::Fail,
                format!("Google's token endpoint answered {code} for the client {client}"),
                GoogleCode::new(Stage::Token, code).fix(&cx.borrowed()),
            )
        }
        other => CheckLine::new(
            name,
            Level::Warn,
            format!("could not tell: the token endpoint answered {other}"),
            "check google.token_url (GOOGLE_TOKEN_URL) names Google's token endpoint",
        ),
    };
    (line, true)
}
