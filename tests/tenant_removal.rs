//! Removing a tenant that never consented: its links go with it and every face is told; a
//! tenant that consented is refused; a removal racing a repeat open or a new tenant of the
//! same slug leaves nothing behind.

mod common;

use std::time::Duration;

use common::{Harness, drain, harness};
use mcp_onboard::engine::api::{Command, Reply};
use mcp_onboard::engine::model::TenantStatus;
use mcp_onboard::engine::{ErrorCode, EventBody, Events};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_tenant_that_never_consented_takes_its_links_and_tells_every_face() {
    let h = harness().await;
    h.add("acme", None, None).await;
    h.add("kept", None, None).await;
    let link = h.link("acme").await;
    // The customer opened the link and pressed Continue: a flow is pending at Google.
    let authorize = h.start(&link).await;
    let mut events = Events::Local(h.engine.subscribe(None));

    let reply = h
        .run(Command::RemoveTenant {
            slug: "acme".into(),
        })
        .await;
    assert_eq!(
        reply,
        Reply::Removed {
            slug: "acme".into()
        }
    );
    let seen = drain(&mut events).await;
    assert!(
        seen.iter().any(|e| e.body
            == EventBody::TenantRemoved {
                slug: "acme".into()
            }),
        "{seen:?}"
    );
    let err = h
        .refused(Command::ShowTenant {
            slug: "acme".into(),
        })
        .await;
    assert_eq!(err.code(), ErrorCode::NotFound);
    let (tenants, total) = h.list().await;
    assert_eq!((tenants.len(), total), (1, 1));
    assert_eq!(tenants[0].slug, "kept");

    // The link is dead, and the flow begun before cannot finish: no grant is taken.
    let page = h.get(&link.url).await;
    assert_eq!(page.status, 404, "{}", page.body);
    assert!(page.body.contains("Link not recognised"), "{}", page.body);
    let state = authorize
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let cb = h
        .base
        .join(&format!("/oauth/callback?state={state}&code=c"))
        .unwrap();
    let page = h.get(cb.as_str()).await;
    assert!(page.status >= 400, "{} {}", page.status, page.body);
    assert!(!h.has_token("acme"));

    // The slug is free again.
    h.add("acme", None, None).await;
    assert_eq!(h.show("acme").await.links.len(), 0, "no old link came back");
}

#[tokio::test]
async fn a_tenant_that_consented_is_not_removed_and_nothing_is_lost() {
    let h = harness().await;
    h.add("acme", None, None).await;
    h.onboard("acme", "it@acme.example").await;
    let before = h.show("acme").await;
    assert!(before.consented_at.is_some());
    let err = h
        .refused(Command::RemoveTenant {
            slug: "acme".into(),
        })
        .await;
    assert_eq!(err.code(), ErrorCode::Conflict);
    let msg = err.to_string();
    assert!(
        msg.contains("has consented") && msg.contains("offboarded, not removed"),
        "{msg}"
    );
    let after = h.show("acme").await;
    assert_eq!(after.links, before.links);
    assert_eq!(after.events.len(), before.events.len());
    assert!(h.has_token("acme"), "the token stays");

    let err = h
        .refused(Command::RemoveTenant {
            slug: "nobody".into(),
        })
        .await;
    assert_eq!(err.code(), ErrorCode::NotFound);
}

async fn batches(h: &Harness) -> u64 {
    let s = h.status().await;
    s.store.batches
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_tenant_right_after_a_repeat_open_leaves_the_writer_idle() {
    let h = harness().await;
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    assert_eq!(h.get(&link.url).await.status, 200);
    h.engine.sync().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A repeat open is counted in memory, to be written with the next lazy flush.
    assert_eq!(h.get(&link.url).await.status, 200);
    h.run(Command::RemoveTenant {
        slug: "acme".into(),
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let a = batches(&h).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let b = batches(&h).await;
    assert!(
        b - a < 20,
        "the writer ran {} batches in one idle second",
        b - a
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_tenants_flow_does_not_touch_a_new_tenant_of_the_same_slug() {
    let h = harness().await;
    h.add("acme", None, None).await;
    let auth = h.start(&h.link("acme").await).await;
    let cb = h.consent(&auth, "it@acme.example", true, None).await;
    h.run(Command::RemoveTenant {
        slug: "acme".into(),
    })
    .await;
    h.add("acme", None, None).await;
    h.forget_cookies();
    let page = h.get(&cb).await;
    assert!(page.status >= 400, "{}", page.body);
    let t = h.show("acme").await;
    assert_eq!(t.status, TenantStatus::Created, "{:?}", t.reason);
    assert_eq!(t.events.len(), 1, "{:#?}", t.events);
    let s = h.status().await;
    assert_eq!(s.pending_flows, 0);
}
