//! The accept loop under pressure: a cap per network above the per-client cap, room made
//! for a new connection by closing another (of the network holding the most first; one
//! kept alive between requests however often it asks; never one whose first request is
//! being answered), and the `/metrics` listener served under the same limits.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use mcp_onboard::http::conn::{ConnLimits, ConnStats, serve};
use mcp_onboard::http::limits::MAX_HEADER_BYTES;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

async fn server(limits: ConnLimits) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/", get(|| async { "ok" }));
    tokio::spawn(serve(listener, app, std::future::pending(), limits));
    addr
}

async fn connect_from(from: Ipv4Addr, to: SocketAddr) -> TcpStream {
    let s = TcpSocket::new_v4().unwrap();
    s.bind(SocketAddr::new(IpAddr::V4(from), 0)).unwrap();
    s.connect(to).await.unwrap()
}

/// One keep-alive request on `s`; whether it was answered within `within`.
async fn ask(s: &mut TcpStream, path: &str, within: Duration) -> bool {
    if s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 1024];
    let n = tokio::time::timeout(within, s.read(&mut buf))
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200")
}

/// Whether the server closes `s` within `within` (sending nothing, or an error page).
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut out = Vec::new();
    tokio::time::timeout(within, s.read_to_end(&mut out))
        .await
        .is_ok()
}

#[tokio::test]
async fn a_network_gets_more_than_one_client_but_not_without_bound() {
    let addr = server(ConnLimits {
        max_per_client: 2,
        max_per_network: 3,
        ..Default::default()
    })
    .await;
    let wait = Duration::from_secs(5);
    let mut held = Vec::new();
    for from in [[127, 0, 7, 1], [127, 0, 7, 1], [127, 0, 7, 2]] {
        let mut s = connect_from(from.into(), addr).await;
        assert!(ask(&mut s, "/", wait).await, "{from:?}");
        held.push(s);
    }
    // The client's own cap, then the network's: another address of the same /24.
    for from in [[127, 0, 7, 1], [127, 0, 7, 3]] {
        let mut s = connect_from(from.into(), addr).await;
        assert!(!ask(&mut s, "/", wait).await, "{from:?} was served");
    }
    // Another /24 has its own allowance.
    let mut s = connect_from([127, 0, 8, 1].into(), addr).await;
    assert!(ask(&mut s, "/", wait).await);
    // A slot freed is a slot again.
    held.pop();
    let until = tokio::time::Instant::now() + wait;
    loop {
        let mut s = connect_from([127, 0, 7, 3].into(), addr).await;
        if ask(&mut s, "/", wait).await {
            break;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "the slot never came back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Wait until the listener's `stats` say `what` (polled, within ten seconds).
async fn until(what: &str, stats: &ConnStats, f: impl Fn(&ConnStats) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !f(stats) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never {what}: {} open, {} in flight",
            stats.open(),
            stats.in_flight()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A server whose `/slow` takes `slow` to answer.
async fn server_with_slow(limits: ConnLimits, slow: Duration) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/", get(|| async { "ok" })).route(
        "/slow",
        get(move || async move {
            tokio::time::sleep(slow).await;
            "slow"
        }),
    );
    tokio::spawn(serve(listener, app, std::future::pending(), limits));
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_full_the_connection_idle_longest_makes_room_never_one_being_answered() {
    let stats = Arc::new(ConnStats::default());
    let addr = server_with_slow(
        ConnLimits {
            max_connections: 3,
            stats: stats.clone(),
            ..Default::default()
        },
        Duration::from_secs(6),
    )
    .await;
    let wait = Duration::from_secs(10);
    let local = Ipv4Addr::LOCALHOST;
    // A request being answered (the oldest connection), then two that send nothing, each
    // accepted before the next is made.
    let mut busy = connect_from(local, addr).await;
    busy.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    until("busy", &stats, |s| s.in_flight() == 1).await;
    let mut idle_old = connect_from(local, addr).await;
    until("two open", &stats, |s| s.open() == 2).await;
    let mut idle_new = connect_from(local, addr).await;
    until("three open", &stats, |s| s.open() == 3).await;
    // Full: a new connection is served, in place of the one idle longest.
    let mut first = connect_from(local, addr).await;
    assert!(ask(&mut first, "/", wait).await, "no room was made");
    assert!(
        closed_within(&mut idle_old, wait).await,
        "the oldest idle one stays"
    );
    assert!(
        !closed_within(&mut idle_new, Duration::from_millis(200)).await,
        "the younger idle one was closed too"
    );
    // Then the other idle one goes for the next; then the first, idle since its answer.
    let mut second = connect_from(local, addr).await;
    assert!(ask(&mut second, "/", wait).await, "no room was made");
    assert!(closed_within(&mut idle_new, wait).await);
    let mut third = connect_from(local, addr).await;
    assert!(ask(&mut third, "/", wait).await, "no room was made");
    assert!(
        closed_within(&mut first, wait).await,
        "idle between requests"
    );
    // The request being answered all along was never cut.
    let mut out = String::new();
    tokio::time::timeout(wait, busy.read_to_string(&mut out))
        .await
        .ok();
    assert!(
        out.starts_with("HTTP/1.1 200") && out.contains("slow"),
        "{out:?}"
    );
    drop((second, third));
}

/// A kept-alive connection from `from` asking `/` every 100 ms until the server closes it;
/// then it says how many answers it had.
fn chatty(from: Ipv4Addr, to: SocketAddr) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let mut s = connect_from(from, to).await;
        let mut answers = 0;
        while ask(&mut s, "/", Duration::from_secs(5)).await {
            answers += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        answers
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_asking_again_and_again_still_makes_room_for_a_new_one() {
    let stats = Arc::new(ConnStats::default());
    let addr = server(ConnLimits {
        max_connections: 2,
        stats: stats.clone(),
        ..Default::default()
    })
    .await;
    let local = Ipv4Addr::LOCALHOST;
    let askers = [chatty(local, addr), chatty(local, addr)];
    until("both open", &stats, |s| s.open() == 2).await;
    // A newcomer is served within a few seconds, in place of one of them.
    let mut new = connect_from([127, 0, 0, 2].into(), addr).await;
    assert!(
        ask(&mut new, "/", Duration::from_secs(5)).await,
        "no room was made"
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let ended = loop {
        if let Some(i) = askers.iter().position(|a| a.is_finished()) {
            break i;
        }
        assert!(tokio::time::Instant::now() < deadline, "neither was closed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let [a, b] = askers;
    let (ended, other) = if ended == 0 { (a, b) } else { (b, a) };
    let answers = ended.await.unwrap();
    assert!(answers >= 2, "it had asked again and again: {answers}");
    assert!(!other.is_finished(), "both were closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_network_holding_the_most_connections_makes_room_first() {
    let stats = Arc::new(ConnStats::default());
    let addr = server(ConnLimits {
        max_connections: 3,
        stats: stats.clone(),
        ..Default::default()
    })
    .await;
    let wait = Duration::from_secs(5);
    // A lone client first (open longest), then two of another /24; each asks once.
    let mut held = Vec::new();
    for (i, from) in [[127, 0, 20, 1], [127, 0, 21, 1], [127, 0, 21, 2]]
        .into_iter()
        .enumerate()
    {
        let mut s = connect_from(from.into(), addr).await;
        assert!(ask(&mut s, "/", wait).await, "{from:?}");
        until("open", &stats, |s| s.open() == i + 1).await;
        held.push(s);
    }
    // Once all three may go, the newcomer's room comes from the crowded network.
    tokio::time::sleep(mcp_onboard::http::shed::MIN_AGE + Duration::from_millis(100)).await;
    let mut new = connect_from([127, 0, 22, 1].into(), addr).await;
    assert!(ask(&mut new, "/", wait).await, "no room was made");
    let mut lone = held.remove(0);
    let mut crowd_closed = 0;
    for mut s in held {
        crowd_closed += usize::from(closed_within(&mut s, Duration::from_millis(500)).await);
    }
    assert_eq!(crowd_closed, 1, "one of the crowded network made room");
    assert!(
        !closed_within(&mut lone, Duration::from_millis(200)).await,
        "the lone client was closed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_every_connection_is_being_answered_a_new_one_waits_for_a_slot() {
    let stats = Arc::new(ConnStats::default());
    let addr = server_with_slow(
        ConnLimits {
            max_connections: 2,
            stats: stats.clone(),
            ..Default::default()
        },
        Duration::from_secs(3),
    )
    .await;
    let mut busy = Vec::new();
    for _ in 0..2 {
        let mut s = connect_from(Ipv4Addr::LOCALHOST, addr).await;
        s.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        busy.push(s);
    }
    until("both busy", &stats, |s| s.in_flight() == 2).await;
    let mut new = connect_from(Ipv4Addr::LOCALHOST, addr).await;
    assert!(
        !ask(&mut new, "/", Duration::from_millis(1500)).await,
        "served beyond the cap"
    );
    for mut s in busy {
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        assert!(
            out.contains("slow"),
            "a request in progress was cut: {out:?}"
        );
    }
    let mut out = [0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(10), new.read(&mut out))
        .await
        .expect("served once a slot is free")
        .unwrap();
    assert!(String::from_utf8_lossy(&out[..n]).starts_with("HTTP/1.1 200"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_listener_has_the_listeners_limits() {
    let h = common::harness().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(mcp_onboard::http::metrics::serve(
        listener,
        h.engine.clone(),
    ));
    let wait = Duration::from_secs(5);
    // Each part from its own address: the cap is per client.
    // A client that dribbles its headers is cut off after the header timeout.
    let mut slow = connect_from([127, 0, 0, 3].into(), addr).await;
    slow.write_all(b"GET /metrics HTTP/1.1\r\n").await.unwrap();
    // Headers over the limit.
    let filler = "a".repeat(MAX_HEADER_BYTES + 1);
    let mut big = connect_from([127, 0, 0, 2].into(), addr).await;
    big.write_all(
        format!("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Filler: {filler}\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(wait, big.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 431"));
    // One scraper's connections are capped: with eight open, a ninth is closed.
    let mut held = Vec::new();
    while held.len() < 8 {
        let mut c = connect_from(Ipv4Addr::LOCALHOST, addr).await;
        assert!(ask(&mut c, "/metrics", wait).await, "{}", held.len());
        held.push(c);
    }
    let mut ninth = connect_from(Ipv4Addr::LOCALHOST, addr).await;
    assert!(
        closed_within(&mut ninth, wait).await,
        "a ninth connection stays open"
    );
    assert!(
        closed_within(&mut slow, Duration::from_secs(15)).await,
        "a half-sent request is kept open"
    );
}
