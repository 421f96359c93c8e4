//! A slow or stuck disk: while the store's writer does not answer, the listener still
//! answers `/healthz` at once (no async worker waits on sled), and what was waiting for the
//! writer completes once it answers again.

mod common;

use std::time::{Duration, Instant};

use common::harness;
use mcp_onboard::engine::Command;
use mcp_onboard::engine::lifecycle::NewTenant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_writer_does_not_stop_healthz() {
    let h = harness().await;
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    h.engine.stall_writer_for_tests(Duration::from_secs(4));
    // Commands queue behind the stall: more than there are workers.
    let waiting: Vec<_> = (0..8)
        .map(|i| {
            let e = h.engine.clone();
            tokio::spawn(async move {
                e.run(
                    mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
                    Command::AddTenant(NewTenant {
                        slug: format!("t{i}"),
                        ..Default::default()
                    }),
                )
                .await
            })
        })
        .collect();
    // A customer opens a link meanwhile: the page is shown, the count lands later.
    let page = {
        let http = h.http.clone();
        let url = link.url.clone();
        tokio::spawn(async move { http.get(&url).send().await.map(|r| r.status().as_u16()) })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..10 {
        let t = Instant::now();
        let res = tokio::time::timeout(
            Duration::from_secs(2),
            h.http.get(format!("{}healthz", h.base)).send(),
        )
        .await
        .expect("/healthz answers while the writer is stuck")
        .unwrap();
        assert_eq!(res.status(), 200);
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
        assert!(
            waiting.iter().all(|w| !w.is_finished()),
            "the commands are still waiting for the writer"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        page.await.unwrap().unwrap(),
        200,
        "the page did not wait for the disk"
    );
    for w in waiting {
        tokio::time::timeout(Duration::from_secs(30), w)
            .await
            .expect("commands finish once the writer answers")
            .unwrap()
            .unwrap();
    }
    assert_eq!(h.engine.store().node().counts().0, 9);
}
