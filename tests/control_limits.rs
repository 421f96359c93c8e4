//! The control socket under a client that sends and never reads: the owner keeps what it
//! holds for it under the bound, drops it once it has stalled for the grace period, and
//! answers other clients all along; connections and subscriptions are capped per uid.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::harness;
use mcp_onboard::control::protocol::{PROTOCOL, ServerFrame};
use mcp_onboard::control::{self, Client, ControlLimits, ControlStats};
use mcp_onboard::engine::api::{Command, Reply};
use mcp_onboard::engine::lifecycle::NewTenant;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

const OUTBOX: usize = 512 * 1024;
/// What every client together may have queued.
const TOTAL: usize = 1024 * 1024;

fn limits() -> ControlLimits {
    ControlLimits {
        outbox_bytes: OUTBOX,
        outbox_bytes_total: TOTAL,
        calls_in_flight: 4,
        calls_in_flight_total: 64,
        stalled_grace: Duration::from_millis(600),
        hello_within: Duration::from_millis(300),
        connections: 8,
        connections_per_uid: 6,
        subscriptions_per_uid: 3,
    }
}

async fn hello(stream: &mut UnixStream) {
    let hello = format!("{{\"type\":\"hello\",\"protocol\":{PROTOCOL},\"client\":\"raw\"}}\n");
    stream.write_all(hello.as_bytes()).await.unwrap();
}

/// The next frame a raw client reads.
async fn frame(r: &mut BufReader<UnixStream>) -> ServerFrame {
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(10), r.read_line(&mut line))
        .await
        .expect("an answer in time")
        .unwrap();
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_dropped_within_the_bound_while_others_are_served() {
    let h = harness().await;
    let tenants: Vec<NewTenant> = (0..600)
        .map(|i| NewTenant {
            slug: format!("tenant-{i:04}"),
            display_name: Some(format!("Tenant number {i} with a longish name")),
            ..Default::default()
        })
        .collect();
    for chunk in tenants.chunks(200) {
        h.engine
            .run(
                mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
                Command::ImportTenants {
                    tenants: chunk.to_vec(),
                },
            )
            .await
            .unwrap();
    }
    let dir = h.dir.path().join("data");
    let stats = Arc::new(ControlStats::default());
    let listener = control::bind(&dir).unwrap();
    tokio::spawn(control::serve_with(
        listener,
        h.engine.clone(),
        limits(),
        stats.clone(),
    ));

    // 400 list_tenants calls, never a byte read.
    let mut flood = UnixStream::connect(control::socket_path(&dir))
        .await
        .unwrap();
    hello(&mut flood).await;
    let (mut flood_read, mut flood_write) = flood.into_split();
    let sender = tokio::spawn(async move {
        for id in 1..=400u64 {
            let call = format!(
                "{{\"type\":\"call\",\"id\":{id},\"command\":{{\"command\":\"list_tenants\"}}}}\n"
            );
            if flood_write.write_all(call.as_bytes()).await.is_err() {
                break;
            }
        }
        flood_write
    });

    // Meanwhile another client is answered, again and again.
    let other = Client::connect(&dir).await.unwrap().unwrap();
    let start = Instant::now();
    let mut answered = 0;
    while stats.dropped_clients() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the client that never reads was not dropped ({} bytes held for it)",
            stats.buffered_bytes()
        );
        let reply = tokio::time::timeout(Duration::from_secs(5), other.call(Command::Status))
            .await
            .expect("another client is answered while one floods")
            .unwrap();
        assert!(matches!(reply, Reply::Status(_)));
        answered += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(answered > 0);
    // One list reply is well under the budget, so the queue never held more than it.
    let peak = stats.peak_buffered_bytes();
    assert!(peak <= OUTBOX, "{peak} bytes held, the bound is {OUTBOX}");
    assert!(peak > OUTBOX / 4, "the queue did fill ({peak} bytes)");
    // The dropped client's connection is closed: what was written reads to its end.
    let mut sink = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), flood_read.read_to_end(&mut sink))
        .await
        .expect("the connection was closed")
        .ok();
    let mut flood_write = tokio::time::timeout(Duration::from_secs(10), sender)
        .await
        .expect("the sender's writes end once it is dropped")
        .unwrap();
    let start = Instant::now();
    while flood_write.write_all(b"{}\n").await.is_ok() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the owner still takes frames from a dropped client"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let start = Instant::now();
    while stats.buffered_bytes() > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{} bytes still held for a dropped client",
            stats.buffered_bytes()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // And the other client goes on.
    assert!(matches!(
        other.call(Command::Status).await.unwrap(),
        Reply::Status(_)
    ));
}

#[tokio::test]
async fn connections_and_subscriptions_are_capped_per_uid() {
    let h = harness().await;
    let dir = h.dir.path().join("data");
    let stats = Arc::new(ControlStats::default());
    let listener = control::bind(&dir).unwrap();
    tokio::spawn(control::serve_with(
        listener,
        h.engine.clone(),
        limits(),
        stats.clone(),
    ));
    let mut open = Vec::new();
    for _ in 0..6 {
        let mut s = UnixStream::connect(control::socket_path(&dir))
            .await
            .unwrap();
        hello(&mut s).await;
        let mut r = BufReader::new(s);
        assert!(matches!(frame(&mut r).await, ServerFrame::Hello { .. }));
        open.push(r);
    }
    let mut s = UnixStream::connect(control::socket_path(&dir))
        .await
        .unwrap();
    hello(&mut s).await;
    let mut seventh = BufReader::new(s);
    match frame(&mut seventh).await {
        ServerFrame::Error { error, .. } => {
            assert!(error.message.contains("at most 6"), "{}", error.message)
        }
        other => panic!("{other:?}"),
    }
    // Subscriptions: three over two connections, the fourth refused, one freed by closing.
    let mut ids = Vec::new();
    for (conn, id) in [(0, 1u64), (0, 2), (1, 3), (1, 4)] {
        let sub = format!("{{\"type\":\"subscribe\",\"id\":{id}}}\n");
        open[conn]
            .get_mut()
            .write_all(sub.as_bytes())
            .await
            .unwrap();
        ids.push((conn, frame(&mut open[conn]).await));
    }
    let refused: Vec<_> = ids
        .iter()
        .filter(|(_, f)| matches!(f, ServerFrame::Error { .. }))
        .collect();
    assert_eq!(refused.len(), 1, "{ids:?}");
    assert!(
        matches!(&ids[3].1, ServerFrame::Error { id: 4, error } if error.message.contains("at most 3"))
    );
    drop(open.remove(0));
    let start = Instant::now();
    loop {
        let sub = "{\"type\":\"subscribe\",\"id\":9}\n";
        open[0].get_mut().write_all(sub.as_bytes()).await.unwrap();
        if matches!(
            frame(&mut open[0]).await,
            ServerFrame::Subscribed { id: 9, .. }
        ) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "a closed connection gave its subscriptions back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A closed connection frees its place too.
    let client = Client::connect(&dir).await.unwrap().unwrap();
    assert!(matches!(
        client.call(Command::Status).await.unwrap(),
        Reply::Status(_)
    ));
}

#[tokio::test]
async fn control_connections_are_capped_in_all_below_the_descriptors_kept_for_them() {
    let h = harness().await;
    let dir = h.dir.path().join("data");
    let listener = control::bind(&dir).unwrap();
    let limits = ControlLimits {
        connections: 4,
        ..limits()
    };
    tokio::spawn(control::serve_with(
        listener,
        h.engine.clone(),
        limits,
        Arc::default(),
    ));
    let mut open = Vec::new();
    for _ in 0..4 {
        open.push(Client::connect(&dir).await.unwrap().unwrap());
    }
    let refused = match Client::connect(&dir).await {
        Err(control::ClientError::Api(e)) => e.message,
        Ok(_) => panic!("a fifth connection was served"),
        Err(e) => panic!("{e}"),
    };
    assert!(refused.contains("at most 4 in all"), "{refused}");
    // What the owner keeps descriptors for holds every connection it lets in, and one uid
    // cannot take them all.
    let d = ControlLimits::default();
    assert!(d.connections_per_uid < d.connections);
    let metrics = mcp_onboard::http::metrics::MAX_CONNECTIONS;
    assert!(
        (d.connections + metrics) as u64 <= mcp_onboard::http::budget::RESERVED_CONTROL,
        "{} control connections, {} descriptors kept for the control socket and /metrics",
        d.connections,
        mcp_onboard::http::budget::RESERVED_CONTROL
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_clients_that_never_read_hold_is_bounded_for_all_of_them_together() {
    let h = harness().await;
    let tenants: Vec<NewTenant> = (0..300)
        .map(|i| NewTenant {
            slug: format!("tenant-{i:04}"),
            display_name: Some(format!("Tenant number {i} with a longish name")),
            ..Default::default()
        })
        .collect();
    h.run(Command::ImportTenants { tenants }).await;
    let dir = h.dir.path().join("data");
    let stats = Arc::new(ControlStats::default());
    let listener = control::bind(&dir).unwrap();
    let limits = ControlLimits {
        stalled_grace: Duration::from_secs(1),
        ..limits()
    };
    tokio::spawn(control::serve_with(
        listener,
        h.engine.clone(),
        limits,
        stats.clone(),
    ));
    // Five clients send list calls and never read: each may hold its own budget, all of
    // them together no more than the owner's.
    let mut floods = Vec::new();
    for _ in 0..5 {
        let mut s = UnixStream::connect(control::socket_path(&dir))
            .await
            .unwrap();
        hello(&mut s).await;
        for id in 1..=40u64 {
            let call = format!(
                "{{\"type\":\"call\",\"id\":{id},\"command\":{{\"command\":\"list_tenants\"}}}}\n"
            );
            s.write_all(call.as_bytes()).await.unwrap();
        }
        floods.push(s);
    }
    // They fill what they may; a client that reads is answered once they are dropped.
    let other = Client::connect(&dir).await.unwrap().unwrap();
    let start = Instant::now();
    while stats.buffered_bytes() < TOTAL * 3 / 4 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the flood never filled the budget: {} bytes",
            stats.buffered_bytes()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(matches!(
        other.call(Command::Status).await.unwrap(),
        Reply::Status(_)
    ));
    let peak = stats.peak_buffered_bytes();
    assert!(
        peak <= TOTAL,
        "{peak} bytes held for clients that do not read, the bound for all is {TOTAL}"
    );
    drop(floods);
}

#[tokio::test]
async fn a_client_that_never_says_hello_is_closed_and_its_place_freed() {
    let h = harness().await;
    let dir = h.dir.path().join("data");
    let listener = control::bind(&dir).unwrap();
    tokio::spawn(control::serve_with(
        listener,
        h.engine.clone(),
        limits(),
        Arc::default(),
    ));
    // Every place of the uid taken by connections that say nothing.
    let mut silent = Vec::new();
    for _ in 0..6 {
        silent.push(
            UnixStream::connect(control::socket_path(&dir))
                .await
                .unwrap(),
        );
    }
    for s in &mut silent {
        let mut sink = Vec::new();
        tokio::time::timeout(Duration::from_secs(15), s.read_to_end(&mut sink))
            .await
            .expect("closed without a hello")
            .ok();
    }
    let client = Client::connect(&dir).await.unwrap().unwrap();
    assert!(matches!(
        client.call(Command::Status).await.unwrap(),
        Reply::Status(_)
    ));
}
