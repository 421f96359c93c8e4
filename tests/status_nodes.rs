//! The nodes sharing a PostgreSQL database, as `status` lists them: each node's row is
//! written when its store opens and at every round of its lease keeper (with where its
//! listener answers, once said), marked stopped when it stops; the leader ends the sessions of a node not seen within the lease's
//! timeout and deletes rows a day old. sled's store is one node, which leads.

mod support_pg;

use std::time::{Duration, Instant};

use base64::Engine as _;
use mcp_onboard::store::{Cluster, KeySource, Store};
use secrecy::SecretString;
use support_pg::PgServer;

const TIMEOUT: Duration = Duration::from_secs(2);

fn key() -> KeySource {
    KeySource::Env(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([3u8; 32]),
    ))
}

fn open(pg: &PgServer, dir: &std::path::Path) -> Store {
    let config = mcp_onboard::config::StoreConfig {
        leader_timeout: TIMEOUT,
        ..pg.store_config()
    };
    Store::open_with(dir, &key(), &config).unwrap()
}

/// Ask `s` for the nodes until `ok` holds (at most `within`); what it said then.
async fn until(s: &Store, within: Duration, ok: impl Fn(&Cluster) -> bool) -> Cluster {
    let deadline = Instant::now() + within;
    loop {
        let c = s.cluster().await.unwrap();
        if ok(&c) {
            return c;
        }
        assert!(Instant::now() < deadline, "still {c:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
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

#[tokio::test]
async fn status_lists_the_nodes_the_leader_and_the_database_and_a_stopped_node_is_not_alive() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let a = open(&pg, &dir.path().join("a"));
    let b = open(&pg, &dir.path().join("b"));
    let (na, nb) = (
        a.leadership().node().to_owned(),
        b.leadership().node().to_owned(),
    );
    let c = until(&b, TIMEOUT * 3, |c| {
        c.nodes.iter().filter(|n| n.alive).count() == 2 && c.leader.is_some()
    })
    .await;
    let leader = c.leader.clone().unwrap();
    assert!(leader == na || leader == nb, "{c:?}");
    let holds = if leader == na { &a } else { &b };
    match holds.leadership().role() {
        mcp_onboard::store::Role::Leader { epoch, .. } => assert_eq!(c.epoch, Some(epoch)),
        r => panic!("the listed leader says {r:?}"),
    }
    assert!(c.database.starts_with("postgres"), "{}", c.database);
    assert!(!c.database.contains("secret"), "{}", c.database);
    let this: Vec<_> = c.nodes.iter().filter(|n| n.this).map(|n| &n.id).collect();
    assert_eq!(this, vec![&nb]);
    for n in &c.nodes {
        assert_eq!(n.release, env!("CARGO_PKG_VERSION"));
        assert!(n.seen_ago_ms < 2 * TIMEOUT.as_millis() as i64, "{n:?}");
    }
    assert!(c.describe().iter().any(|l| l.contains("(epoch")), "{c:?}");
    // Where A's listener answers, once its owner says: listed from A's next round.
    a.listener("127.0.0.1:4321");
    until(&b, TIMEOUT * 3, |c| {
        c.nodes
            .iter()
            .any(|n| n.id == na && n.listener.as_deref() == Some("127.0.0.1:4321"))
    })
    .await;

    // A stops: it is listed stopped, not alive, and B leads.
    a.stop(Duration::from_secs(10)).await.unwrap();
    let c = until(&b, TIMEOUT * 3, |c| {
        c.leader.as_deref() == Some(nb.as_str())
    })
    .await;
    let gone = c.nodes.iter().find(|n| n.id == na).expect("A listed");
    assert!(gone.stopped && !gone.alive, "{gone:?}");
    b.stop(Duration::from_secs(10)).await.unwrap();
}

#[tokio::test]
async fn the_leader_ends_a_silent_nodes_sessions_and_forgets_rows_a_day_old() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let a = open(&pg, &dir.path().join("a"));
    let deadline = Instant::now() + TIMEOUT * 3;
    while !a.leadership().is_leader() {
        assert!(Instant::now() < deadline, "A does not lead");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let b = open(&pg, &dir.path().join("b"));
    let nb = b.leadership().node().to_owned();
    // B reads, so that it holds sessions of its pool beside its keeper's.
    b.read(|r| r.tenants()).await.unwrap();
    assert!(sessions_of(&pg, &nb).await > 0);
    pg.sql(
        "INSERT INTO nodes (id, release, started_at, seen_at) VALUES \
         ('old', '0.0.9', now() - interval '3 days', now() - interval '2 days')",
    )
    .await;

    // B's keeper stops (as a process stopped with SIGSTOP): A ends its sessions.
    b.pause_lease_for_tests(TIMEOUT * 4);
    let deadline = Instant::now() + TIMEOUT * 4;
    while sessions_of(&pg, &nb).await > 0 {
        assert!(Instant::now() < deadline, "B's sessions are still there");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let c = until(&a, TIMEOUT * 3, |c| !c.nodes.iter().any(|n| n.id == "old")).await;
    let silent = c.nodes.iter().find(|n| n.id == nb).expect("B listed");
    assert!(!silent.alive && !silent.stopped, "{silent:?}");
    a.stop(Duration::from_secs(10)).await.unwrap();
    b.stop(Duration::from_secs(10)).await.unwrap();
}

#[test]
fn a_sled_store_is_one_node_that_leads() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = Store::open(&dir.path().join("data"), &key()).unwrap();
    let c = rt.block_on(store.cluster()).unwrap();
    assert_eq!(c.nodes.len(), 1);
    assert!(c.nodes[0].alive && c.nodes[0].this);
    assert_eq!(c.leader.as_deref(), Some(store.leadership().node()));
    assert_eq!(c.database, dir.path().join("data").display().to_string());
    rt.block_on(store.stop(Duration::from_secs(5))).unwrap();
}
