//! Pending OAuth flows and a link's counts in the store: a flow taken once and swept when
//! old, a link's newest few flows kept, repeated opens counted in memory and written in
//! bulk, on each backend (`case`s `sled` and `postgres`); flows staged before they are
//! written, on sled alone.

mod support_pg;
mod support_store;

use std::time::Duration;

use mcp_onboard::engine::model::PendingFlow;
use mcp_onboard::store::{Change, Durability, Store, StoreError, TakenFlow};
use rstest::rstest;
use secrecy::{ExposeSecret, SecretString};
use support_pg::{Backend, Home};
use support_store::{ME, add, key};

fn flow(exp: i64) -> PendingFlow {
    PendingFlow {
        tenant: "a".into(),
        link_id: "l".into(),
        link_hash: String::new(),
        redirect_uri: "r".into(),
        created_at: 0,
        expires_at: exp,
        browser: String::new(),
        integration: None,
        lang: None,
    }
}

const OLD: [u8; 32] = [1; 32];
const NEW: [u8; 32] = [2; 32];

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn flows_are_taken_once_and_swept_when_old(#[case] backend: Backend) {
    let Some(home) = Home::new(backend) else {
        return;
    };
    let store = home.open(&key(1)).unwrap();
    let v = SecretString::from("verifier");
    store
        .commit(&ME, Durability::Lazy, move |tx| {
            tx.put_flow(&OLD, flow(10), &v)?;
            tx.put_flow(&NEW, flow(i64::MAX), &v)?;
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
    assert_eq!(
        store.node().pending_flows(),
        1,
        "one flow is still in its window"
    );
    let take = |h: &'static [u8]| store.commit(&ME, Durability::Lazy, move |tx| tx.take_flow(h));
    match take(&NEW).await.unwrap() {
        TakenFlow::Taken(f, verifier) => {
            assert_eq!(
                (f.tenant.as_str(), verifier.expose_secret()),
                ("a", "verifier")
            );
        }
        _ => panic!("the flow is there"),
    }
    assert!(matches!(take(&NEW).await.unwrap(), TakenFlow::Used(u) if u.tenant == "a"));
    assert!(matches!(take(&[9; 32]).await.unwrap(), TakenFlow::Unknown));
    assert!(store.reader().used_flow(&NEW).unwrap().is_some());
    let far = mcp_onboard::time::now_ms() + 10_000;
    let swept = store
        .commit(&ME, Durability::Lazy, move |tx| tx.sweep_flows(far))
        .await
        .unwrap();
    assert_eq!(swept.count, 2, "the expired flow and the tombstone");
    let expired: Vec<_> = swept.expired.iter().map(|f| f.tenant.as_str()).collect();
    assert_eq!(expired, ["a"], "the expired flow, as it was stored");
    assert!(matches!(take(&OLD).await.unwrap(), TakenFlow::Unknown));
    assert!(store.reader().used_flow(&NEW).unwrap().is_none());
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn repeated_opens_are_counted_in_memory_and_written_once_per_flush(#[case] backend: Backend) {
    let Some(home) = Home::new(backend) else {
        return;
    };
    use mcp_onboard::engine::model::ConsentLink;
    use mcp_onboard::store::Counted;
    const H: [u8; 32] = [7; 32];
    {
        let store = home.open(&key(1)).unwrap();
        add(&store, "a").await;
        store
            .commit(&ME, Durability::Durable, |tx| {
                tx.put_link(&H, ConsentLink::new("a", "l1", 0, i64::MAX))?;
                Ok::<_, StoreError>(())
            })
            .await
            .unwrap();
        let mut rx = store.subscribe();
        let mut firsts = 0;
        for _ in 0..300 {
            let c = store
                .commit(&ME, Durability::Lazy, |tx| tx.count_on_link(&H, false))
                .await
                .unwrap();
            firsts += matches!(c, Counted::First(_)) as u32;
        }
        assert_eq!(firsts, 1, "only the first open is written at once");
        assert_eq!(
            store.reader().links_for("a").unwrap()[0].open_count,
            300,
            "shown at once"
        );
        // Written together within a flush interval: far fewer link changes than opens.
        tokio::time::sleep(mcp_onboard::store::LAZY_FLUSH * 3).await;
        let mut link_changes = 0;
        while let Ok(c) = rx.try_recv() {
            link_changes += matches!(c.change, Change::Link { .. }) as u32;
        }
        assert!(
            (1..20).contains(&link_changes),
            "{link_changes} link writes for 300 opens"
        );
        let c = store
            .commit(&ME, Durability::Lazy, |tx| tx.count_on_link(&H, false))
            .await
            .unwrap();
        assert_eq!(c, Counted::Again);
        store.stop(Duration::from_secs(10)).await.unwrap();
    }
    let store = home.open(&key(1)).unwrap();
    assert_eq!(
        store.reader().link(&H).unwrap().unwrap().open_count,
        301,
        "every count reached the disk, the last one at the stop"
    );
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_link_keeps_only_its_newest_few_pending_flows(#[case] backend: Backend) {
    let Some(home) = Home::new(backend) else {
        return;
    };
    use mcp_onboard::store::MAX_FLOWS_PER_LINK;
    let store = home.open(&key(1)).unwrap();
    let v = SecretString::from("verifier");
    for i in 0..(MAX_FLOWS_PER_LINK as u8 + 10) {
        let v = v.clone();
        store
            .commit(&ME, Durability::Lazy, move |tx| {
                let mut f = flow(i64::MAX);
                f.link_hash = "ab".repeat(32);
                tx.put_flow(&[i; 32], f, &v)?;
                Ok::<_, StoreError>(())
            })
            .await
            .unwrap();
    }
    assert_eq!(store.node().flow_count(), MAX_FLOWS_PER_LINK);
    assert_eq!(store.node().pending_flows(), MAX_FLOWS_PER_LINK);
    let newest = MAX_FLOWS_PER_LINK as u8 + 9;
    let taken = store
        .commit(&ME, Durability::Lazy, move |tx| tx.take_flow(&[newest; 32]))
        .await
        .unwrap();
    assert!(matches!(taken, TakenFlow::Taken(..)), "the newest is kept");
    let oldest = store
        .commit(&ME, Durability::Lazy, |tx| tx.take_flow(&[0; 32]))
        .await
        .unwrap();
    assert!(matches!(oldest, TakenFlow::Unknown), "the oldest went");
}

#[tokio::test]
async fn a_staged_flow_is_found_at_once_and_written_within_a_flush_interval() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    {
        let store = Store::open(&data, &key(1)).unwrap();
        let v = SecretString::from("verifier-1");
        let mut f = flow(i64::MAX);
        f.link_hash = "cd".repeat(32);
        // Each verifier is sealed for its own slot.
        store
            .node()
            .stage_flow(&NEW, f.clone(), store.seal_flow_verifier(&NEW, &v));
        store
            .node()
            .stage_flow(&OLD, f, store.seal_flow_verifier(&OLD, &v));
        assert_eq!(store.node().flow_count(), 2);
        let taken = store
            .commit(&ME, Durability::Lazy, |tx| tx.take_flow(&OLD))
            .await
            .unwrap();
        assert!(
            matches!(taken, TakenFlow::Taken(..)),
            "found before any write"
        );
        tokio::time::sleep(mcp_onboard::store::LAZY_FLUSH * 3).await;
        // Written and flushed by now: a crash (no stop) keeps it.
        drop(store);
        std::thread::sleep(Duration::from_millis(300));
    }
    let store = Store::open(&data, &key(1)).unwrap();
    match store
        .commit(&ME, Durability::Lazy, |tx| tx.take_flow(&NEW))
        .await
        .unwrap()
    {
        TakenFlow::Taken(_, v) => assert_eq!(v.expose_secret(), "verifier-1"),
        _ => panic!("the staged flow reached the disk"),
    }
    assert!(matches!(
        store
            .commit(&ME, Durability::Lazy, |tx| tx.take_flow(&OLD))
            .await
            .unwrap(),
        TakenFlow::Used(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staged_flows_are_written_within_a_flush_interval_even_while_the_writer_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("d"), &key(1)).unwrap();
    let mut f = flow(i64::MAX);
    f.link_hash = "ef".repeat(32);
    store.node().stage_flow(
        &[7u8; 32],
        f,
        store.seal_flow_verifier(&[7u8; 32], &SecretString::from("v")),
    );
    let start = std::time::Instant::now();
    // A console asking for a tenant every 50 ms keeps the writer busy all along.
    while start.elapsed() < Duration::from_secs(1) {
        store.applied().await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        store.reader().pending_flow(&[7u8; 32]).unwrap().is_some(),
        "written within the interval"
    );
}
