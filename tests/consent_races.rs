//! The callback while the operator acts: what the customer is told when the tenant changes
//! while they are at Google (the code exchange under way).

mod common;

use std::time::{Duration, Instant};

use common::pg::Backend;
use common::*;
use mcp_onboard::engine::{Actor, Command, Worker};
use rstest::rstest;

/// Poll `f` until it holds, or fail with `what` after 20 s.
async fn wait_for(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_tenant_removed_while_the_customer_is_at_google_says_the_invitation_is_no_longer_active(
    #[case] backend: Backend,
) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    let auth = h.start(&h.link("acme").await).await;
    let cb = h.consent(&auth, "ann@acme.com", true, None).await;
    // The first Continue's flow is written by a queued write: wait for it.
    let node = || h.engine.store().node().flow_count();
    wait_for("the flow to be stored", || node() == 1).await;
    // Google takes its time to answer the code exchange.
    h.google.set_knobs(mcp_onboard::sandbox::google::Knobs {
        exchange_delay: Duration::from_millis(1500),
        ..Default::default()
    });
    let remove = async {
        // The callback has taken its flow and read the tenant, and the code exchange is
        // under way: the operator removes the tenant (it never consented).
        wait_for("the code exchange to start", || {
            h.google.token_requests() == 1
        })
        .await;
        assert_eq!(node(), 0, "the callback took its flow");
        h.engine
            .run(
                Actor::System(Worker::Owner),
                Command::RemoveTenant {
                    slug: "acme".into(),
                },
            )
            .await
            .expect("a tenant that never consented may be removed");
    };
    let (page, ()) = tokio::join!(h.get(&cb), remove);
    assert_eq!(h.google.exchanges(), 1, "the code was exchanged");
    assert_eq!(page.status, 410, "{}", page.body);
    assert!(
        page.body.contains("This invitation is no longer active."),
        "{}",
        page.body
    );
    // The grant made is not kept: it went back to Google.
    assert!(h.google.live_refresh_tokens().is_empty());
}
