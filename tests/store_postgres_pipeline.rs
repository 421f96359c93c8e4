//! The PostgreSQL writer pipelines an operation's statements and runs many operations in
//! one transaction: one whose statement the database refuses fails alone, one that returns
//! an error after writing leaves nothing, and the others of the same batch are kept, their
//! reads seeing exactly what the kept ones wrote.

mod support_pg;

use std::time::Duration;

use base64::Engine as _;
use mcp_onboard::domain::actor::{Actor, Worker};
use mcp_onboard::engine::lifecycle::{NewTenant, new_tenant};
use mcp_onboard::store::{Durability, KeySource, Store, StoreError, Tx};
use secrecy::SecretString;
use support_pg::PgServer;

const ME: Actor = Actor::System(Worker::Owner);

fn key() -> KeySource {
    KeySource::Env(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([4u8; 32]),
    ))
}

fn fresh(
    slug: &str,
) -> (
    mcp_onboard::domain::model::Tenant,
    mcp_onboard::domain::model::AuditEvent,
) {
    new_tenant(
        &NewTenant {
            slug: slug.into(),
            ..Default::default()
        },
        1,
    )
    .unwrap()
}

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
    let store = Store::open_with(&dir.path().join("data"), &key(), &pg.store_config()).unwrap();
    // The database refuses any secret of "refused" (a statement the writer queued fails).
    pg.column("ALTER TABLE secrets ADD CONSTRAINT not_refused CHECK (slug <> 'refused')")
        .await;
    let audit_before: u32 = pg.column("SELECT count(*) FROM audit").await[0]
        .as_deref()
        .unwrap()
        .parse()
        .unwrap();
    // Everything below is queued while the writer waits: one batch.
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
    assert!(stats.round_trips > 0, "{stats:?}");
    assert!(store.failure().is_none());
    store.stop(Duration::from_secs(10)).await.unwrap();
}

#[tokio::test]
async fn in_one_batch_links_and_data_keys_read_after_writes_are_what_the_kept_operations_left() {
    use mcp_onboard::engine::model::ConsentLink;
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(&dir.path().join("data"), &key(), &pg.store_config()).unwrap();
    adding(&store, "t").await.unwrap();
    let (u, e) = fresh("u");
    store
        .commit(&ME, Durability::Durable, move |tx: &mut dyn Tx| {
            tx.insert_tenant(u.clone(), e.clone())?;
            tx.put_link(&[1; 32], ConsentLink::new("t", "l1", 10, i64::MAX))
        })
        .await
        .unwrap();
    store.stall_for_tests(Duration::from_millis(400));
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Reads the tenant (and with it its links and key), then adds a link.
    let a = store.commit(&ME, Durability::Durable, |tx: &mut dyn Tx| {
        assert!(tx.tenant("t")?.is_some());
        assert_eq!(tx.links_of("t")?.len(), 1);
        tx.put_link(&[2; 32], ConsentLink::new("t", "l2", 20, i64::MAX))
    });
    // Adds a link and the first data key of "u", then is undone.
    let b = store.commit(&ME, Durability::Durable, |tx: &mut dyn Tx| {
        assert!(tx.tenant("u")?.is_some());
        tx.put_link(&[3; 32], ConsentLink::new("t", "l3", 5, i64::MAX))?;
        tx.put_secret("u", "refresh_token", &SecretString::from("undone"))?;
        Err::<(), _>(StoreError::Database("undone".into()))
    });
    // Sees the kept link and not the undone one; gives "u" its first key.
    let c = store.commit(&ME, Durability::Durable, |tx: &mut dyn Tx| {
        let ids: Vec<String> = tx.links_of("t")?.into_iter().map(|(_, l)| l.id).collect();
        let third = tx.link(&[3; 32])?.is_some();
        let second = tx.link(&[2; 32])?.map(|l| l.id);
        tx.put_secret("u", "refresh_token", &SecretString::from("kept"))?;
        Ok::<_, StoreError>((ids, third, second))
    });
    // Removes "t": its links go, and a read after says so.
    let d = store.commit(&ME, Durability::Durable, |tx: &mut dyn Tx| {
        tx.remove_tenant("t")?;
        Ok::<_, StoreError>((tx.links_of("t")?.len(), tx.link(&[1; 32])?.is_some()))
    });
    let (a, b, c, d) = tokio::join!(a, b, c, d);
    a.unwrap();
    assert!(b.is_err());
    let (ids, third, second) = c.unwrap();
    assert_eq!(ids, vec!["l1".to_owned(), "l2".to_owned()]);
    assert!(!third, "the undone link is not there");
    assert_eq!(second.as_deref(), Some("l2"));
    assert_eq!(d.unwrap(), (0, false));
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
