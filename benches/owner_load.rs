//! Load driver for the owner: writes through the control socket, durable callbacks, and
//! the consent pages against a bare axum handler, side by side in one run.
//!
//! - acknowledged `tenant add`s per second over the socket with 1, 8 and 64 clients, and
//!   how many flushes each acknowledged write cost (group commit);
//! - durable callbacks per second with 1 and 64 customers going through the whole flow
//!   against the Google stand-in (each acknowledged only after its flush);
//! - `GET /c/{code}` and `POST /c/{code}/continue` against a bare handler that returns a
//!   fixed 1.5 KB page or a fixed 303: same load tool, same connections, keep-alive, rate
//!   limit lifted; requests per second and latency percentiles. Each request is what a
//!   customer's browser sends after the first open: the consent cookie, and for Continue
//!   the form token.
//!
//! Everything runs in this one process (owner, stand-ins, load), so each pair shares the
//! machine alike. Run with `cargo bench --bench owner_load` (`-- --quick` for short runs).

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
use mcp_onboard::store::KeySource;
use secrecy::SecretString;
use url::Url;

const CLIENT_ID: &str = "bench-client.apps.sandbox";
const CLIENT_SECRET: &str = "bench-secret";

struct Setup {
    _dir: tempfile::TempDir,
    owner: Owner,
    data: std::path::PathBuf,
    base: String,
    addr: SocketAddr,
}

async fn start_owner() -> Setup {
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
    let env: HashMap<&str, String> = HashMap::from([
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

async fn flushes(c: &Client) -> (u64, u64) {
    match c.call(Command::Status).await.expect("status") {
        Reply::Status(s) => (s.store.flushes, s.store.durable_ops),
        _ => (0, 0),
    }
}

/// `clients` connections, each adding tenants one after another for `secs`.
async fn adds(s: &Setup, clients: usize, secs: f64, tag: &str) -> (f64, f64) {
    let probe = Client::connect(&s.data)
        .await
        .expect("connect")
        .expect("owner");
    let (f0, d0) = flushes(&probe).await;
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|i| {
            let data = s.data.clone();
            let tag = tag.to_owned();
            tokio::spawn(async move {
                let c = Client::connect(&data)
                    .await
                    .expect("connect")
                    .expect("owner");
                let mut n = 0u64;
                while Instant::now() < until {
                    c.call(Command::AddTenant(NewTenant {
                        slug: format!("{tag}-{i}-{n}"),
                        ..Default::default()
                    }))
                    .await
                    .expect("add");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("client");
    }
    let took = started.elapsed().as_secs_f64();
    let (f1, d1) = flushes(&probe).await;
    let per_ack = (f1 - f0) as f64 / (d1 - d0).max(1) as f64;
    (total as f64 / took, per_ack)
}

/// `customers` at once, each going through link → Continue → Allow → callback again and
/// again for `secs`; callbacks that ended "connected" per second.
async fn callbacks(s: &Setup, customers: usize, secs: f64) -> (f64, f64) {
    let probe = Client::connect(&s.data)
        .await
        .expect("connect")
        .expect("owner");
    let (f0, d0) = flushes(&probe).await;
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..customers)
        .map(|i| {
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
                c.call(Command::AddTenant(NewTenant {
                    slug: slug.clone(),
                    ..Default::default()
                }))
                .await
                .expect("add");
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
    let (f1, d1) = flushes(&probe).await;
    (
        total as f64 / took,
        (f1 - f0) as f64 / (d1 - d0).max(1) as f64,
    )
}

/// The value after `after` up to the next `"` in a page.
fn field<'a>(page: &'a str, after: &str) -> &'a str {
    page.split(after)
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no {after} in the page"))
}

/// The `name=value` of the consent cookie a response sets.
fn set_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("the link page sets the consent cookie")
        .to_owned()
}

async fn consent(http: &reqwest::Client, base: &str, link: &str, email: &str) {
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

// ---- the HTTP load tool: keep-alive connections, one request at a time each ----

struct Load {
    rps: f64,
    p50: Duration,
    p99: Duration,
    errors: u64,
}

/// Read one HTTP/1.1 response (headers, then a Content-Length body); its status.
fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<u16> {
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

/// `conns` threads, each with one keep-alive connection, sending `request` for `secs`.
fn load(addr: SocketAddr, request: &[u8], want: u16, conns: usize, secs: f64) -> Load {
    let request = Arc::new(request.to_vec());
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let threads: Vec<_> = (0..conns)
        .map(|_| {
            let request = request.clone();
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                let mut errors = 0u64;
                let mut buf = Vec::new();
                let mut s = TcpStream::connect(addr).expect("connect");
                s.set_nodelay(true).ok();
                while Instant::now() < until {
                    let t = Instant::now();
                    let ok = s
                        .write_all(&request)
                        .and_then(|()| read_response(&mut s, &mut buf));
                    match ok {
                        Ok(st) if st == want => lat.push(t.elapsed()),
                        Ok(_) => errors += 1,
                        Err(_) => {
                            errors += 1;
                            s = TcpStream::connect(addr).expect("reconnect");
                        }
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in threads {
        let (l, e) = t.join().expect("load thread");
        all.extend(l);
        errors += e;
    }
    let took = started.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Load {
        rps: all.len() as f64 / took,
        p50: pct(0.50),
        p99: pct(0.99),
        errors,
    }
}

/// The bare handler: a fixed page the size of ours, and a fixed redirect as long as ours.
async fn bare(page_len: usize, location: String) -> SocketAddr {
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

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let secs = if quick { 1.0 } else { 5.0 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let s = start_owner().await;
        // `OWNER_LOAD_ONLY=consent` skips to the consent pages (for profiling them).
        let only_consent = std::env::var("OWNER_LOAD_ONLY").as_deref() == Ok("consent");
        if !only_consent {
            println!("## writes over the control socket (tenant add, durable)");
            println!("{:>8}  {:>12}  {:>16}", "clients", "adds/s", "flushes/ack");
            for clients in [1usize, 8, 64] {
                let (rate, per) = adds(&s, clients, secs, &format!("a{clients}")).await;
                println!("{clients:>8}  {rate:>12.0}  {per:>16.3}");
            }
            println!();
            println!("## durable callbacks (whole flow against the Google stand-in)");
            println!(
                "{:>9}  {:>12}  {:>16}",
                "customers", "callbacks/s", "flushes/ack"
            );
            for customers in [1usize, 64] {
                let (rate, per) = callbacks(&s, customers, secs).await;
                println!("{customers:>9}  {rate:>12.1}  {per:>16.3}");
            }
            println!();
        }

        // Consent start: one link, opened and continued again and again.
        let probe = Client::connect(&s.data)
            .await
            .expect("connect")
            .expect("owner");
        probe
            .call(Command::AddTenant(NewTenant {
                slug: "load".into(),
                display_name: Some("Load Test Ltd".into()),
                ..Default::default()
            }))
            .await
            .expect("add");
        let Reply::Link(link) = probe
            .call(Command::IssueLink {
                integration: None,
                slug: "load".into(),
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
        // A customer's browser: the first open sets the cookie and shows the form token;
        // every request after carries the cookie, and Continue posts the token with it.
        let first = reqwest::get(&link.url).await.expect("open the link");
        let cookie = set_cookie(&first);
        let page = first.text().await.expect("page");
        let token = field(&page, r#"name="token" value=""#).to_owned();
        let form = format!("token={token}");
        let get_req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n\r\n");
        let post_req = format!(
            "POST {path}/continue HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n\
             Sec-Fetch-Site: same-origin\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n\r\n{form}",
            form.len()
        );
        let mut buf = Vec::new();
        let mut one = TcpStream::connect(s.addr).expect("connect");
        one.write_all(get_req.as_bytes()).expect("write");
        read_response(&mut one, &mut buf).expect("page");
        let page_len = buf.len() - buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0) - 4;
        one.write_all(post_req.as_bytes()).expect("write");
        read_response(&mut one, &mut buf).expect("continue");
        let head = String::from_utf8_lossy(&buf);
        let location = head
            .lines()
            .find_map(|l| l.strip_prefix("location: "))
            .unwrap_or("https://accounts.google.com/")
            .trim()
            .to_owned();
        let bare_addr = bare(page_len, location.clone()).await;
        let bare_get = get_req.replace(&host, &bare_addr.to_string());
        let bare_post = post_req.replace(&host, &bare_addr.to_string());
        println!(
            "## consent start: ours vs a bare handler (page {page_len} bytes, redirect {} bytes)",
            location.len()
        );
        println!(
            "{:>22}  {:>5}  {:>10}  {:>9}  {:>9}  {:>6}",
            "", "conns", "req/s", "p50", "p99", "errors"
        );
        for conns in [8usize, 64] {
            for (name, addr, req, want) in [
                ("bare GET /c/{code}", bare_addr, bare_get.as_bytes(), 200u16),
                ("ours GET /c/{code}", s.addr, get_req.as_bytes(), 200),
                ("bare POST continue", bare_addr, bare_post.as_bytes(), 303),
                ("ours POST continue", s.addr, post_req.as_bytes(), 303),
            ] {
                if let Ok(only) = std::env::var("OWNER_LOAD_SCENARIO")
                    && !name.starts_with(&only)
                {
                    continue;
                }
                let r = tokio::task::block_in_place(|| load(addr, req, want, conns, secs));
                println!(
                    "{name:>22}  {conns:>5}  {:>10.0}  {:>9.2?}  {:>9.2?}  {:>6}",
                    r.rps, r.p50, r.p99, r.errors
                );
            }
        }
        s.owner
            .shutdown(Duration::from_secs(30))
            .await
            .expect("shutdown");
    });
}
