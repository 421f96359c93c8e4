//! The token endpoint (code exchange with client secret and PKCE checks, refresh) and the
//! revoke endpoint, with the knobs that make them fail as Google can. A refresh token works
//! only for the client it was issued through, and a revoke ends one account's grant to that
//! one client.

use std::collections::HashMap;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::answers::oauth_error;
use super::state::{CODE_TTL, GoogleSandbox, Issued};
use super::tokens::{google_name, id_token};
use crate::engine::token::random_token;

/// Client credentials from HTTP Basic auth or the form body.
fn client_auth(headers: &HeaderMap, form: &HashMap<String, String>) -> (String, String) {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        && let Some((id, secret)) = basic.split_once(':')
    {
        let dec = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        return (dec(id), dec(secret));
    }
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    (get("client_id"), get("client_secret"))
}

pub(super) async fn token(
    State(s): State<GoogleSandbox>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let delay = {
        let mut inner = s.lock();
        inner.token_requests += 1;
        inner.user_agents.push(user_agent(&headers));
        inner.knobs.exchange_delay
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let (client_id, secret) = client_auth(&headers, &form);
    if !s.client_is(&client_id, Some(&secret)) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The OAuth client was not found.",
        );
    }
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    match get("grant_type").as_str() {
        "authorization_code" => {}
        "refresh_token" => {
            let (issued, fail) = {
                let mut inner = s.lock();
                inner.refreshes += 1;
                let issued = inner
                    .refresh
                    .get(&get("refresh_token"))
                    .map(|i| (!i.revoked, i.client_id == client_id));
                (issued, inner.knobs.fail_refresh.clone())
            };
            if let Some((status, code)) = fail {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
                return if code.is_empty() {
                    (
                        status,
                        Html("<html><body>Service Unavailable</body></html>"),
                    )
                        .into_response()
                } else {
                    oauth_error(status, &code, "Refused by the sandbox's fault knob.")
                };
            }
            if issued == Some((true, false)) {
                // Google's answer to a live token of another client.
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "unauthorized_client",
                    "Unauthorized",
                );
            }
            return if issued == Some((true, true)) {
                axum::Json(json!({"access_token": format!("ya29.{}", random_token(24)), "expires_in": 3599, "token_type": "Bearer"})).into_response()
            } else {
                oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Token has been expired or revoked.",
                )
            };
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Invalid grant_type",
            );
        }
    }
    let mut inner = s.lock();
    inner.exchanges += 1;
    let knobs = inner.knobs.clone();
    // Single use: the code is gone whatever happens next.
    let Some(pending) = inner.codes.remove(&get("code")) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Malformed auth code.",
        );
    };
    if pending.issued.elapsed() > CODE_TTL {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Code was already redeemed or expired.",
        );
    }
    if pending.client_id != client_id || pending.redirect_uri != get("redirect_uri") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "redirect_uri_mismatch",
            "Bad Request",
        );
    }
    let verifier = get("code_verifier");
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != pending.challenge {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Invalid code verifier.",
        );
    }
    if let Some(err) = knobs.fail_exchange {
        return oauth_error(StatusCode::BAD_REQUEST, &err, "Injected failure.");
    }
    let mut body = json!({
        "access_token": format!("ya29.{}", random_token(24)),
        "expires_in": 3599,
        "token_type": "Bearer",
        "scope": pending.scopes.iter().map(|sc| google_name(sc)).collect::<Vec<_>>().join(" "),
    });
    if !knobs.omit_refresh_token {
        let rt = format!("1//{}", random_token(32));
        let issued = Issued {
            email: pending.email.clone(),
            client_id: client_id.clone(),
            revoked: false,
        };
        inner.refresh.insert(rt.clone(), issued);
        body["refresh_token"] = json!(rt);
    }
    if !knobs.omit_id_token && pending.scopes.iter().any(|sc| sc == "openid") {
        body["id_token"] = json!(id_token(
            &client_id,
            &pending.email,
            knobs.id_token_claims.as_ref()
        ));
    }
    axum::Json(body).into_response()
}

fn user_agent(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub(super) async fn revoke(
    State(s): State<GoogleSandbox>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: String,
) -> Response {
    s.lock().user_agents.push(user_agent(&headers));
    let token = q.get("token").cloned().or_else(|| {
        url::form_urlencoded::parse(body.as_bytes())
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
    });
    let mut inner = s.lock();
    let grant = token
        .and_then(|t| inner.refresh.get(&t))
        .filter(|i| !i.revoked)
        .map(|i| (i.email.clone(), i.client_id.clone()));
    match grant {
        Some((email, client)) => {
            // As Google does: revoking one token ends the account's whole grant to the
            // client, every refresh token issued to it through that client with it.
            for i in inner.refresh.values_mut() {
                if i.email == email && i.client_id == client {
                    i.revoked = true;
                }
            }
            StatusCode::OK.into_response()
        }
        // Unknown, or no longer live.
        None => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_token",
            "Token is not valid.",
        ),
    }
}
