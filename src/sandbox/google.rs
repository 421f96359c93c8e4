//! A Google-like OAuth 2.0 server: consent page with Allow/Deny and per-scope checkboxes
//! (granular consent), exact redirect-URI match, client secret and PKCE S256 checks,
//! single-use codes that expire, refresh and id tokens, and revocation.
//!
//! Knobs let tests grant fewer scopes, omit the refresh token or fail the exchange.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;
use sha2::{Digest, Sha256};
use url::Url;

use crate::engine::token::random_token;

pub const AUTH_PATH: &str = "/o/oauth2/v2/auth";
pub const APPROVE_PATH: &str = "/o/oauth2/v2/approve";
pub const TOKEN_PATH: &str = "/token";
pub const REVOKE_PATH: &str = "/revoke";
pub const CODE_TTL: Duration = Duration::from_secs(60);

/// Test knobs, changeable while the server runs.
#[derive(Debug, Clone, Default)]
pub struct Knobs {
    /// Grant only these scopes whatever the customer ticks.
    pub grant_only: Option<Vec<String>>,
    pub omit_refresh_token: bool,
    pub omit_id_token: bool,
    /// Answer the code exchange with this OAuth error.
    pub fail_exchange: Option<String>,
    /// Take this long to answer the code exchange.
    pub exchange_delay: Duration,
    /// Claims to set in (or, as `null`, leave out of) the id_token, e.g. another `aud`.
    pub id_token_claims: Option<serde_json::Value>,
    /// Answer every refresh with this HTTP status and OAuth error code (an empty code: a
    /// body that is not JSON, as a failing proxy sends), e.g. `(503, "")`, `(429,
    /// "rate_limit_exceeded")`, `(401, "invalid_client")`.
    pub fail_refresh: Option<(u16, String)>,
}

#[derive(Debug, Clone)]
pub struct SandboxGoogleConfig {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uris: Vec<String>,
    pub default_email: String,
}

struct PendingCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    scopes: Vec<String>,
    email: String,
    issued: Instant,
}

#[derive(Default)]
struct Inner {
    codes: HashMap<String, PendingCode>,
    refresh: HashMap<String, (String, bool)>, // token -> (email, revoked)
    knobs: Knobs,
    exchanges: u32,
    refreshes: u32,
}

#[derive(Clone)]
pub struct GoogleSandbox {
    cfg: Arc<SandboxGoogleConfig>,
    inner: Arc<Mutex<Inner>>,
}

#[derive(serde::Deserialize)]
struct AuthQuery {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    login_hint: Option<String>,
}

fn error_page(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = format!(
        "<!doctype html><title>Sign in - Google Accounts (sandbox)</title><h1>{}</h1><p>{}</p>",
        html_escape::encode_safe(title),
        html_escape::encode_safe(detail)
    );
    (status, Html(body)).into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// Google returns `email`/`profile` under their long names.
fn google_name(scope: &str) -> &str {
    match scope {
        "email" => "https://www.googleapis.com/auth/userinfo.email",
        "profile" => "https://www.googleapis.com/auth/userinfo.profile",
        s => s,
    }
}

fn sub_of(email: &str) -> String {
    let d = Sha256::digest(email.as_bytes());
    d.iter().take(10).map(|b| format!("{}", b % 10)).collect()
}

fn id_token(client_id: &str, email: &str, extra: Option<&serde_json::Value>) -> String {
    let domain = email.split_once('@').map(|x| x.1).unwrap_or("");
    let now = crate::time::now_ms() / 1000;
    let mut claims = json!({
        "iss": "https://accounts.google.com",
        "aud": client_id,
        "azp": client_id,
        "iat": now,
        "exp": now + 3600,
        "sub": sub_of(email),
        "email": email,
        "email_verified": true,
    });
    if domain != "gmail.com" && !domain.is_empty() {
        claims["hd"] = json!(domain);
    }
    if let (Some(serde_json::Value::Object(extra)), Some(c)) = (extra, claims.as_object_mut()) {
        for (k, v) in extra {
            if v.is_null() {
                c.remove(k);
            } else {
                c.insert(k.clone(), v.clone());
            }
        }
    }
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","kid":"sandbox"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!(
        "{header}.{payload}.{}",
        URL_SAFE_NO_PAD.encode(b"sandbox-signature")
    )
}

impl GoogleSandbox {
    pub fn new(cfg: SandboxGoogleConfig) -> Self {
        Self {
            cfg: Arc::new(cfg),
            inner: Arc::new(Mutex::new(Inner::default())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_knobs(&self, knobs: Knobs) {
        self.lock().knobs = knobs;
    }

    /// Refresh tokens issued and not revoked.
    pub fn live_refresh_tokens(&self) -> Vec<String> {
        self.lock()
            .refresh
            .iter()
            .filter(|(_, (_, revoked))| !revoked)
            .map(|(t, _)| t.clone())
            .collect()
    }

    /// The customer removes the app's access (or the token expires): every refresh token
    /// issued to `email` stops working, as at Google.
    pub fn revoke_account(&self, email: &str) -> usize {
        let mut n = 0;
        for (who, revoked) in self.lock().refresh.values_mut() {
            if who == email && !*revoked {
                *revoked = true;
                n += 1;
            }
        }
        n
    }

    /// Refreshes answered (successfully or not).
    pub fn refreshes(&self) -> u32 {
        self.lock().refreshes
    }

    pub fn revoked_count(&self) -> usize {
        self.lock().refresh.values().filter(|(_, r)| *r).count()
    }

    pub fn exchanges(&self) -> u32 {
        self.lock().exchanges
    }

    /// Routes relative to the sandbox's base URL.
    pub fn router(&self) -> Router {
        Router::new()
            .route(AUTH_PATH, get(authorize))
            .route(APPROVE_PATH, post(approve))
            .route(TOKEN_PATH, post(token))
            .route(REVOKE_PATH, post(revoke))
            .with_state(self.clone())
    }

    /// Bind on loopback and serve; returns the base URL.
    pub async fn spawn(&self) -> std::io::Result<Url> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = self.router();
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "google sandbox stopped");
            }
        });
        Url::parse(&format!("http://{addr}")).map_err(std::io::Error::other)
    }

    fn check_request(&self, q: &AuthQuery) -> Result<(String, Vec<String>), Box<Response>> {
        if q.client_id.as_deref() != Some(self.cfg.client_id.as_str()) {
            return Err(Box::new(error_page(
                StatusCode::UNAUTHORIZED,
                "Error 401: invalid_client",
                "The OAuth client was not found.",
            )));
        }
        let redirect = q.redirect_uri.clone().unwrap_or_default();
        if !self.cfg.redirect_uris.contains(&redirect) {
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
}

async fn authorize(State(s): State<GoogleSandbox>, Query(q): Query<AuthQuery>) -> Response {
    let (_redirect, scopes) = match s.check_request(&q) {
        Ok(v) => v,
        Err(page) => return *page,
    };
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

async fn approve(State(s): State<GoogleSandbox>, body: String) -> Response {
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
    if get("client_id") != s.cfg.client_id || !s.cfg.redirect_uris.contains(&redirect_uri) {
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

async fn token(
    State(s): State<GoogleSandbox>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let delay = s.lock().knobs.exchange_delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let (client_id, secret) = client_auth(&headers, &form);
    if client_id != s.cfg.client_id || secret != s.cfg.client_secret {
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
            let (live, fail) = {
                let mut inner = s.lock();
                inner.refreshes += 1;
                let live = inner
                    .refresh
                    .get(&get("refresh_token"))
                    .map(|(_, revoked)| !revoked);
                (live, inner.knobs.fail_refresh.clone())
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
            return if live == Some(true) {
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
        inner
            .refresh
            .insert(rt.clone(), (pending.email.clone(), false));
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

async fn revoke(
    State(s): State<GoogleSandbox>,
    Query(q): Query<HashMap<String, String>>,
    body: String,
) -> Response {
    let token = q.get("token").cloned().or_else(|| {
        url::form_urlencoded::parse(body.as_bytes())
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
    });
    let mut inner = s.lock();
    let account = token.and_then(|t| inner.refresh.get(&t).map(|(email, _)| email.clone()));
    match account {
        Some(email) => {
            // As Google does: revoking one token ends the account's whole grant to the
            // client, every refresh token issued to it with it.
            for (acct, revoked) in inner.refresh.values_mut() {
                if *acct == email {
                    *revoked = true;
                }
            }
            StatusCode::OK.into_response()
        }
        None => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_token",
            "Token is not valid.",
        ),
    }
}
