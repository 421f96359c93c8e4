//! The PostgreSQL backend's own machinery, against a real server (see `support_pg`): the
//! test server itself, the schema and its migrations, the key check, retries, the change
//! sequence. What every backend promises is tested on both in the contract tests.

mod support_pg;

use support_pg::PgServer;

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
