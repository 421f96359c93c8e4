//! The PostgreSQL backend's own machinery, against a real server (see `support_pg`): the
//! test server itself, the schema and its migrations, the key check, retries, the change
//! sequence. What every backend promises is tested on both in the contract tests.

mod support_pg;

use support_pg::{PgServer, elsewhere};

#[tokio::test]
async fn the_test_server_answers_on_its_socket_and_leaves_nothing_behind() {
    let Some(pg) = PgServer::start() else { return };
    let dir = pg.socket_dir().to_owned();
    let version = pg.column("SHOW server_version_num").await;
    let n: u32 = version[0].as_deref().unwrap().parse().unwrap();
    assert!(n >= 130000, "a supported server: {n}");
    let fsync = pg.column("SHOW fsync").await;
    assert_eq!(fsync[0].as_deref(), Some("off"));
    // No TCP port: only the socket in its own folder.
    let listen = pg.column("SHOW listen_addresses").await;
    assert_eq!(listen[0].as_deref(), Some(""));
    drop(pg);
    assert!(!dir.exists(), "its folder is gone: {}", dir.display());
}

use std::time::Duration;

use base64::Engine as _;
use mcp_onboard::domain::actor::{Actor, Worker};
use mcp_onboard::engine::lifecycle::{NewTenant, new_tenant};
use mcp_onboard::store::{Durability, KeySource, Store, StoreError};
use secrecy::{ExposeSecret, SecretString};

const ME: Actor = Actor::System(Worker::Owner);

fn key(byte: u8) -> KeySource {
    KeySource::Env(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([byte; 32]),
    ))
}

fn open(pg: &PgServer, dir: &std::path::Path, k: u8) -> Result<Store, StoreError> {
    Store::open_with(dir, &key(k), &pg.store_config())
}

async fn add(store: &Store, slug: &str) {
    let (t, e) = new_tenant(
        &NewTenant {
            slug: slug.into(),
            ..Default::default()
        },
        1,
    )
    .unwrap();
    let slug = slug.to_owned();
    let inserted = store
        .commit(&ME, Durability::Durable, move |tx| {
            let ok = tx.insert_tenant(t.clone(), e.clone())?;
            tx.put_secret(&slug, "refresh_token", &SecretString::from("1//tok"))?;
            Ok::<_, StoreError>(ok)
        })
        .await
        .unwrap();
    assert!(inserted);
}

#[tokio::test]
async fn a_new_database_gets_the_schema_and_keeps_what_is_written_across_a_restart() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let store = open(&pg, &data, 1).unwrap();
        assert_eq!(store.schema_found(), 0, "a new database");
        add(&store, "acme").await;
        store.stop(Duration::from_secs(10)).await.unwrap();
    }
    let store = open(&pg, &data, 1).unwrap();
    assert_eq!(
        store.schema_found(),
        mcp_onboard::store::postgres::PG_SCHEMA_VERSION
    );
    let r = store.reader();
    let t = std::thread::spawn(move || {
        (
            r.tenant("acme").unwrap().unwrap().slug,
            r.secret("acme", "refresh_token")
                .unwrap()
                .unwrap()
                .expose_secret()
                .to_owned(),
            r.timeline("acme").unwrap().len(),
        )
    })
    .join()
    .unwrap();
    assert_eq!(t, ("acme".to_owned(), "1//tok".to_owned(), 1));
    assert_eq!(
        store.node().counts().0,
        1,
        "the read model is built at open"
    );
    // The token is sealed in the database: never in clear.
    let stored = pg
        .column("SELECT encode(sealed, 'escape') FROM secrets")
        .await;
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].as_deref().unwrap().contains("1//tok"));
    // A key that does not open the key check is refused.
    drop(store);
    let err = open(&pg, &data, 9).expect_err("another key is refused");
    assert!(matches!(err, StoreError::WrongKey), "{err}");
}

#[tokio::test]
async fn an_operation_that_lost_a_serialization_conflict_runs_again_and_loses_no_update() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = open(&pg, &dir.path().join("data"), 1).unwrap();
    add(&store, "acme").await;
    let mut events = store.subscribe();
    let runs = Arc::new(AtomicUsize::new(0));
    let (url, counted) = (pg.url(), runs.clone());
    let name = store
        .commit(&ME, Durability::Durable, move |tx| {
            let mut t = tx.tenant("acme")?.unwrap();
            if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                // Another process renames the tenant after this transaction read it.
                elsewhere(
                    &url,
                    "UPDATE tenants SET record = convert_to(replace(convert_from(record, 'UTF8'), \
                     '\"display_name\":\"acme\"', '\"display_name\":\"theirs\"'), 'UTF8') \
                     WHERE slug = 'acme'",
                );
            }
            t.display_name = format!("{} and mine", t.display_name);
            tx.put_tenant(t.clone(), None)?;
            Ok::<_, StoreError>(t.display_name)
        })
        .await
        .unwrap();
    assert_eq!(
        runs.load(Ordering::SeqCst),
        2,
        "run again after the conflict"
    );
    assert_eq!(name, "theirs and mine", "neither change is lost");
    let stored = store.read(|r| r.tenant("acme")).await.unwrap().unwrap();
    assert_eq!(stored.display_name, "theirs and mine");
    let c = events.recv().await.unwrap();
    assert!(
        matches!(&c.change, mcp_onboard::store::Change::Tenant { tenant, .. } if tenant.display_name == "theirs and mine"),
        "only the run that committed is published: {c:?}"
    );
    assert!(events.try_recv().is_err(), "published once");
}

#[tokio::test]
async fn a_change_sequence_that_went_backwards_is_refused_and_the_store_stops() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = open(&pg, &dir.path().join("data"), 1).unwrap();
    add(&store, "a").await;
    add(&store, "b").await;
    let published = store.last_seq();
    assert!(published >= 2, "{published}");
    // The database loses its last commits, as a restore or a failover to a lagging
    // replica does.
    pg.sql("UPDATE change_seq SET last = 1").await;
    let (t, e) = new_tenant(
        &NewTenant {
            slug: "c".into(),
            ..Default::default()
        },
        1,
    )
    .unwrap();
    let err = store
        .commit(&ME, Durability::Durable, move |tx| {
            tx.insert_tenant(t.clone(), e.clone())
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::SequenceBackwards { found: 1, .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("went backwards") && text.contains(&published.to_string()),
        "{text}"
    );
    assert!(
        store.failure().is_some(),
        "the owner hears the store stopped"
    );
    assert_eq!(store.last_seq(), published, "nothing published over it");
    let rows = pg.column("SELECT slug FROM tenants ORDER BY slug").await;
    assert_eq!(
        rows,
        vec![Some("a".into()), Some("b".into())],
        "nothing written"
    );
}

#[tokio::test]
async fn a_database_a_later_release_changed_is_refused_naming_the_release_it_needs() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    drop(open(&pg, &data, 1).unwrap());
    // A later release added to the schema only: this one runs on it.
    pg.sql("INSERT INTO schema_migrations (version, min_release) VALUES (98, '0.0.1')")
        .await;
    let store = open(&pg, &data, 1).unwrap();
    assert_eq!(store.schema_found(), 98);
    drop(store);
    // One that changed what this release reads says which release it needs.
    pg.sql("INSERT INTO schema_migrations (version, min_release) VALUES (99, '99.0.0')")
        .await;
    let err = open(&pg, &data, 1).unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("99.0.0"), "{err}");
}

#[tokio::test]
async fn processes_opening_a_new_database_at_once_migrate_it_once_and_share_one_key_check() {
    let Some(pg) = PgServer::start() else { return };
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let config = pg.store_config();
    let opened: Vec<_> = dirs
        .iter()
        .map(|d| {
            let (data, config) = (d.path().join("data"), config.clone());
            std::thread::spawn(move || Store::open_with(&data, &key(1), &config))
        })
        .collect();
    for o in opened {
        let store = o.join().unwrap().unwrap();
        drop(store);
    }
    let versions = pg.column("SELECT version FROM schema_migrations").await;
    let each: Vec<_> = ["1", "2", "3", "4", "5"].map(|v| Some(v.to_owned())).into();
    assert_eq!(versions, each);
    let checks = pg
        .column("SELECT count(*) FROM meta WHERE key = 'key_check'")
        .await;
    assert_eq!(checks, vec![Some("1".to_owned())]);
    let genesis = pg.column("SELECT count(*) FROM audit").await;
    assert_eq!(genesis, vec![Some("1".to_owned())], "one chain");
}

#[tokio::test]
async fn an_acknowledged_durable_commit_survives_a_crash_of_the_server_and_the_store_reconnects() {
    let Some(pg) = PgServer::start_durable() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = open(&pg, &data, 1).unwrap();
    add(&store, "acme").await;
    // The server dies without a checkpoint; what was acknowledged is in its log.
    pg.down("immediate");
    pg.up();
    // The writer connects again; the readers' pool drops its dead connections.
    add(&store, "beta").await;
    let slugs = store
        .read(|r| Ok(r.tenants()?.into_iter().map(|t| t.slug).collect::<Vec<_>>()))
        .await;
    let slugs = match slugs {
        Ok(s) => s,
        // A pooled connection that died with the server fails once, then is replaced.
        Err(_) => store
            .read(|r| Ok(r.tenants()?.into_iter().map(|t| t.slug).collect::<Vec<_>>()))
            .await
            .unwrap(),
    };
    assert_eq!(slugs, vec!["acme".to_owned(), "beta".to_owned()]);
    store.stop(Duration::from_secs(10)).await.unwrap();
}

#[tokio::test]
async fn an_operation_that_panics_fails_alone_and_the_writer_goes_on() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = open(&pg, &dir.path().join("data"), 1).unwrap();
    let res: Result<(), StoreError> = store
        .commit(&ME, Durability::Durable, |tx| {
            tx.put_secret("ghost", "refresh_token", &SecretString::from("x"))?;
            panic!("an operation's own bug");
        })
        .await;
    assert!(res.is_err());
    add(&store, "acme").await;
    let secrets = pg.column("SELECT slug FROM secrets ORDER BY slug").await;
    assert_eq!(
        secrets,
        vec![Some("acme".to_owned())],
        "nothing of the panicked one"
    );
    assert!(store.failure().is_none());
}

#[tokio::test]
async fn a_database_behind_what_this_node_saw_made_durable_is_refused_at_open() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = open(&pg, &data, 1).unwrap();
    add(&store, "a").await;
    add(&store, "b").await;
    let seen = store.last_seq();
    store.stop(Duration::from_secs(10)).await.unwrap();
    drop(store);
    // While the node is away the database goes back to an older copy.
    pg.sql("UPDATE change_seq SET last = 1").await;
    let err = open(&pg, &data, 1).unwrap_err();
    assert!(
        matches!(err, StoreError::SequenceBackwards { found: 1, published } if published == seen),
        "{err}"
    );
    assert!(err.to_string().contains("store-seq"), "{err}");
    // Restored on purpose: the operator says so, and it opens.
    std::fs::remove_file(data.join("store-seq")).unwrap();
    let store = open(&pg, &data, 1).unwrap();
    assert_eq!(store.last_seq(), 1);
}
