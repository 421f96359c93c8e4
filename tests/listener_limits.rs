//! The listener's guards against the real router on loopback: per-client rate limit, size
//! limits, security headers, and a fuzz of the public routes that must never produce a 5xx
//! or take the server down.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::time::Duration;

use common::*;
use mcp_onboard::http::RateLimit;
use mcp_onboard::http::limits::{MAX_BODY_BYTES, MAX_HEADER_BYTES, MAX_URI_BYTES};
use proptest::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn tiny(burst: u32) -> RateLimit {
    RateLimit {
        per_minute: NonZeroU32::new(1).unwrap(),
        burst: NonZeroU32::new(burst).unwrap(),
    }
}

fn client_from(ip: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(IpAddr::V4(ip))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn url(h: &Harness, path: &str) -> String {
    format!("{}{}", h.base.as_str().trim_end_matches('/'), path)
}

fn assert_secure(res: &reqwest::Response, what: &str) {
    let h = res.headers();
    let get = |k: &str| {
        h.get(k)
            .unwrap_or_else(|| panic!("{what}: no {k}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let csp = get("content-security-policy");
    for part in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(part), "{what}: CSP {csp:?} lacks {part:?}");
    }
    assert!(!csp.contains("script-src"), "{what}: pages need no script");
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    assert_eq!(get("cache-control"), "no-store", "{what}");
}

#[tokio::test]
async fn each_client_is_rate_limited_with_a_page_and_retry_after() {
    let h = harness_with(tiny(3)).await;
    let a = client_from(Ipv4Addr::LOCALHOST);
    for _ in 0..3 {
        let res = a.get(url(&h, "/c/unknown-code")).send().await.unwrap();
        assert_eq!(res.status(), 404);
    }
    let res = a.get(url(&h, "/c/unknown-code")).send().await.unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "60");
    assert_secure(&res, "429");
    let body = res.text().await.unwrap();
    assert!(body.contains("Too many requests"), "{body}");
    assert!(
        body.contains("<html"),
        "our page, not a bare status: {body}"
    );

    // Every route counts, the callback too.
    let res = a
        .get(url(&h, "/oauth/callback?state=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);

    // The health check is never limited.
    for _ in 0..10 {
        let res = a.get(url(&h, "/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.text().await.unwrap(), "ok\n");
    }

    // Another client (another loopback address) has its own allowance.
    let b = client_from(Ipv4Addr::new(127, 0, 0, 2));
    let res = b.get(url(&h, "/c/unknown-code")).send().await.unwrap();
    assert_eq!(
        res.status(),
        404,
        "a second client was limited for the first"
    );
}

#[tokio::test]
async fn oversized_headers_uri_and_body_get_a_4xx() {
    let h = harness().await;

    // Headers: just under the limit passes, over it is 431.
    let res = h
        .http
        .get(url(&h, "/healthz"))
        .header("x-filler", "a".repeat(MAX_HEADER_BYTES - 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = h
        .http
        .get(url(&h, "/c/abc"))
        .header("x-filler", "a".repeat(MAX_HEADER_BYTES + 1))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 431);
    assert_secure(&res, "431");
    assert!(res.text().await.unwrap().contains("too large"));

    // URI: over 4 KiB is 414, on any route.
    for path in [
        format!("/c/{}", "a".repeat(MAX_URI_BYTES)),
        format!("/oauth/callback?state={}", "s".repeat(MAX_URI_BYTES)),
    ] {
        let res = h.http.get(url(&h, &path)).send().await.unwrap();
        assert_eq!(res.status(), 414, "{}", &path[..20]);
        assert_secure(&res, "414");
    }
    let res = h
        .http
        .get(url(&h, &format!("/c/{}", "a".repeat(MAX_URI_BYTES - 100))))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        404,
        "under the limit: an ordinary unknown link"
    );

    // Body: a large form posted to Continue of a real link.
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    let cont = format!("{}/continue", link.url);
    let big = "x".repeat(MAX_BODY_BYTES + 1);
    let res = h
        .http
        .post(&cont)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    // Chunked, without a length: whatever the answer, never a server error.
    let path = cont.trim_start_matches(h.base.as_str().trim_end_matches('/'));
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in big.as_bytes().chunks(1024) {
        req.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        req.extend_from_slice(chunk);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let status = raw(&h, &req).await;
    assert!((300..500).contains(&status), "chunked big body: {status}");
    // The server is still fine.
    assert_eq!(
        h.http
            .get(url(&h, "/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

/// Send raw bytes as one HTTP/1.1 request; the answer's status code (0: no answer at all).
async fn raw(h: &Harness, request: &[u8]) -> u16 {
    let addr = format!("{}:{}", h.base.host_str().unwrap(), h.base.port().unwrap());
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    // The server may answer and close before reading everything: a write error is fine.
    let _ = s.write_all(request).await;
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "no answer within 30 s");
    let head = String::from_utf8_lossy(&buf);
    head.strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let h = harness().await;
    h.add("acme", None, None).await;
    let link = h.link("acme").await;

    let res = h.http.get(&link.url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_secure(&res, "interstitial");

    let res = h.press_continue(&link).await;
    assert_eq!(res.status(), 303);
    assert_secure(&res, "continue redirect");
    // The redirect goes to Google's origin, which form-action must allow or the browser
    // refuses to follow the form's redirect.
    let to = url::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    let origin = to.origin().ascii_serialization();
    assert!(
        csp.contains(&format!("form-action 'self' {origin}")),
        "{csp} vs {origin}"
    );

    for (path, status) in [
        ("/oauth/callback", 400),
        ("/nowhere", 404),
        ("/c/not-a-real-code", 404),
        ("/healthz", 200),
    ] {
        let res = h.http.get(url(&h, path)).send().await.unwrap();
        assert_eq!(res.status(), status, "{path}");
        assert_secure(&res, path);
    }
}

/// A method and request target for the public routes: mostly the method each route takes
/// and characters a URL may hold (so the handlers are reached), sometimes anything printable.
fn target() -> impl Strategy<Value = (String, String)> {
    let route = prop_oneof![
        Just(("GET", "/oauth/callback".to_owned())),
        Just(("GET", "/c/".to_owned())),
        "[A-Za-z0-9_-]{0,40}".prop_map(|c| ("POST", format!("/c/{c}/continue"))),
        "[A-Za-z0-9_-]{0,40}".prop_map(|c| ("GET", format!("/c/{c}"))),
    ];
    let method = prop_oneof![
        8 => Just(None),
        1 => Just(Some("POST")),
        1 => Just(Some("GET")),
    ];
    let tail = prop_oneof![
        4 => Just(String::new()),
        3 => "[A-Za-z0-9._~%/-]{0,40}".prop_map(String::from),
        1 => "[!-~]{0,40}".prop_map(String::from),
    ];
    let key = prop_oneof![
        Just("state"),
        Just("code"),
        Just("error"),
        Just("error_description"),
        Just("scope"),
        Just("junk"),
        Just(""),
    ];
    let value = "([A-Za-z0-9._~+/=-]|%[0-9A-Fa-f]{2}|%[G-Zg-z]{2}|%|&|=){0,60}";
    let query = prop::collection::vec((key, value), 0..6).prop_map(|kv| {
        kv.into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    });
    let query = prop_oneof![
        4 => query,
        1 => "[!-~]{0,80}".prop_map(String::from),
    ];
    (route, method, tail, query)
        .prop_map(|((m, p), other, t, q)| (other.unwrap_or(m).to_owned(), format!("{p}{t}?{q}")))
}

#[test]
fn fuzzed_paths_and_queries_never_get_a_5xx_and_the_server_stays_up() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let h = rt.block_on(harness());
    rt.block_on(h.add("acme", None, None));
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(&target(), |(method, target)| {
        let req = format!(
            "{method} {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let status = rt.block_on(raw(&h, req.as_bytes()));
        prop_assert!(status != 0, "no answer to {method} {target}");
        prop_assert!(status < 500, "{status} for {method} {target}");
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // Still up, and still doing its job.
    rt.block_on(async {
        let res = h.http.get(url(&h, "/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let page = h.onboard("acme", "ann@acme.com").await;
        assert_eq!(page.status, 200, "{}", page.body);
    });
}

mod connections {
    use std::time::Duration;

    use axum::Router;
    use axum::routing::get;
    use mcp_onboard::http::conn::{ConnLimits, serve};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    async fn server(limits: ConnLimits) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/", get(|| async { "ok" }));
        tokio::spawn(serve(listener, app, std::future::pending(), limits));
        addr
    }

    async fn get_ok(addr: std::net::SocketAddr) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = String::new();
        tokio::time::timeout(Duration::from_secs(10), s.read_to_string(&mut out))
            .await
            .unwrap()
            .unwrap();
        out
    }

    #[tokio::test]
    async fn a_client_that_dribbles_its_headers_is_cut_off() {
        let addr = server(ConnLimits {
            header_read_timeout: Duration::from_millis(300),
            ..Default::default()
        })
        .await;
        assert!(get_ok(addr).await.ends_with("ok"));
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let mut out = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut out)).await;
        assert!(read.is_ok(), "the server kept a half-sent request open");
        let text = String::from_utf8_lossy(&out);
        assert!(out.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
    }

    #[tokio::test]
    async fn connections_beyond_the_cap_wait_for_a_free_slot() {
        let addr = server(ConnLimits {
            max_connections: 1,
            ..Default::default()
        })
        .await;
        let mut first = TcpStream::connect(addr).await.unwrap();
        first
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 256];
        let n = first.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        // The first connection stays open (keep-alive): a second one is not served...
        let second = tokio::spawn(get_ok(addr));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!second.is_finished(), "served beyond the cap");
        // ...until the first goes away.
        drop(first);
        let out = second.await.unwrap();
        assert!(
            out.starts_with("HTTP/1.1 200") && out.ends_with("ok"),
            "{out}"
        );
    }
}

mod per_client {
    use std::time::Duration;

    use axum::Router;
    use axum::routing::get;
    use mcp_onboard::http::conn::{ConnLimits, serve};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    async fn server(limits: ConnLimits) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/", get(|| async { "ok" }));
        tokio::spawn(serve(listener, app, std::future::pending(), limits));
        addr
    }

    /// Open a keep-alive connection and make one request on it; whether it was served.
    async fn open_and_ask(addr: std::net::SocketAddr) -> (TcpStream, bool) {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let mut buf = [0u8; 256];
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or(0);
        let served = String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200");
        (s, served)
    }

    #[tokio::test]
    async fn one_client_gets_at_most_its_share_of_connections() {
        let addr = server(ConnLimits {
            max_per_client: 4,
            ..Default::default()
        })
        .await;
        let mut held = Vec::new();
        for _ in 0..4 {
            let (s, served) = open_and_ask(addr).await;
            assert!(served);
            held.push(s);
        }
        let (_fifth, served) = open_and_ask(addr).await;
        assert!(!served, "the fifth connection from one client is closed");
        held.pop();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (_again, served) = open_and_ask(addr).await;
        assert!(served, "a slot freed is a slot again");
    }

    #[tokio::test]
    async fn a_trusted_proxy_is_exempt() {
        let addr = server(ConnLimits {
            max_per_client: 2,
            exempt: vec!["127.0.0.1".parse().unwrap()],
            ..Default::default()
        })
        .await;
        let mut held = Vec::new();
        for _ in 0..6 {
            let (s, served) = open_and_ask(addr).await;
            assert!(served, "the proxy carries many clients");
            held.push(s);
        }
    }
}
