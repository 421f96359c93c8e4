//! A real `serve` under a descriptor limit of a box without `LimitNOFILE` (1024), its
//! listener flooded by idle and slow connections from many loopback addresses in different
//! /24s (two addresses per /24, two connections per address, as a botnet would: one slow,
//! the other silent or idle after one request), each reconnecting as soon as it is cut.
//! Meanwhile a customer's whole consent must complete (the code exchange at Google and the
//! provisioning at Blaxel included), `/healthz` must answer, a CLI command over the control
//! socket must be answered by the owner, and the owner must never hold the descriptors
//! kept for calls out.
//!
//! The second flood is kept-alive connections from a handful of addresses (under both the
//! per-client and the per-network cap), each asking something cheap twice a second
//! (`/healthz`, or a page that does not exist: 404, then 429 once rate limited), more of
//! them than the listener has slots. A new customer's connection must still be served
//! within a few seconds, and the whole consent complete.
//!
//! CI runs a reduced size. The full size:
//! `MCP_ONBOARD_FLOOD=full cargo test --release --test listener_flood -- --nocapture`.

mod support_flood;
mod support_proc;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mcp_onboard::http::budget::{RESERVED_OUTBOUND, listener_cap};
use mcp_onboard::http::conn::ConnLimits;
use support_flood::*;
use support_proc::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

/// One flood at a time: each needs the machine to itself.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn full() -> bool {
    std::env::var("MCP_ONBOARD_FLOOD").as_deref() == Ok("full")
}

struct Size {
    /// `serve`'s descriptor limit, soft and hard.
    nofile: u64,
    /// Flooding connections, more than the limit.
    connections: usize,
}

fn size() -> Size {
    if full() {
        Size {
            nofile: 4096,
            connections: 4400,
        }
    } else {
        Size {
            nofile: 1024,
            connections: 1100,
        }
    }
}

/// The `n`th flooding address: two per /24, every /24 another, all loopback.
fn flood_addr(n: usize) -> Ipv4Addr {
    let net = n / 2;
    let [hi, lo] = u16::try_from(net).expect("few enough nets").to_be_bytes();
    Ipv4Addr::new(127, 16 + hi, lo, 1 + u8::from(n % 2 == 1))
}

/// Counts of what the flood saw.
#[derive(Default)]
struct Seen {
    /// Flooding connections made at least once.
    started: AtomicU64,
    /// Connections the server closed.
    cut: AtomicU64,
}

/// What a flooding connection does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Connect and send nothing.
    Idle,
    /// A request line, then a header line every half second.
    Slow,
    /// One whole request, then nothing (kept alive).
    Served,
}

/// One flooding connection, made first after `start` and again whenever the server closes
/// it.
async fn flood(
    start: Duration,
    from: Ipv4Addr,
    to: SocketAddr,
    kind: Kind,
    seen: Arc<Seen>,
    mut stop: watch::Receiver<bool>,
) {
    tokio::time::sleep(start).await;
    let mut first = true;
    while !*stop.borrow() {
        let Ok(sock) = tokio::net::TcpSocket::new_v4() else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        if sock.bind(SocketAddr::new(from.into(), 0)).is_err() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        let connected = tokio::select! {
            r = tokio::time::timeout(Duration::from_secs(10), sock.connect(to)) => r,
            _ = stop.changed() => return,
        };
        let Ok(Ok(mut s)) = connected else {
            continue;
        };
        if first {
            first = false;
            seen.started.fetch_add(1, Ordering::Relaxed);
        }
        let mut buf = [0u8; 512];
        let opening: &[u8] = match kind {
            Kind::Idle => b"",
            Kind::Slow => b"GET /healthz HTTP/1.1\r\n",
            Kind::Served => b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        };
        if s.write_all(opening).await.is_err() {
            seen.cut.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let slow = kind == Kind::Slow;
        loop {
            tokio::select! {
                r = s.read(&mut buf) => {
                    if matches!(r, Ok(0) | Err(_)) {
                        seen.cut.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
                () = tokio::time::sleep(Duration::from_millis(500)), if slow => {
                    if s.write_all(b"X-Slow: 1\r\n").await.is_err() {
                        seen.cut.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
                _ = stop.changed() => return,
            }
        }
    }
}

/// `GET /healthz` over a fresh connection; how long the answer took (`None`: no 200 in
/// `limit`).
fn healthz(addr: SocketAddr, limit: Duration) -> Option<Duration> {
    use std::io::{Read, Write};
    let t = Instant::now();
    let mut s = std::net::TcpStream::connect_timeout(&addr, limit).ok()?;
    s.set_read_timeout(Some(limit)).ok()?;
    write!(s, "GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    ((out.starts_with("HTTP/1.1 200") || out.starts_with("HTTP/1.0 200")) && t.elapsed() < limit)
        .then(|| t.elapsed())
}

/// How many descriptors `pid` has open.
fn fds(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count() as u64)
}

/// The most descriptors `pid` had open at once, sampled until `stop`.
fn fd_monitor(pid: u32, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut most = 0;
        while !stop.load(Ordering::Relaxed) {
            most = most.max(fds(pid));
            std::thread::sleep(Duration::from_millis(20));
        }
        most
    })
}

/// This process needs a descriptor per flooding connection, and some.
fn raise_own_limit(need: u64) {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let lim = getrlimit(Resource::Nofile);
    let hard = lim.maximum.unwrap_or(u64::MAX);
    assert!(
        hard >= need,
        "the flood needs {need} descriptors in the test process; its hard limit is {hard}"
    );
    setrlimit(
        Resource::Nofile,
        rustix::process::Rlimit {
            current: Some(need.max(lim.current.unwrap_or(0))),
            maximum: lim.maximum,
        },
    )
    .expect("raising the test's own descriptor limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_idle_and_slow_connections_from_many_networks_does_not_starve_a_customer() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let size = size();
    raise_own_limit(size.connections as u64 + 512);
    let (mut w, google, _blaxel) = world_with_standins(Default::default()).await;
    // Trace logging of every flooding connection would only slow the owner down.
    w.env.retain(|(k, _)| k != "MCP_ONBOARD_LOG");
    w.env.push(("MCP_ONBOARD_LOG".into(), "info".into()));
    w.serve_nofile = Some(size.nofile);
    let serve = w.serve();
    w.ok(&["tenant", "add", "acme"]);
    let link = w.json(&["link", "acme"]);
    let url = link["url"].as_str().expect("link url").to_owned();
    let to: SocketAddr = ([127, 0, 0, 1], w.port).into();

    let started = Instant::now();
    let done = Arc::new(AtomicBool::new(false));
    let monitor = fd_monitor(serve.pid(), done.clone());
    let seen = Arc::new(Seen::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut flooders = Vec::new();
    // Spread over the header timeout, as a steady flood is: the owner's own timeouts then
    // never free many descriptors at once.
    let ramp = Duration::from_secs(10);
    for n in 0..size.connections / 2 {
        let first = if n % 2 == 0 { Kind::Idle } else { Kind::Served };
        for kind in [first, Kind::Slow] {
            let i = u32::try_from(flooders.len()).expect("few enough connections");
            flooders.push(tokio::spawn(flood(
                ramp * i / u32::try_from(size.connections).expect("few enough connections"),
                flood_addr(n),
                to,
                kind,
                seen.clone(),
                stop_rx.clone(),
            )));
        }
    }
    // The flood is in place once every connection was made (the kernel queues what the
    // owner does not accept yet) and the owner holds a descriptor for each slot of its
    // listener (it is full, or its descriptors taken).
    let slots = listener_cap(ConnLimits::default().max_connections, size.nofile) as u64;
    let until = Instant::now() + Duration::from_secs(60);
    while seen.started.load(Ordering::Relaxed) < size.connections as u64 || fds(serve.pid()) < slots
    {
        assert!(
            Instant::now() < until,
            "the flood never got in place: {} connections, {} descriptors",
            seen.started.load(Ordering::Relaxed),
            fds(serve.pid())
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let flooded = started.elapsed();

    // The customer's whole consent, while the flood goes on.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client");
    let (status, body) = consent_with(&http, &url, "it@acme.example", false).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("is now connected"), "{body}");
    assert!(google.exchanges() >= 1, "the code was exchanged at Google");

    // Health checks and the control socket keep answering.
    let mut slowest = Duration::ZERO;
    for _ in 0..3 {
        let took = tokio::task::spawn_blocking(move || healthz(to, Duration::from_secs(20)))
            .await
            .expect("health check thread");
        let took = took.expect("/healthz answered within 20 s during the flood");
        slowest = slowest.max(took);
    }
    let status = tokio::task::block_in_place(|| w.json(&["status"]));
    assert_eq!(
        status["owner_pid"].as_u64(),
        Some(u64::from(serve.pid())),
        "the owner answered over its control socket: {status:#}"
    );
    // And the tenant was provisioned at Blaxel (the CLI, over the socket, says so).
    let t = tokio::task::block_in_place(|| wait_status(&w, "acme", "deployed"));
    assert_eq!(t["google_email"], "it@acme.example");
    let cut = seen.cut.load(Ordering::Relaxed);
    assert!(cut > 0, "the owner never cut a flooding connection");

    // The listener never took the descriptors kept for calls out (Google, Blaxel).
    done.store(true, Ordering::Relaxed);
    let most = monitor.join().expect("descriptor monitor");
    assert!(
        size.nofile - most >= RESERVED_OUTBOUND,
        "the owner had {most} of {} descriptors open: fewer than {RESERVED_OUTBOUND} left for calls out",
        size.nofile
    );
    // Accept errors, if any, are logged once a minute, not at every try.
    let logs = all_bytes(&w.data_dir().join("logs"));
    let accept_failed = String::from_utf8_lossy(&logs)
        .matches("accept failed")
        .count();
    assert!(accept_failed <= 1, "{accept_failed} accept failures logged");

    let _ = stop_tx.send(true);
    for f in flooders {
        let _ = f.await;
    }
    eprintln!(
        "flood: {} connections from {} addresses against a limit of {} descriptors, in place after {flooded:?}; consent, health checks (slowest {slowest:?}) and CLI done {:?} after the start; the owner cut {cut} and held at most {most} descriptors",
        size.connections,
        size.connections / 2,
        size.nofile,
        started.elapsed(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kept_alive_clients_asking_cheap_questions_from_a_few_addresses_do_not_starve_a_customer() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let nofile: u64 = if full() { 4096 } else { 1024 };
    let slots = listener_cap(ConnLimits::default().max_connections, nofile);
    // More than the listener has slots, a few percent.
    let addresses = (slots + slots / 20).div_ceil(PER_ADDRESS);
    let connections = addresses * PER_ADDRESS;
    raise_own_limit(connections as u64 + 512);
    let (mut w, google, _blaxel) = world_with_standins(Default::default()).await;
    w.env.retain(|(k, _)| k != "MCP_ONBOARD_LOG");
    w.env.push(("MCP_ONBOARD_LOG".into(), "info".into()));
    w.serve_nofile = Some(nofile);
    let _serve = w.serve();
    w.ok(&["tenant", "add", "acme"]);
    let link = w.json(&["link", "acme"]);
    let url = link["url"].as_str().expect("link url").to_owned();
    let to: SocketAddr = ([127, 0, 0, 1], w.port).into();

    let started = Instant::now();
    let asked = Arc::new(Asked::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut askers = Vec::new();
    for i in 0..connections {
        // Half ask for /healthz (never rate limited), half for a page that is not there.
        let path = if i % 2 == 0 { "/healthz" } else { "/nope" };
        let start = Duration::from_millis(u64::try_from(i % 500).expect("small"));
        askers.push(tokio::spawn(keep_asking(
            start,
            asking_addr(i % addresses),
            to,
            path,
            asked.clone(),
            stop_rx.clone(),
        )));
    }
    // In place once the listener is full of them.
    let until = Instant::now() + Duration::from_secs(60);
    while asked.served.load(Ordering::Relaxed) < slots as u64 - 16 {
        assert!(
            Instant::now() < until,
            "the flood never got in place: {} of {slots} slots served",
            asked.served.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Some rounds of questions at the full listener.
    let answers = asked.answers.load(Ordering::Relaxed);
    let until = Instant::now() + Duration::from_secs(30);
    while asked.answers.load(Ordering::Relaxed) < answers + 2 * slots as u64 {
        assert!(Instant::now() < until, "the askers stopped being answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let flooded = started.elapsed();

    // A new customer's connection is served at once, again and again.
    let mut slowest = Duration::ZERO;
    for _ in 0..4 {
        let took = tokio::task::spawn_blocking(move || healthz(to, Duration::from_secs(5)))
            .await
            .expect("health check thread")
            .expect("a new connection's /healthz answered within 5 s");
        slowest = slowest.max(took);
    }
    // And the customer's whole consent completes.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client");
    let (status, body) = consent_with(&http, &url, "it@acme.example", false).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("is now connected"), "{body}");
    assert!(google.exchanges() >= 1, "the code was exchanged at Google");
    let t = tokio::task::block_in_place(|| wait_status(&w, "acme", "deployed"));
    assert_eq!(t["google_email"], "it@acme.example");
    let cut = asked.cut.load(Ordering::Relaxed);
    assert!(cut > 0, "no kept-alive connection was closed to make room");

    let _ = stop_tx.send(true);
    for a in askers {
        let _ = a.await;
    }
    eprintln!(
        "kept-alive flood: {connections} connections from {addresses} addresses in {} /24s against {slots} slots, in place after {flooded:?}; new connections answered (slowest {slowest:?}) and the consent done {:?} after the start; {} answers to the flood, {cut} of its connections closed",
        addresses.div_ceil(ADDRESSES_PER_NET),
        started.elapsed(),
        asked.answers.load(Ordering::Relaxed),
    );
}
