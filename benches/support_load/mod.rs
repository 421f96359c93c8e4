//! What the load drivers share: an owner with the Google stand-in, a customer's whole
//! consent flow, durable callbacks from many customers at once, a customer's browser as raw
//! requests, an HTTP/1.1 response reader and the bare axum handler our pages are measured
//! against.
#![allow(dead_code)]

pub mod paced;
pub mod waits;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use base64::Engine as _;
use mcp_onboard::config::Config;
use mcp_onboard::control::Client;
use mcp_onboard::engine::api::{Command, Reply};
use mcp_onboard::engine::lifecycle::NewTenant;
use mcp_onboard::owner::{Owner, OwnerOptions};
use mcp_onboard::sandbox::google::{
    AUTH_PATH, GoogleSandbox, REVOKE_PATH, SandboxGoogleConfig, TOKEN_PATH,
};
use mcp_onboard::store::{KeySource, StoreStats};
use secrecy::SecretString;
use url::Url;

const CLIENT_ID: &str = "bench-client.apps.sandbox";
const CLIENT_SECRET: &str = "bench-secret";

pub struct Setup {
    pub _dir: tempfile::TempDir,
    pub owner: Owner,
    pub data: std::path::PathBuf,
    pub base: String,
    pub addr: SocketAddr,
}

/// An owner (rate limit lifted) and its Google stand-in; `extra` adds to its environment
/// (e.g. the store backend).
/// A driver's step length and offered rate of Continues: `{PREFIX}=full` runs each step for
/// 30 seconds (`-- --quick`: 1 second; else 4), `{PREFIX}_RATE` sets the rate (default
/// 1000 per second).
pub fn settings(prefix: &str) -> (f64, f64) {
    let full = std::env::var(prefix).as_deref() == Ok("full");
    let quick = std::env::args().any(|a| a == "--quick");
    let secs = match (full, quick) {
        (true, _) => 30.0,
        (false, true) => 1.0,
        (false, false) => 4.0,
    };
    let rate = std::env::var(format!("{prefix}_RATE"))
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1000.0);
    (secs, rate)
}

pub async fn start_owner(extra: &[(&'static str, String)]) -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let base = format!("http://{addr}");
    let google = GoogleSandbox::new(SandboxGoogleConfig {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        redirect_uris: vec![format!("{base}/oauth/callback")],
        default_email: "x@example.com".into(),
    });
    let gbase = google.spawn().await.expect("google stand-in");
    let g = |p: &str| format!("{}{p}", gbase.as_str().trim_end_matches('/'));
    let mut env: HashMap<&str, String> = HashMap::from([
        ("MCP_ONBOARD_BIND", addr.to_string()),
        ("MCP_ONBOARD_PUBLIC_URL", base.clone()),
        ("MCP_ONBOARD_RATE_LIMIT_PER_MINUTE", "100000000".into()),
        ("MCP_ONBOARD_RATE_LIMIT_BURST", "100000000".into()),
        ("MCP_ONBOARD_MAX_CONNECTIONS_PER_CLIENT", "100000".into()),
        ("GOOGLE_CLIENT_ID", CLIENT_ID.into()),
        ("GOOGLE_CLIENT_SECRET", CLIENT_SECRET.into()),
        ("GOOGLE_AUTH_URL", g(AUTH_PATH)),
        ("GOOGLE_TOKEN_URL", g(TOKEN_PATH)),
        ("GOOGLE_REVOKE_URL", g(REVOKE_PATH)),
    ]);
    env.extend(extra.iter().cloned());
    let config = Config::load(None, false, &|k| env.get(k).cloned()).expect("config");
    let key = KeySource::Env(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([5u8; 32]),
    ));
    let owner = Owner::start(OwnerOptions {
        data_dir: data.clone(),
        key,
        config: Arc::new(config),
        demo: false,
        listener: Some(listener),
    })
    .await
    .expect("owner");
    Setup {
        _dir: dir,
        owner,
        data,
        base,
        addr,
    }
}

pub async fn connect(s: &Setup) -> Client {
    Client::connect(&s.data)
        .await
        .expect("connect")
        .expect("owner")
}

/// The store's counters, as `status` shows them.
pub async fn stats(c: &Client) -> StoreStats {
    match c.call(Command::Status).await.expect("status") {
        Reply::Status(s) => s.store,
        _ => StoreStats::default(),
    }
}

/// What the counters grew by from `a` to `b`.
pub fn grown(a: StoreStats, b: StoreStats) -> StoreStats {
    StoreStats {
        batches: b.batches - a.batches,
        ops: b.ops - a.ops,
        durable_ops: b.durable_ops - a.durable_ops,
        flushes: b.flushes - a.flushes,
        flush_micros: b.flush_micros - a.flush_micros,
        busy_micros: b.busy_micros - a.busy_micros,
        round_trips: b.round_trips - a.round_trips,
    }
}

/// A run of durable callbacks: how many per second, over how long, and what the store
/// did meanwhile.
pub struct Callbacks {
    pub rate: f64,
    pub secs: f64,
    pub store: StoreStats,
}

impl Callbacks {
    /// Flushes (durable commits) per durable write acknowledged.
    pub fn flushes_per_ack(&self) -> f64 {
        self.store.flushes as f64 / self.store.durable_ops.max(1) as f64
    }
}

/// `customers` at once, each going through link → Continue → Allow → callback again and
/// again for `secs`; callbacks that ended "connected" per second.
pub async fn callbacks(s: &Setup, customers: usize, secs: f64) -> Callbacks {
    let mut split = callbacks_on(&[s], customers, secs).await;
    Callbacks {
        rate: split.rate,
        secs: split.secs,
        store: split.stores.pop().unwrap_or_default(),
    }
}

/// [`callbacks`] with the customers split evenly between `nodes`: customer i's whole flow
/// (its tenant, its links, its pages, its callbacks) on node i mod n; what each node's
/// store did meanwhile, in the order of `nodes`.
pub async fn callbacks_on(nodes: &[&Setup], customers: usize, secs: f64) -> Split {
    // Every customer's tenant first, so only the flows are timed.
    add_customers(nodes, customers).await;
    run_customers(nodes, customers, secs).await
}

/// The tenants of [`callbacks_on`]'s customers, each on its customer's node.
pub async fn add_customers(nodes: &[&Setup], customers: usize) {
    for i in 0..customers {
        connect(nodes[i % nodes.len()])
            .await
            .call(Command::AddTenant(NewTenant {
                slug: format!("cb{customers}-{i}"),
                ..Default::default()
            }))
            .await
            .expect("add");
    }
}

/// [`callbacks_on`] once [`add_customers`] has added the tenants.
pub async fn run_customers(nodes: &[&Setup], customers: usize, secs: f64) -> Split {
    let mut probes = Vec::new();
    for s in nodes {
        probes.push(connect(s).await);
    }
    let mut before = Vec::new();
    for p in &probes {
        before.push(stats(p).await);
    }
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..customers)
        .map(|i| {
            let s = nodes[i % nodes.len()];
            let data = s.data.clone();
            let base = s.base.clone();
            tokio::spawn(async move {
                let c = Client::connect(&data)
                    .await
                    .expect("connect")
                    .expect("owner");
                let http = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .expect("http");
                let slug = format!("cb{customers}-{i}");
                let mut n = 0u64;
                while Instant::now() < until {
                    let Reply::Link(l) = c
                        .call(Command::IssueLink {
                            integration: None,
                            slug: slug.clone(),
                            ttl_secs: 3600,
                            replace: false,
                        })
                        .await
                        .expect("link")
                    else {
                        panic!("a link")
                    };
                    consent(&http, &base, &l.url, &format!("it@{slug}.example")).await;
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("customer");
    }
    let took = started.elapsed().as_secs_f64();
    let mut stores = Vec::new();
    for (p, b) in probes.iter().zip(before) {
        stores.push(grown(b, stats(p).await));
    }
    Split {
        rate: total as f64 / took,
        secs: took,
        stores,
    }
}

/// A run of [`callbacks_on`]: callbacks per second over all nodes, over how long, and what
/// each node's store did meanwhile.
pub struct Split {
    pub rate: f64,
    pub secs: f64,
    pub stores: Vec<StoreStats>,
}

/// The value after `after` up to the next `"` in a page.
pub fn field<'a>(page: &'a str, after: &str) -> &'a str {
    page.split(after)
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no {after} in the page"))
}

/// The `name=value` of the consent cookie a response sets.
pub fn set_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("the link page sets the consent cookie")
        .to_owned()
}

/// One customer's whole consent through `link`, ending "connected".
pub async fn consent(http: &reqwest::Client, base: &str, link: &str, email: &str) {
    let res = http.get(link).send().await.expect("page");
    let cookie = set_cookie(&res);
    let page = res.text().await.expect("page");
    let action = field(&page, r#"action=""#).to_owned();
    let token = field(&page, r#"name="token" value=""#).to_owned();
    let res = http
        .post(format!("{base}{action}"))
        .header(header::COOKIE, &cookie)
        .form(&[("token", token)])
        .send()
        .await
        .expect("continue");
    assert_eq!(res.status(), 303, "continue");
    let auth = Url::parse(res.headers()["location"].to_str().expect("loc")).expect("url");
    let form = mcp_onboard::sandbox::google::allow_form(&auth, email);
    let res = http
        .post(auth.join("approve").expect("approve"))
        .form(&form)
        .send()
        .await
        .expect("approve");
    let cb = res.headers()["location"].to_str().expect("cb").to_owned();
    let res = http
        .get(cb)
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("callback");
    assert_eq!(res.status(), 200, "connected");
}

/// A customer's browser on one link, as raw requests: after the first open, every request
/// carries the consent cookie, and Continue posts the form token with it.
pub struct Browser {
    pub get: String,
    pub post: String,
    /// The size of the link's page body, and where Continue sends the customer.
    pub page_len: usize,
    pub location: String,
}

impl Browser {
    /// The same requests sent to `addr` instead.
    pub fn to(&self, from: SocketAddr, addr: SocketAddr) -> (String, String) {
        let (from, to) = (from.to_string(), addr.to_string());
        (self.get.replace(&from, &to), self.post.replace(&from, &to))
    }
}

/// A new tenant `slug` with a link, opened once as a browser does; its requests.
pub async fn browser(s: &Setup, probe: &Client, slug: &str) -> Browser {
    probe
        .call(Command::AddTenant(NewTenant {
            slug: slug.into(),
            display_name: Some("Load Test Ltd".into()),
            ..Default::default()
        }))
        .await
        .expect("add");
    let Reply::Link(link) = probe
        .call(Command::IssueLink {
            integration: None,
            slug: slug.into(),
            ttl_secs: 30 * 24 * 3600,
            replace: false,
        })
        .await
        .expect("link")
    else {
        panic!("a link")
    };
    let path = Url::parse(&link.url).expect("url").path().to_owned();
    let host = s.addr.to_string();
    let first = reqwest::get(&link.url).await.expect("open the link");
    let cookie = set_cookie(&first);
    let page = first.text().await.expect("page");
    let token = field(&page, r#"name="token" value=""#).to_owned();
    let form = format!("token={token}");
    let get = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n\r\n");
    let post = format!(
        "POST {path}/continue HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n\
         Sec-Fetch-Site: same-origin\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n{form}",
        form.len()
    );
    let (get2, post2) = (get.clone(), post.clone());
    let addr = s.addr;
    tokio::task::spawn_blocking(move || {
        let mut buf = Vec::new();
        let mut one = TcpStream::connect(addr).expect("connect");
        one.write_all(get2.as_bytes()).expect("write");
        read_response(&mut one, &mut buf).expect("page");
        let page_len = buf.len() - buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0) - 4;
        one.write_all(post2.as_bytes()).expect("write");
        read_response(&mut one, &mut buf).expect("continue");
        let head = String::from_utf8_lossy(&buf);
        let location = head
            .lines()
            .find_map(|l| l.strip_prefix("location: "))
            .unwrap_or("https://accounts.google.com/")
            .trim()
            .to_owned();
        Browser {
            get,
            post,
            page_len,
            location,
        }
    })
    .await
    .expect("first open")
}

/// Read one HTTP/1.1 response (headers, then a Content-Length body); its status.
pub fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<u16> {
    buf.clear();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status: u16 = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(status)
}

/// The p-th (0..1) of sorted latencies.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

/// The bare handler: a fixed page the size of ours, and a fixed redirect as long as ours.
pub async fn bare(page_len: usize, location: String) -> SocketAddr {
    let page: String = "x".repeat(page_len);
    let app =
        Router::new()
            .route(
                "/c/{code}",
                get(move || {
                    let page = page.clone();
                    async move { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page) }
                }),
            )
            .route(
                "/c/{code}/continue",
                post(move || {
                    let location = location.clone();
                    async move {
                        (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
                    }
                }),
            );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    addr
}
