//! Stopping the listener: requests in flight are counted, waited for, and cut after the
//! drain time.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use mcp_onboard::http::conn::{ConnLimits, ConnStats, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_in_flight_are_counted_waited_for_and_cut_after_the_drain_time() {
    let stats = Arc::new(ConnStats::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/", get(|| async { "ok" }))
        .route("/form", post(|body: String| async move { body }));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        listener,
        app,
        async move {
            let _ = stop_rx.await;
        },
        ConnLimits {
            drain: Duration::from_millis(400),
            stats: stats.clone(),
            ..Default::default()
        },
    ));
    // An idle keep-alive connection is not a request in flight.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 256];
    let n = idle.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).contains("200 OK"));
    // Two forms still on their way.
    let mut slow = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
            .await
            .unwrap();
        slow.push(s);
    }
    let until = tokio::time::Instant::now() + Duration::from_secs(10);
    while stats.in_flight() != 2 {
        assert!(
            tokio::time::Instant::now() < until,
            "in flight: {}",
            stats.in_flight()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // One finishes during the drain, the other never does.
    stop_tx.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    slow[0].write_all(b"cdefghij").await.unwrap();
    let mut answer = String::new();
    slow[0].read_to_string(&mut answer).await.unwrap();
    assert!(answer.contains("abcdefghij"), "{answer}");
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the drain time ends the stop")
        .unwrap()
        .unwrap();
    assert_eq!(stats.cut(), 1, "the one still running was cut");
    assert_eq!(stats.in_flight(), 0);
}
