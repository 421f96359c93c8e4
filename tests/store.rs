//! The typed store: keys, locking, the writer and group commit, the job index, the
//! published changes and their sequence (flows and a link's counts: `store_flows`). What
//! every backend promises runs on each (`case`s `sled` and `postgres`); sled's own
//! machinery (its lock, the writer's group commit) on sled alone.

mod support_pg;
mod support_store;

use std::time::Duration;

use mcp_onboard::engine::lifecycle::{Transition, apply};
use mcp_onboard::engine::model::{GoogleIdentity, ProvisionStep, TenantStatus};
use mcp_onboard::store::{Change, Durability, KeySource, Store, StoreError};
use rstest::rstest;
use secrecy::{ExposeSecret, SecretString};
use support_pg::{Backend, Home};
use support_store::{ME, add, key};

async fn transition(store: &Store, slug: &str, t: Transition, now: i64, secret: Option<&str>) {
    let slug = slug.to_owned();
    let secret = secret.map(|s| SecretString::from(s.to_owned()));
    store
        .commit(&ME, Durability::Durable, move |tx| {
            let cur = tx.tenant(&slug)?.unwrap();
            let (next, e) = apply(&cur, &t, now).unwrap();
            tx.put_tenant(next, Some(e))?;
            if let Some(s) = &secret {
                tx.put_secret(&slug, "refresh_token", s)?;
            }
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
}

fn consented() -> Transition {
    Transition::Consented {
        identity: GoogleIdentity {
            sub: "1".into(),
            email: None,
            email_verified: false,
            hd: None,
        },
        granted_scopes: vec![],
    }
}

async fn consent(store: &Store, slug: &str, now: i64) {
    transition(store, slug, consented(), now, Some("1//tok")).await;
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn an_existing_database_refuses_a_missing_or_wrong_key_and_loses_nothing(
    #[case] backend: Backend,
) {
    let Some(home) = Home::new(backend) else {
        return;
    };
    let keyfile = home.dir.path().join("conf/secret.key");
    {
        let store = home.open(&KeySource::File(keyfile.clone())).unwrap();
        add(&store, "acme").await;
        consent(&store, "acme", 5).await;
        store.stop(Duration::from_secs(10)).await.unwrap();
    }
    let saved = std::fs::read(&keyfile).unwrap();
    std::fs::remove_file(&keyfile).unwrap();
    let err = home.open(&KeySource::File(keyfile.clone())).unwrap_err();
    assert!(matches!(err, StoreError::Key(_)), "{err}");
    assert!(
        err.to_string().contains("key file") && err.to_string().contains("missing"),
        "{err}"
    );
    assert!(
        !keyfile.exists(),
        "no new key is made for an existing database"
    );
    let err = home.open(&key(9)).unwrap_err();
    assert!(matches!(err, StoreError::WrongKey), "{err}");
    std::fs::write(&keyfile, saved).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&keyfile, std::fs::Permissions::from_mode(0o600)).unwrap();
    let store = home.open(&KeySource::File(keyfile)).unwrap();
    assert_eq!(
        store
            .reader()
            .secret("acme", "refresh_token")
            .unwrap()
            .unwrap()
            .expose_secret(),
        "1//tok"
    );
    assert_eq!(store.reader().timeline("acme").unwrap().len(), 2);
    let schema = match backend {
        Backend::Sled => mcp_onboard::store::SCHEMA_VERSION,
        Backend::Postgres => mcp_onboard::store::postgres::PG_SCHEMA_VERSION,
    };
    assert_eq!(store.reader().schema_version().unwrap(), schema);
}

#[test]
fn a_second_open_names_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Store::open(&dir.path().join("d"), &key(1)).unwrap();
    let err = Store::open(&dir.path().join("d"), &key(1)).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Locked { .. }), "{text}");
    assert!(
        text.contains(&format!("process {}", std::process::id())),
        "{text}"
    );
}

#[test]
fn a_data_dir_others_can_read_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = Store::open(dir.path(), &key(1)).unwrap_err().to_string();
    assert!(err.contains("chmod 700"), "{err}");
    assert!(!dir.path().join("db").exists(), "nothing was created");
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn the_job_index_follows_the_tenant(#[case] backend: Backend) {
    let Some(home) = Home::new(backend) else {
        return;
    };
    let store = home.open(&key(1)).unwrap();
    add(&store, "a").await;
    add(&store, "b").await;
    assert_eq!(store.node().due_jobs(100), (vec![], None));
    consent(&store, "a", 50).await;
    consent(&store, "b", 500).await;
    assert_eq!(
        store.node().due_jobs(100),
        (vec!["a".to_owned()], Some(500))
    );
    // Stopping a job takes it out of the index.
    let generation = store
        .reader()
        .tenant("a")
        .unwrap()
        .unwrap()
        .provision
        .unwrap()
        .generation;
    let t = Transition::ProvisionFailed {
        generation,
        step: ProvisionStep::Connection,
        kind: mcp_onboard::engine::model::FailureKind::BlaxelRejected,
        reason: "no".into(),
    };
    transition(&store, "a", t, 60, None).await;
    assert_eq!(store.node().due_jobs(1000), (vec!["b".to_owned()], None));
    assert_eq!(store.node().counts().1.get(&TenantStatus::Failed), Some(&1));
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_refused_operation_writes_nothing_and_publishes_nothing(#[case] backend: Backend) {
    let Some(home) = Home::new(backend) else {
        return;
    };
    let store = home.open(&key(1)).unwrap();
    add(&store, "a").await;
    let mut rx = store.subscribe();
    let res: Result<(), StoreError> = store
        .commit(&ME, Durability::Durable, |tx| {
            let t = tx.tenant("a")?.unwrap();
            let mut t2 = t.clone();
            t2.display_name = "changed".into();
            tx.put_tenant(t2, None)?;
            tx.put_secret("a", "refresh_token", &SecretString::from("x"))?;
            Err(StoreError::Closed("refused on purpose".into()))
        })
        .await;
    assert!(res.is_err());
    assert_eq!(
        store.reader().tenant("a").unwrap().unwrap().display_name,
        "a"
    );
    assert!(
        store
            .reader()
            .secret("a", "refresh_token")
            .unwrap()
            .is_none()
    );
    assert_eq!(store.node().brief("a").unwrap().display_name, "a");
    // The next change is the first anyone sees.
    add(&store, "b").await;
    let c = rx.recv().await.unwrap();
    assert!(matches!(&c.change, Change::Tenant { tenant, .. } if tenant.slug == "b"));
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn sequence_numbers_grow_across_restarts_even_after_a_crash(#[case] backend: Backend) {
    let Some(home) = Home::new(backend) else {
        return;
    };
    let mut last = 0;
    for round in 0..3 {
        let store = home.open(&key(1)).unwrap();
        let mut rx = store.subscribe();
        add(&store, &format!("t{round}")).await;
        let c = rx.recv().await.unwrap();
        assert!(c.seq > last, "round {round}: {} after {last}", c.seq);
        last = c.seq;
        if round == 1 {
            // No orderly stop: the store is just dropped, as in a crash.
            drop(store);
            std::thread::sleep(Duration::from_millis(300));
        } else {
            store.stop(Duration::from_secs(10)).await.unwrap();
            drop(store);
        }
    }
    let store = home.open(&key(1)).unwrap();
    let seqs: Vec<u64> = store
        .reader()
        .entries_since(0, 100)
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs.len(), 3);
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
}

#[tokio::test]
async fn many_durable_writers_at_once_share_flushes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("d"), &key(1)).unwrap();
    let before = store.stats();
    let mut tasks = Vec::new();
    for i in 0..256 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            add(&store, &format!("t{i:03}")).await
        }));
    }
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(60), t)
            .await
            .expect("no writer waits forever")
            .unwrap();
    }
    let after = store.stats();
    let flushes = after.flushes - before.flushes;
    assert_eq!(store.node().counts().0, 256);
    assert!(
        flushes < 256,
        "group commit: {flushes} flushes for 256 durable writes"
    );
}
