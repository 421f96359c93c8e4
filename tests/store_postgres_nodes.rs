//! Two nodes on one PostgreSQL: one stopped in the middle of a transaction (its writer
//! holding the change sequence's row, doing nothing) does not stall the other for longer
//! than the server takes to end an idle transaction; the stopped one's batch then runs
//! again on a new session, and nothing is lost.

mod support_pg;
mod support_store;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mcp_onboard::config::postgres_url::IDLE_IN_TRANSACTION;
use mcp_onboard::store::{Durability, Store, StoreError, Tx};
use support_pg::PgServer;
use support_store::{ME, fresh, key};

#[tokio::test]
async fn a_node_stopped_inside_a_transaction_stalls_the_other_only_until_the_server_ends_it() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let a = Store::open_with(&dir.path().join("a"), &key(8), &pg.store_config()).unwrap();
    let b = Store::open_with(&dir.path().join("b"), &key(8), &pg.store_config()).unwrap();
    // Node A's first run of this operation stops inside its transaction until node B is
    // through (or far past the server's limit), as a node paused by a debugger or SIGSTOP.
    let b_done = Arc::new(AtomicBool::new(false));
    let stopped = Arc::new(AtomicBool::new(false));
    let woke = Arc::new(AtomicBool::new(false));
    let (wait_for, mark, wake) = (b_done.clone(), stopped.clone(), woke.clone());
    let (t, e) = fresh("from-a");
    let from_a = a.commit(&ME, Durability::Durable, move |tx: &mut dyn Tx| {
        tx.tenant("from-a")?;
        if !mark.swap(true, Ordering::SeqCst) {
            let until = Instant::now() + IDLE_IN_TRANSACTION * 3;
            while !wait_for.load(Ordering::SeqCst) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(20));
            }
            wake.store(true, Ordering::SeqCst);
        }
        tx.insert_tenant(t.clone(), e.clone())
    });
    let from_a = tokio::spawn(from_a);
    while !stopped.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = Instant::now();
    let (t, e) = fresh("from-b");
    let from_b = b
        .commit(&ME, Durability::Durable, move |tx: &mut dyn Tx| {
            tx.insert_tenant(t.clone(), e.clone())
        })
        .await;
    let waited = started.elapsed();
    // B got through while A was still stopped: the server ended A's idle transaction.
    let a_still_stopped = !woke.load(Ordering::SeqCst);
    b_done.store(true, Ordering::SeqCst);
    assert!(from_b.expect("B's write went through"));
    assert!(a_still_stopped, "B waited for A to wake ({waited:?})");
    eprintln!("B waited {waited:?} for A's stopped transaction to end");
    // A's batch ran again on a new session: its write is there too.
    assert!(from_a.await.unwrap().expect("A's write, run again"));
    let slugs: Result<Vec<String>, StoreError> = b
        .read(|r| Ok(r.tenants()?.into_iter().map(|t| t.slug).collect()))
        .await;
    let mut slugs = slugs.unwrap();
    slugs.sort();
    assert_eq!(slugs, vec!["from-a".to_owned(), "from-b".to_owned()]);
    a.stop(Duration::from_secs(10)).await.unwrap();
    b.stop(Duration::from_secs(10)).await.unwrap();
}

/// Two nodes appending to the audit chain at once, with writes that move no change number
/// (an audit entry alone) among them: the chain stays one chain, every entry in it, and it
/// verifies. A transaction that waited for the other node's must see what it wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_appending_to_the_audit_chain_at_once_keep_one_chain() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let a = Store::open_with(&dir.path().join("a"), &key(8), &pg.store_config()).unwrap();
    let b = Store::open_with(&dir.path().join("b"), &key(8), &pg.store_config()).unwrap();
    const EACH: usize = 60;
    let mut writes = tokio::task::JoinSet::new();
    for i in 0..EACH {
        for (node, store) in [("a", &a), ("b", &b)] {
            let what = format!("{node}-{i}");
            writes.spawn(
                store.commit(&ME, Durability::Durable, move |tx: &mut dyn Tx| {
                    tx.append_audit("command", &what, None, "")
                }),
            );
        }
    }
    while let Some(w) = writes.join_next().await {
        w.expect("task").expect("an audit entry appended");
    }
    let entries = a
        .read(|r| {
            r.verify_audit(&[])?
                .map_err(|(at, why)| StoreError::Database(format!("audit {at}: {why}")))
        })
        .await
        .expect("the chain verifies");
    assert!(entries >= 2 * EACH as u64, "{entries} entries");
    a.stop(Duration::from_secs(10)).await.unwrap();
    b.stop(Duration::from_secs(10)).await.unwrap();
}
