//! The public HTTP listener (axum): the consent link interstitial, Continue, the OAuth
//! callback and a health check. Every route has size limits, a timeout and a per-client rate
//! limit; bad input ends on a clear 4xx page, never a panic.

pub mod accept;
pub mod brand_color;
pub mod browser;
pub mod budget;
pub mod conn;
pub mod limits;
pub mod link_cookie;
pub mod metrics;
pub mod page_render;
pub mod pages;
pub mod risc;
pub mod shed;
pub mod tls;
pub mod victim;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub use limits::RateLimit;

use crate::domain::actor::Actor;
use crate::domain::consent::ContinueRequest;
use crate::engine::Engine;
use crate::engine::consent::{Callback, CallbackQuery, ContinueLink, CustomerPage, OpenLink};
use page_render::Failure;
use pages::{Pages, asked, query_lang};

pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
struct AppState {
    engine: Arc<Engine>,
    cookie: browser::ConsentCookie,
    link_cookie: link_cookie::LinkCookie,
    pages: Pages,
}

/// The listener's router. `extra` is merged in (the sandbox stand-ins in demo mode).
pub fn router(engine: Arc<Engine>, rate: RateLimit, extra: Option<Router>) -> Router {
    let cfg = engine.config().clone();
    let auth = &cfg.google.auth_url;
    let auth_origin = auth.origin().ascii_serialization();
    let guard = limits::Guard::new(
        rate,
        cfg.listener.client_ip_header.as_deref(),
        &cfg.listener.trusted_proxies,
        &auth_origin,
    )
    .with_hsts(cfg.listener.tls.is_some());
    let pages = Pages::new(&cfg);
    let guard = guard.with_pages(pages.clone());
    let sweeper = guard.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            sweeper.sweep();
        }
    });
    let engine_for_risc = engine.clone();
    let mut app: Router = Router::new()
        .route("/c/{code}", get(open_link))
        .route("/c/{code}/continue", post(continue_link))
        .route("/oauth/callback", get(callback))
        .route(pages::LOGO_PATH, get(logo))
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .with_state(AppState {
            cookie: browser::ConsentCookie::for_public_url(&cfg.listener.public_url),
            link_cookie: link_cookie::LinkCookie::new(&cfg),
            engine,
            pages,
        });
    let risc = risc::router(engine_for_risc);
    app = request_limits(app).layer(axum::middleware::from_fn_with_state(guard, limits::guard));
    // Google's security events: outside the customer pages' guard, with limits of their own.
    if let Some(risc) = risc {
        app = app.merge(risc);
    }
    // The stand-ins (demo mode) sit beside the public routes, outside their guards: they
    // play other services, which have their own.
    if let Some(extra) = extra {
        app = app.merge(extra);
    }
    app
}

/// The body size limit and the time limit of every request, on every listener.
pub fn request_limits(app: Router) -> Router {
    app.layer(RequestBodyLimitLayer::new(limits::MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
}

/// Serve until `shutdown` resolves, then finish in-flight requests (see [`conn`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: conn::ConnLimits,
) -> std::io::Result<()> {
    conn::serve(listener, app, shutdown, limits).await
}

/// The connection limits the listener config asks for, within the descriptor budget.
pub fn conn_limits(cfg: &crate::config::ListenerConfig) -> conn::ConnLimits {
    conn_limits_with(cfg, None)
}

/// The same, serving TLS with `tls`.
pub fn conn_limits_with(
    cfg: &crate::config::ListenerConfig,
    tls: Option<tls::Tls>,
) -> conn::ConnLimits {
    let max_connections = budget::listener_cap(
        conn::ConnLimits::default().max_connections,
        budget::descriptor_limit(),
    );
    conn::ConnLimits {
        tls,
        max_connections,
        max_per_client: cfg.max_connections_per_client,
        max_per_network: cfg.max_connections_per_network,
        exempt: cfg.trusted_proxies.clone(),
        // A loopback peer is a proxy only when the listener is told to read a proxy header.
        exempt_loopback: cfg.client_ip_header.is_some(),
        ..Default::default()
    }
}

async fn open_link(
    State(s): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    code: Result<Path<String>, PathRejection>,
) -> Response {
    let asked = asked(query_lang(raw.as_deref()), &headers);
    let Ok(Path(code)) = code else {
        return s.pages.respond(&CustomerPage::link_unknown(), &asked, true);
    };
    let (secret, fresh) = match s.cookie.read(&headers) {
        Some(c) => (c, false),
        None => (browser::ConsentCookie::new_secret(), true),
    };
    let open = OpenLink {
        code,
        browser: secret.clone(),
    };
    match s.engine.run(Actor::Customer, open).await {
        Ok(page) => {
            let mut res = s.pages.respond(&page, &asked, true);
            if fresh && let Some(v) = s.cookie.set_header(&secret) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(page) => s.pages.respond(&page, &asked, true),
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn continue_link(
    State(s): State<AppState>,
    headers: HeaderMap,
    code: Result<Path<String>, PathRejection>,
    body: axum::body::Bytes,
) -> Response {
    let field = |name: &str| {
        url::form_urlencoded::parse(&body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    // The language of the page the form was on.
    let asked = asked(field("lang"), &headers);
    let Ok(Path(code)) = code else {
        return s
            .pages
            .respond(&CustomerPage::link_unknown(), &asked, false);
    };
    let token = field("token");
    let set_link = s.link_cookie.set_header(&code);
    let req = ContinueRequest {
        sec_fetch_site: header_text(&headers, "sec-fetch-site"),
        origin: header_text(&headers, "origin"),
        cookie: s.cookie.read(&headers),
        token,
    };
    match s
        .engine
        .run(
            Actor::Customer,
            ContinueLink {
                code,
                request: req,
                asked: asked.clone(),
            },
        )
        .await
    {
        Ok(url) => {
            let mut res = Redirect::to(url.as_str()).into_response();
            if let Some(v) = set_link {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(page) => s.pages.respond(&page, &asked, false),
    }
}

/// Parse leniently: any byte sequence gives a query; a repeated parameter is treated as
/// missing, so no ambiguity reaches the engine.
fn parse_callback(raw: Option<&str>) -> CallbackQuery {
    let mut q = CallbackQuery::default();
    let mut seen: Vec<String> = Vec::new();
    let mut dup: Vec<String> = Vec::new();
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        if seen.contains(&k.to_string()) {
            dup.push(k.to_string());
        }
        seen.push(k.to_string());
        let v = Some(v.into_owned());
        match k.as_ref() {
            "state" => q.state = v,
            "code" => q.code = v.map(secrecy::SecretString::from),
            "error" => q.error = v,
            "error_description" => q.error_description = v,
            "scope" => q.scope = v,
            _ => {}
        }
    }
    for d in dup {
        match d.as_str() {
            "state" => q.state = None,
            "code" => q.code = None,
            _ => {}
        }
    }
    q
}

async fn callback(
    State(s): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    // The query carries the authorization code: wiped once parsed.
    let raw = raw.map(zeroize::Zeroizing::new);
    let q = parse_callback(raw.as_deref().map(String::as_str));
    let browser = s.cookie.read(&headers);
    let link_code = s.link_cookie.read(&headers);
    let clear_link = link_code
        .as_ref()
        .and_then(|_| s.link_cookie.clear_header());
    let asked = asked(None, &headers);
    // Once the state is taken the work must finish (store the token, or record the
    // failure), even if the browser goes away or the request times out: it runs in its
    // own task, and this request only waits for it.
    let engine = s.engine.clone();
    let callback = Callback {
        query: q,
        browser,
        link_code,
    };
    let mut res =
        match tokio::spawn(async move { engine.run(Actor::Customer, callback).await }).await {
            Ok(page) => s.pages.respond(&page, &asked, false),
            Err(e) => s
                .pages
                .respond(&CustomerPage::internal(&e.to_string()), &asked, false),
        };
    if let Some(v) = clear_link {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// The header of `/healthz` naming the deployment that answered (its id, derived from the
/// data key: see [`crate::store::Cipher::deployment_id`]); `config check --online` compares it.
pub const DEPLOYMENT_HEADER: &str = "x-mcp-onboard-deployment";

async fn healthz(State(s): State<AppState>) -> Response {
    let mut res = (StatusCode::OK, "ok\n").into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    if let Ok(id) = HeaderValue::from_str(s.engine.store().deployment_id()) {
        headers.insert(DEPLOYMENT_HEADER, id);
    }
    res
}

async fn not_found(State(s): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    s.pages
        .failure(Failure::NotFound, uri.query(), &headers, false)
}

async fn logo(State(s): State<AppState>, headers: HeaderMap) -> Response {
    s.pages.logo(&headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_query_parsing_is_lenient_and_refuses_duplicates() {
        let q = parse_callback(Some("state=a&code=b%20c&scope=x+y&junk=%ff"));
        assert_eq!(q.state.as_deref(), Some("a"));
        assert_eq!(
            q.code.as_ref().map(secrecy::ExposeSecret::expose_secret),
            Some("b c")
        );
        assert_eq!(q.scope.as_deref(), Some("x y"));
        let q = parse_callback(Some("state=a&state=b&code=c"));
        assert_eq!(q.state, None);
        assert_eq!(parse_callback(None).state, None);
    }
}
