//! Guards on the public routes: a per-client rate limit (governor, keyed by client IP),
//! header and URI size limits, and security headers on every response.
//!
//! The client IP is the TCP peer, or, when a trusted reverse proxy is configured, the
//! right-most address of its header (the one the proxy itself appended).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::page_render::Failure;
use super::pages::Pages;

pub const MAX_HEADER_BYTES: usize = 8 * 1024;
pub const MAX_URI_BYTES: usize = 4 * 1024;
pub const MAX_BODY_BYTES: usize = 16 * 1024;
const LOG_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);

/// Requests per minute per client, with a burst allowance.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub per_minute: NonZeroU32,
    pub burst: NonZeroU32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            per_minute: NonZeroU32::new(60).unwrap_or(NonZeroU32::MIN),
            burst: NonZeroU32::new(30).unwrap_or(NonZeroU32::MIN),
        }
    }
}

/// One client's key: its address, IPv6 by its /64 (one subscriber's whole allocation).
pub fn client_key_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// One client's network, for the connection cap a network shares: IPv4 by its /24, IPv6
/// by its /48 (one site's allocation; a /56 holds 256 client keys).
pub fn network_key_of(ip: IpAddr) -> IpAddr {
    match client_key_of(ip) {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, 0))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0))
        }
    }
}

#[derive(Clone)]
pub struct Guard {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// When each limited client was last logged: once per window each, not per request.
    logged: Arc<std::sync::Mutex<std::collections::HashMap<IpAddr, std::time::Instant>>>,
    client_ip_header: Option<header::HeaderName>,
    trusted_proxies: Arc<Vec<IpAddr>>,
    csp: HeaderValue,
    /// Send `Strict-Transport-Security` (the listener serves TLS itself).
    hsts: bool,
    /// The pages of refusals (rate limited, too large), with the brand.
    pages: Pages,
}

impl Guard {
    pub fn new(
        limit: RateLimit,
        client_ip_header: Option<&str>,
        trusted_proxies: &[IpAddr],
        auth_origin: &str,
    ) -> Self {
        let quota = Quota::per_minute(limit.per_minute).allow_burst(limit.burst);
        let csp = format!(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self' {auth_origin}; frame-ancestors 'none'; base-uri 'none'"
        );
        Self {
            limiter: Arc::new(RateLimiter::keyed(quota)),
            logged: Default::default(),
            client_ip_header: client_ip_header.and_then(|h| h.parse().ok()),
            trusted_proxies: Arc::new(trusted_proxies.to_vec()),
            csp: HeaderValue::from_str(&csp)
                .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'")),
            hsts: false,
            pages: Pages::default(),
        }
    }

    /// Refusals are pages of this brand.
    pub fn with_pages(mut self, pages: Pages) -> Self {
        self.pages = pages;
        self
    }

    /// Answers say `Strict-Transport-Security` (the listener serves TLS itself).
    pub fn with_hsts(mut self, on: bool) -> Self {
        self.hsts = on;
        self
    }

    /// The rate-limit key of a request: the client's address, IPv6 by its /64 (one
    /// subscriber's whole allocation).
    fn client_key(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> Option<IpAddr> {
        self.client_ip(headers, peer).map(client_key_of)
    }

    fn client_ip(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> Option<IpAddr> {
        // The header is believed only from a proxy: a client reaching the listener
        // directly could otherwise pick any address and never be limited.
        let from_proxy =
            peer.is_some_and(|p| p.ip().is_loopback() || self.trusted_proxies.contains(&p.ip()));
        if let Some(name) = self.client_ip_header.as_ref().filter(|_| from_proxy) {
            // The right-most entry is the one our proxy appended; anything to its left came
            // from the client. An entry that does not parse (`unknown`, `ip:port`) is not
            // skipped, which would let the client's own entry through: the peer counts then.
            let last = headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .next_back()
                .and_then(|s| s.trim().parse::<IpAddr>().ok());
            if last.is_some() {
                return last;
            }
        }
        peer.map(|p| p.ip())
    }

    /// Drop old per-client state so memory stays bounded under many clients.
    pub fn sweep(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
        self.logged
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, t| t.elapsed() < LOG_WINDOW);
    }

    /// Whether a limited client should be logged now (once per window per client).
    fn log_limited(&self, ip: IpAddr) -> bool {
        let mut logged = self.logged.lock().unwrap_or_else(|p| p.into_inner());
        match logged.get(&ip) {
            Some(t) if t.elapsed() < LOG_WINDOW => false,
            _ => {
                // Bounded even between sweeps: a flood of addresses keeps the newest.
                if logged.len() >= 10_000 {
                    logged.clear();
                }
                logged.insert(ip, std::time::Instant::now());
                true
            }
        }
    }
}

fn headers_size(h: &HeaderMap) -> usize {
    h.iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum()
}

fn secure(mut res: Response, csp: &HeaderValue, hsts: bool) -> Response {
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, csp.clone());
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Nothing is cached but what says it may be (the logo).
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    if hsts {
        // HTTPS only, for a year: sent when the listener serves TLS itself (behind a
        // proxy, the proxy says it).
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    res
}

/// The request target's length, counted without copying it (it may carry an
/// authorization code).
fn uri_len(uri: &axum::http::Uri) -> usize {
    uri.scheme_str().map_or(0, |s| s.len() + 3)
        + uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path_and_query().map_or(0, |p| p.as_str().len())
}

/// The page for a request over the URI or header size limits, if it is.
fn too_large(req: &Request, pages: &Pages) -> Option<Response> {
    if uri_len(req.uri()) > MAX_URI_BYTES {
        return Some(pages.failure(Failure::UriTooLong, None, req.headers(), false));
    }
    if headers_size(req.headers()) > MAX_HEADER_BYTES {
        // Headers this large are not read, not even for the language.
        return Some(pages.failure(Failure::HeadersTooLarge, None, &HeaderMap::new(), false));
    }
    None
}

/// Middleware for a private listener's routes (`/metrics`): the size limits alone.
pub async fn sizes(req: Request, next: Next) -> Response {
    match too_large(&req, &Pages::default()) {
        Some(res) => res,
        None => next.run(req).await,
    }
}

/// Middleware for every route: size limits, rate limit (except `/healthz`), headers.
pub async fn guard(State(g): State<Guard>, req: Request, next: Next) -> Response {
    let (csp, hsts) = (g.csp.clone(), g.hsts);
    if let Some(res) = too_large(&req, &g.pages) {
        return secure(res, &csp, hsts);
    }
    if req.uri().path() != "/healthz" {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        if let Some(ip) = g.client_key(req.headers(), peer)
            && g.limiter.check_key(&ip).is_err()
        {
            // Never the path itself: under /c/ it is a consent link's code.
            let path = req.uri().path();
            let route = if path.starts_with("/c/") {
                "/c/…"
            } else {
                path
            };
            if g.log_limited(ip) {
                tracing::warn!(%ip, route, "rate limited (logged once a minute per client)");
            }
            let mut res = g.pages.failure(
                Failure::RateLimited,
                req.uri().query(),
                req.headers(),
                false,
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            return secure(res, &csp, hsts);
        }
    }
    secure(next.run(req).await, &csp, hsts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_header_uses_the_address_the_proxy_appended() {
        let g = Guard::new(
            RateLimit::default(),
            Some("x-forwarded-for"),
            &[],
            "https://accounts.google.com",
        );
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 10.0.0.7"),
        );
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(g.client_ip(&h, Some(peer)), "10.0.0.7".parse().ok());
        let plain = Guard::new(
            RateLimit::default(),
            None,
            &[],
            "https://accounts.google.com",
        );
        assert_eq!(plain.client_ip(&h, Some(peer)), Some(peer.ip()));
        // From a peer that is not a trusted proxy, the header is ignored.
        let direct: SocketAddr = "203.0.113.9:5000".parse().unwrap();
        assert_eq!(g.client_ip(&h, Some(direct)), Some(direct.ip()));
        let trusting = Guard::new(
            RateLimit::default(),
            Some("x-forwarded-for"),
            &[direct.ip()],
            "https://accounts.google.com",
        );
        assert_eq!(
            trusting.client_ip(&h, Some(direct)),
            "10.0.0.7".parse().ok()
        );
        // A right-most entry that does not parse never lets an earlier (client-written)
        // entry through: the peer counts.
        for tail in ["unknown", "10.0.0.7:4431", ""] {
            let mut h = HeaderMap::new();
            h.insert(
                "x-forwarded-for",
                HeaderValue::from_str(&format!("6.6.6.6, {tail}")).unwrap(),
            );
            assert_eq!(g.client_ip(&h, Some(peer)), Some(peer.ip()), "{tail:?}");
        }
    }

    #[test]
    fn a_limited_client_is_logged_once_per_window() {
        let g = Guard::new(
            RateLimit::default(),
            None,
            &[],
            "https://accounts.google.com",
        );
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        assert!(g.log_limited(ip));
        assert!(!g.log_limited(ip));
        assert!(g.log_limited("203.0.113.10".parse().unwrap()));
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        let g = Guard::new(
            RateLimit::default(),
            None,
            &[],
            "https://accounts.google.com",
        );
        let h = HeaderMap::new();
        let a: SocketAddr = "[2001:db8:1:2:aaaa::1]:1".parse().unwrap();
        let b: SocketAddr = "[2001:db8:1:2:bbbb::9]:1".parse().unwrap();
        let other: SocketAddr = "[2001:db8:1:3::1]:1".parse().unwrap();
        assert_eq!(g.client_key(&h, Some(a)), g.client_key(&h, Some(b)));
        assert_ne!(g.client_key(&h, Some(a)), g.client_key(&h, Some(other)));
        let mapped: SocketAddr = "[::ffff:192.0.2.1]:1".parse().unwrap();
        assert_eq!(g.client_key(&h, Some(mapped)), "192.0.2.1".parse().ok());
    }

    #[test]
    fn networks_are_ipv4_24s_and_ipv6_48s_above_the_client_keys() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // IPv6: a client is its /64, a network its /48, so one /56 is one network.
        let a = ip("2001:db8:1:2:aaaa::1");
        let same_64 = ip("2001:db8:1:2:bbbb::9");
        let same_56 = ip("2001:db8:1:ff::1");
        let other_48 = ip("2001:db8:2:2::1");
        assert_eq!(client_key_of(a), client_key_of(same_64));
        assert_ne!(client_key_of(a), client_key_of(same_56));
        assert_eq!(network_key_of(a), ip("2001:db8:1::"));
        assert_eq!(network_key_of(a), network_key_of(same_56));
        assert_ne!(network_key_of(a), network_key_of(other_48));
        // IPv4 (mapped too): a client is its address, a network its /24.
        assert_eq!(network_key_of(ip("192.0.2.77")), ip("192.0.2.0"));
        assert_eq!(network_key_of(ip("::ffff:192.0.2.9")), ip("192.0.2.0"));
        assert_ne!(
            client_key_of(ip("192.0.2.77")),
            client_key_of(ip("192.0.2.9"))
        );
        assert_ne!(
            network_key_of(ip("192.0.2.77")),
            network_key_of(ip("192.0.3.77"))
        );
    }

    #[test]
    fn the_uri_is_measured_without_being_copied_as_its_text_would_be() {
        for u in [
            "/oauth/callback?state=abc&code=4%2F0AeanS0",
            "http://example.com:8080/c/x?y=z",
            "/",
            "*",
        ] {
            let uri: axum::http::Uri = u.parse().unwrap();
            assert_eq!(uri_len(&uri), uri.to_string().len(), "{u}");
        }
    }

    #[tokio::test]
    async fn hsts_is_sent_only_when_the_listener_serves_tls() {
        use axum::routing::get;
        use tower::ServiceExt;
        for tls in [false, true] {
            let g = Guard::new(
                RateLimit::default(),
                None,
                &[],
                "https://accounts.google.com",
            )
            .with_hsts(tls);
            let app = axum::Router::new()
                .route("/healthz", get(|| async { "ok" }))
                .layer(axum::middleware::from_fn_with_state(g, guard));
            let res = app
                .oneshot(
                    Request::builder()
                        .uri("/healthz")
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            assert_eq!(
                res.headers()
                    .get(header::STRICT_TRANSPORT_SECURITY)
                    .map(|v| v.to_str().unwrap().to_owned()),
                tls.then(|| "max-age=31536000".to_owned()),
            );
        }
    }
}
