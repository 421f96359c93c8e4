//! The live engine: one event per committed change, the same sequence in process and over
//! the control socket, lag told and recovered from, a protocol that survives bad frames,
//! and a timeline that does not grow when a link is opened again and again.

mod common;

use std::time::Duration;

use common::pg::Backend;
use common::{Harness, drain, harness, harness_on};
use mcp_onboard::control::protocol::{PROTOCOL, ServerFrame};
use mcp_onboard::control::{self, Client};
use mcp_onboard::engine::api::{Command, Reply};
use mcp_onboard::engine::model::{EventKind, TenantStatus};
use mcp_onboard::engine::{ErrorCode, Event, EventBody, Events, Item};
use rstest::rstest;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn data_dir(h: &Harness) -> std::path::PathBuf {
    h.dir.path().join("data")
}

/// Serve the harness engine on a control socket, as the owner does.
fn serve_socket(h: &Harness) {
    let listener = control::bind(&data_dir(h)).unwrap();
    tokio::spawn(control::serve(listener, h.engine.clone()));
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn every_transition_publishes_exactly_one_event_with_its_entry(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    let mut events = Events::Local(h.engine.subscribe(None));
    h.add("acme", None, None).await;
    let page = h.onboard("acme", "ann@acme.com").await;
    assert_eq!(page.status, 200);
    let seen = drain(&mut events).await;
    let t = h.show("acme").await;
    let tenant_events: Vec<&Event> = seen
        .iter()
        .filter(|e| matches!(e.body, EventBody::TenantChanged { .. }))
        .collect();
    // One tenant event per timeline entry, with the same number, kind and status.
    assert_eq!(tenant_events.len(), t.events.len(), "{seen:#?}");
    for (ev, entry) in tenant_events.iter().zip(&t.events) {
        let EventBody::TenantChanged {
            slug,
            status,
            entry: Some(e),
            summary: Some(summary),
        } = &ev.body
        else {
            panic!("{ev:?}")
        };
        assert_eq!(slug, "acme");
        assert_eq!(ev.seq, entry.seq);
        assert_eq!(
            (e.kind, e.detail.as_str()),
            (entry.kind, entry.detail.as_str())
        );
        assert_eq!(Some(*status), entry.status);
        assert_eq!(summary.status, *status);
    }
    assert_eq!(
        tenant_events.last().map(|e| e.seq),
        t.events.last().map(|e| e.seq)
    );
    // Link events: issued, opened, continued, used; all numbered in the one sequence.
    let link_states: Vec<String> = seen
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::LinkChanged { link, .. } => Some(format!(
                "{}:{}:{}",
                link.state.as_str(),
                link.open_count,
                link.continue_count
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        link_states,
        vec!["active:0:0", "active:1:0", "active:1:1", "used:1:1"]
    );
    assert!(seen.windows(2).all(|w| w[0].seq < w[1].seq), "{seen:#?}");
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_subscriber_in_process_and_one_over_the_socket_see_the_same_sequence(
    #[case] backend: Backend,
) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    serve_socket(&h);
    let client = Client::connect(&data_dir(&h)).await.unwrap().unwrap();
    let mut remote = Events::Remote(client.subscribe(None).await.unwrap());
    let mut local = Events::Local(h.engine.subscribe(None));
    // Give the socket subscription a moment to be in place before the writes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for slug in ["a", "b", "c"] {
        h.add(slug, None, None).await;
        h.link(slug).await;
    }
    h.onboard("a", "x@a.example").await;
    let l = drain(&mut local).await;
    let r = drain(&mut remote).await;
    assert!(l.len() >= 10, "{l:?}");
    assert_eq!(l, r, "the same events, the same order, the same numbers");
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_lagging_subscriber_is_told_and_recovers_with_a_snapshot(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    let mut slow = h.engine.subscribe(None);
    // More changes than the buffer holds, while the subscriber reads nothing.
    let link = h.link("acme").await;
    let code = link.url.rsplit('/').next().unwrap().to_owned();
    let hash = mcp_onboard::engine::token::sha256(&code);
    h.engine
        .commit_for_tests(move |tx| {
            let l = tx.link(&hash)?.unwrap();
            for i in 0..(mcp_onboard::store::EVENT_BUFFER + 100) {
                let mut l = l.clone();
                l.open_count = i as u32;
                tx.put_link(&hash, l)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    match slow.next().await {
        Some(Item::Lagged { missed }) => assert!(missed >= 100, "{missed}"),
        other => panic!("expected to be told of the lag: {other:?}"),
    }
    // The snapshot a face refetches then is the current state.
    let (tenants, total) = h.list().await;
    assert_eq!(total, 1);
    assert_eq!(tenants[0].status, TenantStatus::LinkIssued);
    // And the stream goes on after the lag.
    h.add("beta", None, None).await;
    let mut got_beta = false;
    while let Ok(Some(item)) = tokio::time::timeout(Duration::from_secs(5), slow.next()).await {
        if let Item::Event(e) = item
            && e.slug() == Some("beta")
        {
            got_beta = true;
            break;
        }
    }
    assert!(got_beta, "live events follow the lag");
}

async fn read_frame(r: &mut BufReader<tokio::net::unix::OwnedReadHalf>) -> ServerFrame {
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(10), r.read_line(&mut line))
        .await
        .unwrap()
        .unwrap();
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

#[tokio::test]
async fn bad_frames_get_errors_and_the_owner_keeps_serving() {
    let h = harness().await;
    serve_socket(&h);
    let sock = control::socket_path(&data_dir(&h));
    let stream = tokio::net::UnixStream::connect(&sock).await.unwrap();
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    w.write_all(
        format!("{{\"type\":\"hello\",\"protocol\":{PROTOCOL},\"client\":\"test\"}}\n").as_bytes(),
    )
    .await
    .unwrap();
    assert!(matches!(
        read_frame(&mut r).await,
        ServerFrame::Hello { .. }
    ));
    // Not JSON.
    w.write_all(b"this is not json\n").await.unwrap();
    let ServerFrame::Error { id: 0, error } = read_frame(&mut r).await else {
        panic!()
    };
    assert_eq!(error.code, ErrorCode::InvalidInput);
    // An unknown command, with an id the answer carries back.
    w.write_all(b"{\"type\":\"call\",\"id\":7,\"command\":{\"command\":\"explode\"}}\n")
        .await
        .unwrap();
    let ServerFrame::Error { id: 7, error } = read_frame(&mut r).await else {
        panic!()
    };
    assert!(error.message.contains("malformed"), "{}", error.message);
    // Far too long.
    let mut big = vec![b'x'; 200 * 1024];
    big.push(b'\n');
    w.write_all(&big).await.unwrap();
    let ServerFrame::Error { error, .. } = read_frame(&mut r).await else {
        panic!()
    };
    assert!(error.message.contains("too large"), "{}", error.message);
    // Still serving, on this connection and on new ones.
    w.write_all(b"{\"type\":\"call\",\"id\":8,\"command\":{\"command\":\"status\"}}\n")
        .await
        .unwrap();
    assert!(matches!(
        read_frame(&mut r).await,
        ServerFrame::Reply {
            id: 8,
            reply: Reply::Status(_)
        }
    ));
    let c = Client::connect(&data_dir(&h)).await.unwrap().unwrap();
    assert!(matches!(
        c.call(Command::Status).await,
        Ok(Reply::Status(_))
    ));
}

#[tokio::test]
async fn a_client_of_another_version_gets_a_clear_message() {
    let h = harness().await;
    serve_socket(&h);
    let sock = control::socket_path(&data_dir(&h));
    // Another protocol number.
    let stream = tokio::net::UnixStream::connect(&sock).await.unwrap();
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"{\"type\":\"hello\",\"protocol\":99,\"client\":\"mcp-onboard 9.9\"}\n")
        .await
        .unwrap();
    let ServerFrame::Error { error, .. } = read_frame(&mut r).await else {
        panic!()
    };
    assert_eq!(error.code, ErrorCode::VersionMismatch);
    assert!(
        error.message.contains("same mcp-onboard version"),
        "{}",
        error.message
    );
    // The first release's client: no handshake, a bare request line.
    let stream = tokio::net::UnixStream::connect(&sock).await.unwrap();
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"{\"id\":1,\"command\":{\"command\":\"status\"}}\n")
        .await
        .unwrap();
    let mut line = String::new();
    r.read_line(&mut line).await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["id"], 1);
    assert!(
        v["error"].as_str().unwrap().contains("version mismatch"),
        "{line}"
    );
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn opening_one_link_500_times_adds_a_handful_of_timeline_entries(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    let before = h.show("acme").await.events.len();
    for _ in 0..500 {
        assert_eq!(h.get(&link.url).await.status, 200);
    }
    let t = h.show("acme").await;
    assert!(
        t.events.len() - before <= 2,
        "{} entries added",
        t.events.len() - before
    );
    assert_eq!(t.links[0].open_count, 500);
    assert_eq!(
        t.events
            .iter()
            .filter(|e| e.kind == EventKind::LinkOpened)
            .count(),
        1
    );
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaying_subscriber_misses_no_live_event_of_another_kind(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    let mut events = Events::Local(h.engine.subscribe(Some(0)));
    h.link("acme").await;
    h.run(Command::RevokeLinks {
        slug: "acme".into(),
    })
    .await;
    let seen = drain(&mut events).await;
    let kinds: Vec<&str> = seen.iter().map(|e| e.kind_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "link_changed").count(),
        2,
        "issued and withdrawn: {kinds:?}"
    );
    assert!(seen.windows(2).all(|w| w[0].seq < w[1].seq), "{seen:?}");
    assert_eq!(
        seen[0].seq,
        h.show("acme").await.events[0].seq,
        "the replay first"
    );
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_open_is_counted_even_when_the_writer_queue_is_full(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    h.engine.stall_writer_for_tests(Duration::from_millis(1500));
    // Fill the queue, as a burst during a slow disk would.
    let held: Vec<_> = (0..8300)
        .map(|_| {
            let e = h.engine.clone();
            tokio::spawn(async move { e.commit_for_tests(|_| Ok(())).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(h.get(&link.url).await.status, 200);
    for t in held {
        t.await.unwrap().unwrap();
    }
    let t = h.show("acme").await;
    assert_eq!(t.links[0].open_count, 1, "the open was not dropped");
    assert!(t.events.iter().any(|e| e.kind == EventKind::LinkOpened));
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn an_import_adds_all_of_its_tenants_or_none(#[case] backend: Backend) {
    use mcp_onboard::engine::lifecycle::NewTenant;
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    let new = |s: &str| NewTenant {
        slug: s.into(),
        ..Default::default()
    };
    let err = h
        .refused(Command::ImportTenants {
            tenants: vec![new("beta"), new("acme"), new("gamma")],
        })
        .await;
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert!(err.to_string().contains("acme"), "{err}");
    for s in ["beta", "gamma"] {
        let e = h.refused(Command::ShowTenant { slug: s.into() }).await;
        assert_eq!(e.code(), ErrorCode::NotFound, "{s} was not added");
    }
    let err = h
        .refused(Command::ImportTenants {
            tenants: vec![new("beta"), new("BAD SLUG")],
        })
        .await;
    assert!(err.to_string().contains("row 2"), "{err}");
    let reply = h
        .run(Command::ImportTenants {
            tenants: vec![new("beta"), new("gamma")],
        })
        .await;
    assert_eq!(reply, Reply::Imported { added: 2 });
}
