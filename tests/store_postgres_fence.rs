//! The fence on writes of leader-only work, on a real PostgreSQL shared by two stores (as
//! two nodes): an operation submitted for a background worker while its node led, run
//! after another node took the lease over, fails with "not the leader" and writes
//! nothing, while a customer's operation in the same batch commits; once the node knows
//! it follows, such an operation is refused before it is queued.

mod support_pg;

use std::time::{Duration, Instant};

use base64::Engine as _;
use mcp_onboard::domain::actor::{Actor, Worker};
use mcp_onboard::engine::lifecycle::{NewTenant, new_tenant};
use mcp_onboard::store::{Durability, KeySource, Role, Store, StoreError, Tx};
use secrecy::SecretString;
use support_pg::PgServer;

const TIMEOUT: Duration = Duration::from_secs(2);
const WORKER: Actor = Actor::System(Worker::Provisioner);

fn key() -> KeySource {
    KeySource::Env(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([7u8; 32]),
    ))
}

fn open(pg: &PgServer, dir: &std::path::Path) -> Store {
    let config = mcp_onboard::config::StoreConfig {
        leader_timeout: TIMEOUT,
        ..pg.store_config()
    };
    Store::open_with(dir, &key(), &config).unwrap()
}

async fn until_leads(s: &Store, within: Duration) -> u64 {
    let deadline = Instant::now() + within;
    loop {
        if let Role::Leader { epoch, .. } = s.leadership().role() {
            return epoch;
        }
        assert!(Instant::now() < deadline, "no lead within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Add the tenant `slug` for `actor`.
fn add(
    s: &Store,
    actor: &Actor,
    slug: &str,
) -> impl std::future::Future<Output = Result<bool, StoreError>> + use<> {
    let input = NewTenant {
        slug: slug.into(),
        ..Default::default()
    };
    let (t, e) = new_tenant(&input, 1).unwrap();
    s.commit(actor, Durability::Durable, move |tx: &mut dyn Tx| {
        tx.insert_tenant(t.clone(), e.clone())
    })
}

async fn exists(s: &Store, slug: &str) -> bool {
    let slug = slug.to_owned();
    s.read(move |r| r.tenant(&slug)).await.unwrap().is_some()
}

#[tokio::test]
async fn a_write_under_a_lease_taken_over_fails_alone_and_a_followers_is_refused_before_it_is_queued()
 {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let a = open(&pg, &dir.path().join("a"));
    let first = until_leads(&a, TIMEOUT * 3).await;
    let b = open(&pg, &dir.path().join("b"));
    add(&a, &WORKER, "before").await.unwrap();

    // A's keeper stops (as a process stopped with SIGSTOP) and its writer is held up;
    // meanwhile a worker's write and a customer's are queued, while A still leads.
    a.pause_lease_for_tests(TIMEOUT * 5);
    a.stall_for_tests(TIMEOUT * 4);
    assert!(a.leadership().is_leader());
    let worker = add(&a, &WORKER, "fenced");
    let customer = add(&a, &Actor::Customer, "customer");
    let second = until_leads(&b, TIMEOUT * 4).await;
    assert!(second > first, "epoch {second} after {first}");

    // The batch runs once the writer goes on: under the new lease.
    let (worker, customer) = tokio::join!(worker, customer);
    assert!(
        matches!(worker, Err(StoreError::NotLeader(_))),
        "the worker's write: {worker:?}"
    );
    customer.unwrap();
    assert!(!exists(&b, "fenced").await, "the fenced write was kept");
    assert!(exists(&b, "customer").await);
    assert!(exists(&b, "before").await);

    // A knows it follows now: a worker's write is refused at once.
    assert_eq!(a.leadership().role(), Role::Follower);
    let refused = add(&a, &WORKER, "after").await;
    assert!(
        matches!(refused, Err(StoreError::NotLeader(_))),
        "{refused:?}"
    );
    assert!(!exists(&b, "after").await);
    // B, the leader, writes for its workers.
    add(&b, &WORKER, "by-b").await.unwrap();
    assert!(exists(&a, "by-b").await);
    a.stop(Duration::from_secs(10)).await.unwrap();
    b.stop(Duration::from_secs(10)).await.unwrap();
}
