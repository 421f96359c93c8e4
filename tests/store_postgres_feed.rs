//! Two nodes (two stores with data dirs of their own) on one PostgreSQL: each node's
//! subscribers get every change committed through either, in change-number order, none
//! missing, under concurrent commits from both while one node's commits wait once they
//! hold their numbers; each node's read model holds the other's writes; a node whose
//! listener is paused does not hold up the other's commits and catches up after; and a
//! node that was away while the change log was trimmed, or that finds a commit the log does
//! not hold (an earlier release's, during a rolling upgrade), says its subscribers lagged
//! and rebuilds its read model from the database.

mod support_pg;
mod support_store;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mcp_onboard::store::{Change, Committed, Durability, Store, Tx};
use support_pg::PgServer;
use support_store::{ME, fresh, key};

fn open(pg: &PgServer, dir: &std::path::Path, keep: Duration) -> Store {
    let config = mcp_onboard::config::StoreConfig {
        change_log_keep: keep,
        ..pg.store_config()
    };
    Store::open_with(dir, &key(3), &config).unwrap()
}

/// Everything a store publishes from now on, as it comes.
fn heard(store: &Store) -> Arc<Mutex<Vec<Arc<Committed>>>> {
    let got = Arc::new(Mutex::new(Vec::new()));
    let mut rx = store.subscribe();
    let into = got.clone();
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(c) => into.lock().unwrap().push(c),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    panic!("the test's subscriber lagged by {n}")
                }
                Err(_) => return,
            }
        }
    });
    got
}

fn slug_of(c: &Committed) -> Option<&str> {
    match &c.change {
        Change::Tenant { tenant, .. } => Some(&tenant.slug),
        _ => None,
    }
}

/// Wait (at most 30 s) until what `got` holds has a tenant change for each of `slugs`.
async fn until_heard(got: &Mutex<Vec<Arc<Committed>>>, slugs: &BTreeSet<String>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let seen: BTreeSet<String> = got
            .lock()
            .unwrap()
            .iter()
            .filter_map(|c| slug_of(c).map(str::to_owned))
            .collect();
        if slugs.is_subset(&seen) {
            return;
        }
        let missing: Vec<_> = slugs.difference(&seen).take(5).collect();
        assert!(
            Instant::now() < deadline,
            "after 30s, still not heard: {missing:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The numbers of the timeline entries the database holds, in order.
async fn entries(pg: &PgServer) -> Vec<u64> {
    pg.column("SELECT seq FROM timeline ORDER BY seq")
        .await
        .into_iter()
        .map(|s| s.unwrap().parse().unwrap())
        .collect()
}

/// `store` adds each of `slugs`, all at once; every one is acknowledged.
async fn add_all(store: &Store, slugs: Vec<String>, durability: Durability) {
    let writes: Vec<_> = slugs
        .into_iter()
        .map(|slug| {
            let (t, e) = fresh(&slug);
            tokio::spawn(store.commit(&ME, durability, move |tx: &mut dyn Tx| {
                tx.insert_tenant(t.clone(), e.clone())
            }))
        })
        .collect();
    for w in writes {
        assert!(w.await.unwrap().unwrap(), "a tenant added");
    }
}

#[tokio::test]
async fn each_node_hears_every_commit_of_both_in_change_number_order_none_missing() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let keep = Duration::from_secs(3600);
    let a = open(&pg, &dir.path().join("a"), keep);
    let b = open(&pg, &dir.path().join("b"), keep);
    let (on_a, on_b) = (heard(&a), heard(&b));
    // B's commits wait once their transaction holds their numbers: A's next commit comes
    // right after each.
    b.delay_commit_for_tests(Duration::from_millis(3));
    // And for a while neither listener reads: what each hears of the other's commits
    // meanwhile comes through its own writer, before its own commits.
    a.pause_feed_for_tests(Duration::from_millis(500));
    b.pause_feed_for_tests(Duration::from_millis(500));
    let n = 150;
    let from_a: Vec<String> = (0..n).map(|i| format!("a-{i}")).collect();
    let from_b: Vec<String> = (0..n).map(|i| format!("b-{i}")).collect();
    let all: BTreeSet<String> = from_a.iter().chain(&from_b).cloned().collect();
    tokio::join!(
        add_all(&a, from_a, Durability::Lazy),
        add_all(&b, from_b, Durability::Durable),
    );
    b.delay_commit_for_tests(Duration::ZERO);
    let stored = entries(&pg).await;
    assert_eq!(stored.len(), 2 * n, "one timeline entry per tenant");
    for (node, got) in [("A", &on_a), ("B", &on_b)] {
        until_heard(got, &all).await;
        let got = got.lock().unwrap().clone();
        let seqs: Vec<u64> = got.iter().map(|c| c.seq).collect();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "{node} heard changes out of order: {seqs:?}"
        );
        assert!(
            !got.iter()
                .any(|c| matches!(c.change, Change::Lagged { .. })),
            "{node} lagged"
        );
        // Exactly the changes the database holds, in its order: none missing, none twice.
        let tenant_seqs: Vec<u64> = got
            .iter()
            .filter(|c| slug_of(c).is_some())
            .map(|c| c.seq)
            .collect();
        assert_eq!(tenant_seqs, stored, "{node}");
    }
    // Each node's read model holds the other's tenants.
    for (node, s) in [("A", &a), ("B", &b)] {
        let index = s.node().index();
        assert_eq!(index.len(), 2 * n, "{node}");
        assert!(index.brief("a-0").is_some() && index.brief("b-0").is_some());
        assert_eq!(index.counts().values().sum::<usize>(), 2 * n, "{node}");
    }
    // A tenant removed through B goes from A's read model, and A's subscribers hear it.
    b.commit(&ME, Durability::Durable, |tx: &mut dyn Tx| {
        tx.remove_tenant("a-0")
    })
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while a.node().index().brief("a-0").is_some() {
        assert!(Instant::now() < deadline, "A still lists a-0");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(a.node().index().len(), 2 * n - 1);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !on_a
        .lock()
        .unwrap()
        .iter()
        .any(|c| matches!(&c.change, Change::TenantRemoved { slug } if slug == "a-0"))
    {
        assert!(
            Instant::now() < deadline,
            "A's subscriber did not hear a-0 go"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.stop(Duration::from_secs(10)).await.unwrap();
    b.stop(Duration::from_secs(10)).await.unwrap();
}

#[tokio::test]
async fn a_node_whose_listener_is_paused_holds_up_no_commit_of_the_other_and_catches_up() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let keep = Duration::from_secs(3600);
    let a = open(&pg, &dir.path().join("a"), keep);
    let b = open(&pg, &dir.path().join("b"), keep);
    let on_a = heard(&a);
    let pause = Duration::from_secs(6);
    a.pause_feed_for_tests(pause);
    let paused = Instant::now();
    let slugs: Vec<String> = (0..100).map(|i| format!("b-{i}")).collect();
    let all: BTreeSet<String> = slugs.iter().cloned().collect();
    for s in &slugs {
        support_store::add(&b, s).await;
    }
    let took = paused.elapsed();
    assert!(
        took < pause,
        "B's 100 commits took {took:?}, as long as A's listener was paused"
    );
    // A read none of them meanwhile.
    assert!(a.node().index().brief("b-0").is_none(), "A was not paused");
    // Once it reads again, A has them all, in order.
    until_heard(&on_a, &all).await;
    let seqs: Vec<u64> = on_a.lock().unwrap().iter().map(|c| c.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(seqs, entries(&pg).await);
    assert_eq!(a.node().index().len(), 100);
    a.stop(Duration::from_secs(10)).await.unwrap();
    b.stop(Duration::from_secs(10)).await.unwrap();
}

#[tokio::test]
async fn a_node_away_while_the_change_log_was_trimmed_lags_and_rebuilds_its_read_model() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let keep = Duration::from_secs(1);
    let a = open(&pg, &dir.path().join("a"), keep);
    let b = open(&pg, &dir.path().join("b"), keep);
    support_store::add(&b, "before").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while a.node().index().brief("before").is_none() {
        assert!(
            Instant::now() < deadline,
            "A never heard of the first tenant"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let on_a = heard(&a);
    a.pause_feed_for_tests(Duration::from_secs(5));
    for s in ["away-1", "away-2", "away-3"] {
        support_store::add(&b, s).await;
    }
    // The rows older than a second go (the newest stays), while A reads nothing.
    let deadline = Instant::now() + Duration::from_secs(4);
    loop {
        let rows = pg.column("SELECT count(*) FROM change_log").await;
        if rows == vec![Some("1".to_owned())] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the change log was not trimmed: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(a.node().index().brief("away-1").is_none(), "A read on");
    // A wakes: its subscribers hear that it lagged, and its read model is the database's.
    let deadline = Instant::now() + Duration::from_secs(15);
    let lag = loop {
        let lag = on_a.lock().unwrap().iter().find_map(|c| match c.change {
            Change::Lagged { missed } => Some((c.seq, missed)),
            _ => None,
        });
        if let Some(lag) = lag {
            break lag;
        }
        assert!(
            Instant::now() < deadline,
            "A's subscribers never heard a lag"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let last: u64 = pg.column("SELECT last FROM change_seq").await[0]
        .as_deref()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(lag.0, last, "the lag stands where the database does");
    assert!(lag.1 >= 2, "missed {}", lag.1);
    {
        let index = a.node().index();
        for s in ["before", "away-1", "away-2", "away-3"] {
            assert!(index.brief(s).is_some(), "A's read model lacks {s}");
        }
        assert_eq!(index.len(), 4);
    }
    // And it follows the log again from there.
    support_store::add(&b, "after").await;
    until_heard(&on_a, &["after".to_owned()].into()).await;
    let got = on_a.lock().unwrap().clone();
    let seqs: Vec<u64> = got.iter().map(|c| c.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    a.stop(Duration::from_secs(10)).await.unwrap();
    b.stop(Duration::from_secs(10)).await.unwrap();
}

/// Wait (at most 15 s) for a lag among what `got` holds; its number.
async fn until_lagged(got: &Mutex<Vec<Arc<Committed>>>) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let lag = got.lock().unwrap().iter().find_map(|c| match c.change {
            Change::Lagged { .. } => Some(c.seq),
            _ => None,
        });
        if let Some(seq) = lag {
            return seq;
        }
        assert!(Instant::now() < deadline, "no lag heard");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_commit_the_change_log_does_not_hold_has_each_node_lag_and_rebuild() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let keep = Duration::from_secs(3600);
    let a = open(&pg, &dir.path().join("a"), keep);
    let b = open(&pg, &dir.path().join("b"), keep);
    support_store::add(&a, "first").await;
    let (on_a, on_b) = (heard(&a), heard(&b));
    // A node of an earlier release commits a tenant: a number taken, no row logged.
    pg.sql(
        "BEGIN; UPDATE change_seq SET last = last + 1; \
         INSERT INTO tenants (slug, record, due_at) SELECT 'from-older', \
           convert_to(replace(convert_from(record, 'UTF8'), '\"slug\":\"first\"', \
           '\"slug\":\"from-older\"'), 'UTF8'), due_at FROM tenants WHERE slug = 'first'; \
         COMMIT",
    )
    .await;
    let older: u64 = pg.column("SELECT last FROM change_seq").await[0]
        .as_deref()
        .unwrap()
        .parse()
        .unwrap();
    // A's next commit finds the number it has no row for, before its own; B finds the
    // gap before A's row. Each rebuilds (the snapshot may cover A's commit too).
    support_store::add(&a, "after").await;
    assert!(until_lagged(&on_a).await >= older);
    assert!(until_lagged(&on_b).await >= older);
    // Then each follows the log again.
    support_store::add(&b, "later").await;
    for (node, s, got) in [("A", &a, &on_a), ("B", &b, &on_b)] {
        until_heard(got, &["later".to_owned()].into()).await;
        let seqs: Vec<u64> = got.lock().unwrap().iter().map(|c| c.seq).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{node}: {seqs:?}");
        let index = s.node().index();
        for t in ["first", "from-older", "after", "later"] {
            assert!(index.brief(t).is_some(), "{node}'s read model lacks {t}");
        }
    }
    a.stop(Duration::from_secs(10)).await.unwrap();
    b.stop(Duration::from_secs(10)).await.unwrap();
}
