//! The PostgreSQL writer pipelines an operation's statements and runs many operations in
//! one transaction: one whose statement the database refuses fails alone, one that returns
//! an error after writing leaves nothing, and the others of the same batch are kept, their
//! reads seeing exactly what the kept ones wrote.

mod support_pg;
mod support_store;

use std::time::Duration;

use mcp_onboard::store::{Durability, Store, StoreError, Tx};
use secrecy::SecretString;
use support_pg::{PgServer, elsewhere};
use support_store::{ME, fresh, key};

/// Add `slug` with a secret; `Err` when the store refused it.
fn adding(store: &Store, slug: &'static str) -> impl Future<Output = Result<bool, StoreError>> {
    let (t, e) = fresh(slug);
    store.commit(&ME, Durability::Durable, move |tx: &mut dyn Tx| {
        let ok = tx.insert_tenant(t.clone(), e.clone())?;
        tx.put_secret(slug, "refresh_token", &SecretString::from("1//tok"))?;
        Ok::<_, StoreError>(ok)
    })
}

#[tokio::test]
async fn in_one_batch_a_refused_statement_and_an_undone_operation_leave_nothing_and_the_rest_is_kept()
 {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(&dir.path().join("data"), &key(4), &pg.store_config()).unwrap();
    // The database refuses any secret of "refused" (a statement the writer queued fails).
    pg.column("ALTER TABLE secrets ADD CONSTRAINT not_refused CHECK (slug <> 'refused')")
        .await;
    let audit_before: u32 = pg.column("SELECT count(*) FROM audit").await[0]
        .as_deref()
        .unwrap()
        .parse()
        .unwrap();
    // Everything below is queued while the writer waits: one batch.
    let batches = store.stats().batches;
    store.stall_for_tests(Duration::from_millis(400));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let first = adding(&store, "first");
    let refused = adding(&store, "refused");
    let (t, e) = fresh("undone");
    let undone = store.commit(&ME, Durability::Durable, move |tx: &mut dyn Tx| {
        tx.insert_tenant(t.clone(), e.clone())?;
        tx.put_secret("undone", "refresh_token", &SecretString::from("x"))?;
        Err::<(), _>(StoreError::Database(
            "the operation changed its mind".into(),
        ))
    });
    // Reads what the batch holds so far: "first" is there, "undone" and "refused" are not.
    let seen = store.commit(&ME, Durability::Durable, |tx: &mut dyn Tx| {
        Ok::<_, StoreError>([
            tx.tenant("first")?.is_some(),
            tx.tenant("undone")?.is_some(),
            tx.tenant("refused")?.is_some(),
        ])
    });
    let last = adding(&store, "last");
    let (first, refused, undone, seen, last) = tokio::join!(first, refused, undone, seen, last);
    assert!(first.unwrap());
    let why = refused.expect_err("its statement was refused").to_string();
    assert!(why.contains("not_refused"), "{why}");
    assert!(undone.is_err());
    assert_eq!(seen.unwrap(), [true, false, false]);
    assert!(last.unwrap());

    let slugs = pg.column("SELECT slug FROM tenants ORDER BY slug").await;
    assert_eq!(slugs, vec![Some("first".into()), Some("last".into())]);
    let secrets = pg.column("SELECT slug FROM secrets ORDER BY slug").await;
    assert_eq!(secrets, vec![Some("first".into()), Some("last".into())]);
    let keys = pg
        .column("SELECT slug FROM tenant_keys ORDER BY slug")
        .await;
    assert_eq!(keys, vec![Some("first".into()), Some("last".into())]);
    // The audit chain holds the two kept additions, linked without a hole.
    let audit = store
        .read(|r| Ok(r.verify_audit(&[])?.is_ok()))
        .await
        .unwrap();
    assert!(audit, "the chain verifies");
    let entries = pg.column("SELECT count(*) FROM audit").await;
    assert_eq!(entries, vec![Some((audit_before + 2).to_string())]);
    let stats = store.stats();
    assert_eq!(stats.batches, batches + 1, "one batch: {stats:?}");
    assert!(store.failure().is_none());
    store.stop(Duration::from_secs(10)).await.unwrap();
}

#[tokio::test]
async fn in_one_batch_links_and_data_keys_read_after_writes_are_what_the_kept_operations_left() {
    use mcp_onboard::engine::model::ConsentLink;
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(&dir.path().join("data"), &key(4), &pg.store_config()).unwrap();
    adding(&store, "t").await.unwrap();
    let (u, e) = fresh("u");
    store
        .commit(&ME, Durability::Durable, move |tx: &mut dyn Tx| {
            tx.insert_tenant(u.clone(), e.clone())?;
            tx.put_link(&[1; 32], ConsentLink::new("t", "l1", 10, i64::MAX))
        })
        .await
        .unwrap();
    let batches = store.stats().batches;
    store.stall_for_tests(Duration::from_millis(400));
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Reads the tenant (and with it its links and key), then adds a link.
    let a = store.commit(&ME, Durability::Durable, |tx: &mut dyn Tx| {
        let seen = (tx.tenant("t")?.is_some(), tx.links_of("t")?.len());
        tx.put_link(&[2; 32], ConsentLink::new("t", "l2", 20, i64::MAX))?;
        Ok::<_, StoreError>(seen)
    });
    // Adds a link and the first data key of "u", then is undone before anything of it
    // reached the server.
    let b = store.commit(&ME, Durability::Durable, |tx: &mut dyn Tx| {
        tx.tenant("u")?;
        tx.put_link(&[3; 32], ConsentLink::new("t", "l3", 5, i64::MAX))?;
        tx.put_secret("u", "refresh_token", &SecretString::from("undone"))?;
        Err::<(), _>(StoreError::Database("undone".into()))
    });
    // Adds a link, reads (so the link reaches the server), then is undone.
    let sent = store.commit(&ME, Durability::Durable, |tx: &mut dyn Tx| {
        tx.put_link(&[4; 32], ConsentLink::new("t", "l4", 30, i64::MAX))?;
        tx.tenant("nobody")?;
        Err::<(), _>(StoreError::Database(
            "undone after its write was sent".into(),
        ))
    });
    // Withdraws l1 (same tenant, same creation: the tenant's list stays as it was).
    let withdraw = store.commit(&ME, Durability::Durable, |tx: &mut dyn Tx| {
        let mut l1 = tx.link(&[1; 32])?.expect("l1");
        l1.revoked = true;
        tx.put_link(&[1; 32], l1)
    });
    // Sees the kept links and not the undone ones; gives "u" its first key.
    let c = store.commit(&ME, Durability::Durable, |tx: &mut dyn Tx| {
        let listed: Vec<(String, bool)> = tx
            .links_of("t")?
            .into_iter()
            .map(|(_, l)| (l.id, l.revoked))
            .collect();
        let undone = [tx.link(&[3; 32])?.is_some(), tx.link(&[4; 32])?.is_some()];
        let second = tx.link(&[2; 32])?.map(|l| l.id);
        tx.put_secret("u", "refresh_token", &SecretString::from("kept"))?;
        Ok::<_, StoreError>((listed, undone, second))
    });
    // Removes "t": its links go, and a read after says so.
    let d = store.commit(&ME, Durability::Durable, |tx: &mut dyn Tx| {
        tx.remove_tenant("t")?;
        Ok::<_, StoreError>((tx.links_of("t")?.len(), tx.link(&[1; 32])?.is_some()))
    });
    let (a, b, sent, withdraw, c, d) = tokio::join!(a, b, sent, withdraw, c, d);
    assert_eq!(a.unwrap(), (true, 1));
    assert!(b.is_err());
    assert!(sent.is_err());
    withdraw.unwrap();
    let (listed, undone, second) = c.unwrap();
    assert_eq!(
        listed,
        vec![("l1".to_owned(), true), ("l2".to_owned(), false)]
    );
    assert_eq!(undone, [false, false], "the undone links are not there");
    assert_eq!(second.as_deref(), Some("l2"));
    assert_eq!(d.unwrap(), (0, false));
    assert_eq!(store.stats().batches, batches + 1, "one batch");
    // The secret of "u" opens under the one key the database holds.
    let secret = store
        .read(|r| r.secret("u", "refresh_token"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(secrecy::ExposeSecret::expose_secret(&secret), "kept");
    let keys = pg
        .column("SELECT slug FROM tenant_keys ORDER BY slug")
        .await;
    assert_eq!(keys, vec![Some("u".into())]);
    let links = pg.column("SELECT count(*) FROM links").await;
    assert_eq!(links, vec![Some("0".into())]);
    store.stop(Duration::from_secs(10)).await.unwrap();
}

/// The writer's own session, ended by the server.
const END_THE_WRITER: &str = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
     WHERE pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'";

#[tokio::test]
async fn a_session_the_server_ends_in_the_middle_of_a_batch_runs_the_batch_again_failing_no_one() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(&dir.path().join("data"), &key(4), &pg.store_config()).unwrap();
    adding(&store, "t").await.unwrap();
    store.stall_for_tests(Duration::from_millis(400));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let first = adding(&store, "first");
    // The first run of this operation has the server end the writer's session, then reads.
    let url = pg.url();
    let ended = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let once = ended.clone();
    let reader = store.commit(&ME, Durability::Durable, move |tx: &mut dyn Tx| {
        if !once.swap(true, std::sync::atomic::Ordering::SeqCst) {
            elsewhere(&url, END_THE_WRITER);
        }
        Ok::<_, StoreError>(tx.tenant("t")?.is_some())
    });
    let last = adding(&store, "last");
    let (first, reader, last) = tokio::join!(first, reader, last);
    assert!(ended.load(std::sync::atomic::Ordering::SeqCst));
    assert!(first.unwrap());
    assert!(reader.expect("not this operation's fault"));
    assert!(last.unwrap());
    assert!(store.failure().is_none());
    // Idle, the writer's session ended again: a lazy write, then a flush to disk.
    store
        .commit(&ME, Durability::Lazy, |tx: &mut dyn Tx| {
            tx.put_secret("t", "other", &SecretString::from("x"))
        })
        .await
        .unwrap();
    // The store's sessions are named by its node id.
    elsewhere(
        &pg.url(),
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' \
             AND application_name = '{}' AND state = 'idle'",
            store.leadership().node()
        ),
    );
    store.sync().await.expect("made durable on a new session");
    let slugs = pg.column("SELECT slug FROM tenants ORDER BY slug").await;
    assert_eq!(
        slugs,
        vec![Some("first".into()), Some("last".into()), Some("t".into())]
    );
    store.stop(Duration::from_secs(10)).await.unwrap();
}
