//! The engine's events with two nodes on one PostgreSQL: a subscriber of one engine (what
//! `watch` and the console read) hears tenants added through the other node's store, and
//! hears "lagged" once its node missed changes the change log no longer holds.

mod common;
mod support_store;

use std::time::{Duration, Instant};

use common::harness_with_env_on;
use common::pg::Backend;
use mcp_onboard::engine::{EventBody, Item};
use mcp_onboard::store::{KeySource, Store};
use secrecy::SecretString;

/// The next item within `within`.
async fn next(sub: &mut mcp_onboard::engine::Subscription, within: Duration) -> Item {
    tokio::time::timeout(within, sub.next())
        .await
        .expect("an item in time")
        .expect("the engine is running")
}

#[tokio::test]
async fn an_engine_hears_the_other_nodes_commits_and_lags_once_it_missed_them() {
    let keep = [("MCP_ONBOARD_CHANGE_LOG_KEEP", "1s")];
    let Some(h) = harness_with_env_on(&keep, Backend::Postgres).await else {
        return;
    };
    let pg = h.pg.as_ref().unwrap();
    let config = mcp_onboard::config::StoreConfig {
        change_log_keep: Duration::from_secs(1),
        ..pg.store_config()
    };
    let other = Store::open_with(
        &h.dir.path().join("other"),
        &KeySource::Env(SecretString::from(h.key.clone())),
        &config,
    )
    .unwrap();
    let mut sub = h.engine.subscribe(None);
    support_store::add(&other, "from-other").await;
    match next(&mut sub, Duration::from_secs(10)).await {
        Item::Event(e) => {
            assert!(
                matches!(&e.body, EventBody::TenantChanged { slug, .. } if slug == "from-other"),
                "{e:?}"
            );
        }
        lagged => panic!("{lagged:?}"),
    }
    // This engine's node reads nothing for a while; the log is trimmed meanwhile.
    h.engine
        .store()
        .pause_feed_for_tests(Duration::from_secs(4));
    for slug in ["away-1", "away-2"] {
        support_store::add(&other, slug).await;
    }
    let deadline = Instant::now() + Duration::from_secs(4);
    while pg.column("SELECT count(*) FROM change_log").await != vec![Some("1".to_owned())] {
        assert!(Instant::now() < deadline, "the change log was not trimmed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    match next(&mut sub, Duration::from_secs(15)).await {
        Item::Lagged { missed } => assert!(missed >= 1, "missed {missed}"),
        event => panic!("expected a lag, got {event:?}"),
    }
    // The snapshot a subscriber then fetches holds what was missed.
    let (list, _) = h.list().await;
    let slugs: Vec<&str> = list.iter().map(|t| t.slug.as_str()).collect();
    for s in ["from-other", "away-1", "away-2"] {
        assert!(slugs.contains(&s), "{slugs:?}");
    }
    other.stop(Duration::from_secs(10)).await.unwrap();
}
