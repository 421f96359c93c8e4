//! The lease of the background work, on a real PostgreSQL, with stores of their own data
//! dirs sharing one database (as nodes do): one leads and the others follow; a leader
//! paused past the timeout is taken over with a higher epoch, its sessions are ended, and
//! it says it follows once its own deadline passes, before the other leads; a stopped
//! leader gives the lease back; stores racing for a free lease elect exactly one; a leader
//! cut off from the database stops leading on its own clock.

mod support_pg;

use std::time::{Duration, Instant};

use base64::Engine as _;
use mcp_onboard::domain::actor::{Actor, Worker};
use mcp_onboard::engine::lifecycle::{NewTenant, new_tenant};
use mcp_onboard::store::{Durability, KeySource, Role, Store, Tx};
use secrecy::SecretString;
use support_pg::PgServer;

const TIMEOUT: Duration = Duration::from_secs(2);
const ME: Actor = Actor::System(Worker::Owner);

fn key() -> KeySource {
    KeySource::Env(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([5u8; 32]),
    ))
}

fn open(pg: &PgServer, dir: &std::path::Path) -> Store {
    let config = mcp_onboard::config::StoreConfig {
        leader_timeout: TIMEOUT,
        ..pg.store_config()
    };
    Store::open_with(dir, &key(), &config).unwrap()
}

fn epoch(s: &Store) -> Option<u64> {
    match s.leadership().role() {
        Role::Leader { epoch, .. } => Some(epoch),
        Role::Follower => None,
    }
}

/// Wait (at most `within`) for one of `stores` to lead; its index.
async fn leader_among(stores: &[&Store], within: Duration) -> usize {
    let deadline = Instant::now() + within;
    loop {
        if let Some(i) = stores.iter().position(|s| s.leadership().is_leader()) {
            return i;
        }
        assert!(Instant::now() < deadline, "no store led within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// For `how_long`, never more than one of `stores` leads, and the leader keeps its epoch.
async fn one_leader_throughout(stores: &[&Store], how_long: Duration) {
    let first: Vec<_> = stores.iter().map(|s| epoch(s)).collect();
    let until = Instant::now() + how_long;
    while Instant::now() < until {
        let now: Vec<_> = stores.iter().map(|s| epoch(s)).collect();
        assert!(now.iter().flatten().count() <= 1, "two leaders: {now:?}");
        assert_eq!(
            now, first,
            "the lease changed hands while its holder was alive"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn sessions_of(pg: &PgServer, node: &str) -> u64 {
    pg.column(&format!(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = '{node}'"
    ))
    .await[0]
        .as_deref()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

async fn lease_row(pg: &PgServer) -> (Option<String>, String) {
    let holder = pg.column("SELECT holder FROM leader_lease").await;
    let epoch = pg.column("SELECT epoch FROM leader_lease").await;
    (holder[0].clone(), epoch[0].clone().unwrap_or_default())
}

#[tokio::test]
async fn a_paused_leader_is_taken_over_with_a_higher_epoch_its_sessions_ended_and_it_follows_first()
{
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let a = open(&pg, &dir.path().join("a"));
    leader_among(&[&a], TIMEOUT * 3).await;
    let b = open(&pg, &dir.path().join("b"));
    assert_ne!(a.leadership().node(), b.leadership().node());
    one_leader_throughout(&[&a, &b], TIMEOUT * 2).await;
    let first = epoch(&a).expect("A still leads");
    assert_eq!(
        lease_row(&pg).await,
        (Some(a.leadership().node().to_owned()), first.to_string())
    );
    let old = a.leadership().node().to_owned();
    assert!(sessions_of(&pg, &old).await > 0, "A's lease connection");

    // A's keeper stops, as a process stopped with SIGSTOP: B takes over once the lease
    // expired, and by then A's own deadline has passed.
    a.pause_lease_for_tests(TIMEOUT * 3);
    let paused = Instant::now();
    leader_among(&[&b], TIMEOUT * 3).await;
    assert_eq!(a.leadership().role(), Role::Follower, "A still led");
    let taken = paused.elapsed();
    assert!(taken >= TIMEOUT / 2, "taken over after {taken:?}");
    let second = epoch(&b).expect("B leads");
    assert!(second > first, "epoch {second} after {first}");
    assert_eq!(
        lease_row(&pg).await,
        (Some(b.leadership().node().to_owned()), second.to_string())
    );
    // A's sessions were ended.
    let deadline = Instant::now() + Duration::from_secs(10);
    while sessions_of(&pg, &old).await > 0 {
        assert!(Instant::now() < deadline, "A's sessions are still there");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A wakes: it finds the lease held and follows; B goes on leading under its epoch.
    tokio::time::sleep_until((paused + TIMEOUT * 3).into()).await;
    one_leader_throughout(&[&a, &b], TIMEOUT * 2).await;
    assert_eq!(epoch(&b), Some(second));
    // A's store goes on writing, on new sessions.
    let (t, e) = new_tenant(
        &NewTenant {
            slug: "after-pause".into(),
            ..Default::default()
        },
        1,
    )
    .unwrap();
    a.commit(&ME, Durability::Durable, move |tx: &mut dyn Tx| {
        tx.insert_tenant(t.clone(), e.clone())
    })
    .await
    .unwrap();
    a.stop(Duration::from_secs(10)).await.unwrap();
    b.stop(Duration::from_secs(10)).await.unwrap();
}

#[tokio::test]
async fn a_stopped_leader_gives_the_lease_back_and_the_other_takes_it_with_a_higher_epoch() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let a = open(&pg, &dir.path().join("a"));
    leader_among(&[&a], TIMEOUT * 3).await;
    let b = open(&pg, &dir.path().join("b"));
    let first = epoch(&a).expect("A leads");
    let mut watch = a.leadership();
    a.stop(Duration::from_secs(10)).await.unwrap();
    // Given back: said at once, and taken within a round, well before the timeout.
    tokio::time::timeout(Duration::from_secs(1), async {
        while watch.is_leader() {
            watch.changed().await;
        }
    })
    .await
    .expect("A says it follows once stopped");
    let stopped = Instant::now();
    leader_among(&[&b], TIMEOUT * 3).await;
    assert!(stopped.elapsed() < TIMEOUT, "{:?}", stopped.elapsed());
    let second = epoch(&b).expect("B leads");
    assert!(second > first, "epoch {second} after {first}");
    b.stop(Duration::from_secs(10)).await.unwrap();
}

#[tokio::test]
async fn stores_racing_for_a_free_lease_elect_exactly_one() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = mcp_onboard::config::StoreConfig {
        leader_timeout: TIMEOUT,
        ..pg.store_config()
    };
    let opening: Vec<_> = (0..4)
        .map(|i| {
            let (data, config) = (dir.path().join(format!("n{i}")), config.clone());
            std::thread::spawn(move || Store::open_with(&data, &key(), &config).unwrap())
        })
        .collect();
    let stores: Vec<Store> = opening.into_iter().map(|t| t.join().unwrap()).collect();
    let all: Vec<&Store> = stores.iter().collect();
    let i = leader_among(&all, TIMEOUT * 3).await;
    one_leader_throughout(&all, TIMEOUT * 2).await;
    assert_eq!(
        epoch(&stores[i]),
        Some(1),
        "one takeover from the free lease"
    );
    assert_eq!(
        lease_row(&pg).await,
        (Some(stores[i].leadership().node().to_owned()), "1".into())
    );
    for s in &stores {
        s.stop(Duration::from_secs(10)).await.unwrap();
    }
}

#[tokio::test]
async fn a_leader_cut_off_from_the_database_follows_once_its_own_deadline_passes() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let a = open(&pg, &dir.path().join("a"));
    leader_among(&[&a], TIMEOUT * 3).await;
    let Role::Leader {
        until: Some(until), ..
    } = a.leadership().role()
    else {
        panic!("a leader with a deadline");
    };
    assert!(until <= Instant::now() + TIMEOUT, "{until:?}");
    pg.down("immediate");
    let mut watch = a.leadership();
    let down = Instant::now();
    tokio::time::timeout(TIMEOUT * 2, async {
        while watch.is_leader() {
            watch.changed().await;
        }
    })
    .await
    .expect("A follows once its deadline passed");
    assert!(down.elapsed() < TIMEOUT, "{:?}", down.elapsed());
}

#[tokio::test]
async fn a_leader_that_lost_track_of_its_own_lease_takes_it_again_under_a_new_epoch_at_once() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let a = open(&pg, &dir.path().join("a"));
    leader_among(&[&a], TIMEOUT * 3).await;
    let first = epoch(&a).expect("A leads");
    // The row moved on without A knowing (as when the answer to its renewal was lost):
    // its next renewal fails, and it takes its own lease again in the same round.
    pg.sql("UPDATE leader_lease SET epoch = epoch + 10").await;
    let deadline = Instant::now() + TIMEOUT * 3;
    loop {
        match a.leadership().role() {
            Role::Leader { epoch, .. } if epoch == first + 11 => break,
            Role::Leader { epoch, .. } => assert_eq!(epoch, first),
            Role::Follower => panic!("A stopped leading"),
        }
        assert!(Instant::now() < deadline, "A did not take it again");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.stop(Duration::from_secs(10)).await.unwrap();
}

#[tokio::test]
async fn an_embedded_store_always_leads_under_epoch_1() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data"), &key()).unwrap();
    assert_eq!(
        store.leadership().role(),
        Role::Leader {
            epoch: 1,
            until: None
        }
    );
    store.stop(Duration::from_secs(10)).await.unwrap();
}
