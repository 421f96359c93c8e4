//! The consent page: the authorization request checked as Google checks it, a page with
//! Allow/Deny and a checkbox per scope (granular consent), and the redirect back with a
//! single-use code (or `access_denied`).

use std::collections::HashMap;
use std::time::Instant;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use url::Url;

use super::answers::error_page;
use super::state::{GoogleSandbox, PendingCode};
use super::tokens::google_name;
use crate::domain::google_errors::{GoogleCode, Stage};
use crate::engine::token::random_token;

#[derive(serde::Deserialize)]
pub(super) struct AuthQuery {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    login_hint: Option<String>,
}

/// The request is a known client's, to one of its redirect URIs, with PKCE S256 and
/// scopes: its redirect URI and scopes, or the error page.
fn check_request(s: &GoogleSandbox, q: &AuthQuery) -> Result<(String, Vec<String>), Box<Response>> {
    if !q.client_id.as_deref().is_some_and(|c| s.client_is(c, None)) {
        return Err(Box::new(error_page(
            StatusCode::UNAUTHORIZED,
            "Error 401: invalid_client",
            "The OAuth client was not found.",
        )));
    }
    let redirect = q.redirect_uri.clone().unwrap_or_default();
    if !s.cfg.redirect_uris.contains(&redirect) {
        return Err(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            "Error 400: redirect_uri_mismatch",
            &format!("redirect_uri {redirect} is not registered for this client."),
        )));
    }
    if q.response_type.as_deref() != Some("code") {
        return Err(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            "Error 400: unsupported_response_type",
            "response_type must be code.",
        )));
    }
    if q.code_challenge_method.as_deref() != Some("S256")
        || q.code_challenge.as_deref().is_none_or(|c| c.len() < 43)
    {
        return Err(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            "Error 400: invalid_request",
            "PKCE with S256 is required.",
        )));
    }
    let scopes: Vec<String> = q
        .scope
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        return Err(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            "Error 400: invalid_request",
            "Missing required parameter: scope",
        )));
    }
    Ok((redirect, scopes))
}

/// An error as Google answers it: on its own page, or in the redirect back.
fn google_error(code: &GoogleCode, redirect: &str, state: &str) -> Response {
    let target = Url::parse(redirect)
        .ok()
        .filter(|_| code.at != Stage::GooglePage);
    let Some(mut target) = target else {
        let status = match code.code.as_str() {
            "access_denied" => StatusCode::FORBIDDEN,
            "invalid_client" => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_REQUEST,
        };
        let title = format!("Error {}: {}", status.as_u16(), code.code);
        return error_page(status, &title, code.entry().reason);
    };
    target
        .query_pairs_mut()
        .append_pair("error", &code.code)
        .append_pair("state", state);
    Redirect::to(target.as_str()).into_response()
}

pub(super) async fn authorize(
    State(s): State<GoogleSandbox>,
    Query(q): Query<AuthQuery>,
) -> Response {
    let (redirect, scopes) = match check_request(&s, &q) {
        Ok(v) => v,
        Err(page) => return *page,
    };
    let injected = s.lock().knobs.authorize_error.clone();
    if let Some(code) = injected {
        return google_error(&code, &redirect, q.state.as_deref().unwrap_or_default());
    }
    let email = q
        .login_hint
        .clone()
        .unwrap_or_else(|| s.cfg.default_email.clone());
    let hidden = |name: &str, value: &str| {
        format!(
            r#"<input type="hidden" name="{name}" value="{}">"#,
            html_escape::encode_double_quoted_attribute(value)
        )
    };
    let mut form = String::new();
    for (k, v) in [
        ("client_id", q.client_id.as_deref()),
        ("redirect_uri", q.redirect_uri.as_deref()),
        ("state", q.state.as_deref()),
        ("code_challenge", q.code_challenge.as_deref()),
    ] {
        form.push_str(&hidden(k, v.unwrap_or("")));
    }
    let boxes: String = scopes
        .iter()
        .map(|sc| {
            format!(
                r#"<label><input type="checkbox" name="scope" value="{0}" checked> {0}</label><br>"#,
                html_escape::encode_double_quoted_attribute(sc)
            )
        })
        .collect();
    let page = format!(
        r#"<!doctype html><html><head><title>Sign in - Google Accounts (sandbox)</title></head><body>
<h1>Google (sandbox)</h1><form method="post" action="approve">{form}
<p><label>Account <input type="email" name="email" value="{email}"></label></p>
<p>The app wants to:</p>{boxes}
<button type="submit" name="decision" value="allow" id="allow">Allow</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button>
</form></body></html>"#,
        email = html_escape::encode_double_quoted_attribute(&email),
    );
    Html(page).into_response()
}

/// What the consent page's Allow posts (to [`super::APPROVE_PATH`]) for the authorization
/// request `authorize`, signed in as `email`, with every scope asked for ticked: for
/// clients that drive the stand-in without reading its page.
pub fn allow_form(authorize: &Url, email: &str) -> Vec<(String, String)> {
    let q: HashMap<String, String> = authorize.query_pairs().into_owned().collect();
    let mut form: Vec<(String, String)> = ["client_id", "redirect_uri", "state", "code_challenge"]
        .iter()
        .map(|k| ((*k).to_owned(), q.get(*k).cloned().unwrap_or_default()))
        .collect();
    form.push(("email".into(), email.into()));
    form.push(("decision".into(), "allow".into()));
    let scopes = q.get("scope").map(String::as_str).unwrap_or_default();
    form.extend(
        scopes
            .split(' ')
            .map(|s| ("scope".to_owned(), s.to_owned())),
    );
    form
}

pub(super) async fn approve(State(s): State<GoogleSandbox>, body: String) -> Response {
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut ticked: Vec<String> = Vec::new();
    for (k, v) in url::form_urlencoded::parse(body.as_bytes()) {
        if k == "scope" {
            ticked.push(v.into_owned());
        } else {
            fields.insert(k.into_owned(), v.into_owned());
        }
    }
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let redirect_uri = get("redirect_uri");
    if !s.client_is(&get("client_id"), None) || !s.cfg.redirect_uris.contains(&redirect_uri) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Error 400: invalid_request",
            "Unknown client or redirect URI.",
        );
    }
    let Ok(mut target) = Url::parse(&redirect_uri) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Error 400: invalid_request",
            "Bad redirect URI.",
        );
    };
    let state = get("state");
    if get("decision") != "allow" {
        target
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("state", &state);
        return Redirect::to(target.as_str()).into_response();
    }
    let granted = match &s.lock().knobs.grant_only {
        Some(only) => only.clone(),
        None => ticked,
    };
    let code = format!("4/{}", random_token(24));
    let scope_text = granted
        .iter()
        .map(|sc| google_name(sc))
        .collect::<Vec<_>>()
        .join(" ");
    s.lock().codes.insert(
        code.clone(),
        PendingCode {
            client_id: get("client_id"),
            redirect_uri: redirect_uri.clone(),
            challenge: get("code_challenge"),
            scopes: granted,
            email: get("email").trim().to_ascii_lowercase(),
            issued: Instant::now(),
        },
    );
    target
        .query_pairs_mut()
        .append_pair("state", &state)
        .append_pair("code", &code)
        .append_pair("scope", &scope_text);
    Redirect::to(target.as_str()).into_response()
}
