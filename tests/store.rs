//! The typed store: keys, locking, the writer and group commit, the job index, flows and
//! sweeping, the published changes.

use std::time::Duration;

use base64::Engine as _;
use mcp_onboard::domain::actor::{Actor, Worker};
use mcp_onboard::engine::lifecycle::{NewTenant, Transition, apply, new_tenant};
use mcp_onboard::engine::model::{GoogleIdentity, PendingFlow, ProvisionStep, TenantStatus};
use mcp_onboard::store::{Change, Durability, KeySource, Store, StoreError, TakenFlow};

/// Who these writes are done for: nobody the audit chain names.
const ME: Actor = Actor::System(Worker::Owner);
use secrecy::{ExposeSecret, SecretString};

fn key(byte: u8) -> KeySource {
    KeySource::Env(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([byte; 32]),
    ))
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
    let inserted = store
        .commit(&ME, Durability::Durable, move |tx| {
            tx.insert_tenant(t.clone(), e.clone())
        })
        .await
        .unwrap();
    assert!(inserted);
}

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

#[tokio::test]
async fn an_existing_database_refuses_a_missing_or_wrong_key_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let keyfile = dir.path().join("conf/secret.key");
    {
        let store = Store::open(&data, &KeySource::File(keyfile.clone())).unwrap();
        add(&store, "acme").await;
        consent(&store, "acme", 5).await;
        store.stop(Duration::from_secs(10)).await.unwrap();
    }
    let saved = std::fs::read(&keyfile).unwrap();
    std::fs::remove_file(&keyfile).unwrap();
    let err = Store::open(&data, &KeySource::File(keyfile.clone())).unwrap_err();
    assert!(matches!(err, StoreError::Key(_)), "{err}");
    assert!(
        err.to_string().contains("key file") && err.to_string().contains("missing"),
        "{err}"
    );
    assert!(
        !keyfile.exists(),
        "no new key is made for an existing database"
    );
    let err = Store::open(&data, &key(9)).unwrap_err();
    assert!(matches!(err, StoreError::WrongKey), "{err}");
    std::fs::write(&keyfile, saved).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&keyfile, std::fs::Permissions::from_mode(0o600)).unwrap();
    let store = Store::open(&data, &KeySource::File(keyfile)).unwrap();
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
    assert_eq!(
        store.reader().schema_version().unwrap(),
        mcp_onboard::store::SCHEMA_VERSION
    );
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

#[tokio::test]
async fn the_job_index_follows_the_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("d"), &key(1)).unwrap();
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

fn flow(exp: i64) -> PendingFlow {
    PendingFlow {
        tenant: "a".into(),
        link_id: "l".into(),
        link_hash: String::new(),
        redirect_uri: "r".into(),
        created_at: 0,
        expires_at: exp,
        browser: String::new(),
    }
}

const OLD: [u8; 32] = [1; 32];
const NEW: [u8; 32] = [2; 32];

#[tokio::test]
async fn flows_are_taken_once_and_swept_when_old() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("d"), &key(1)).unwrap();
    let v = SecretString::from("verifier");
    store
        .commit(&ME, Durability::Lazy, move |tx| {
            tx.put_flow(&OLD, flow(10), &v)?;
            tx.put_flow(&NEW, flow(i64::MAX), &v)?;
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
    assert_eq!(
        store.node().pending_flows(),
        1,
        "one flow is still in its window"
    );
    let take = |h: &'static [u8]| store.commit(&ME, Durability::Lazy, move |tx| tx.take_flow(h));
    match take(&NEW).await.unwrap() {
        TakenFlow::Taken(f, verifier) => {
            assert_eq!(
                (f.tenant.as_str(), verifier.expose_secret()),
                ("a", "verifier")
            );
        }
        _ => panic!("the flow is there"),
    }
    assert!(matches!(take(&NEW).await.unwrap(), TakenFlow::Used(u) if u.tenant == "a"));
    assert!(matches!(take(&[9; 32]).await.unwrap(), TakenFlow::Unknown));
    assert!(store.reader().used_flow(&NEW).unwrap().is_some());
    let far = mcp_onboard::time::now_ms() + 10_000;
    let swept = store
        .commit(&ME, Durability::Lazy, move |tx| tx.sweep_flows(far))
        .await
        .unwrap();
    assert_eq!(swept, 2, "the expired flow and the tombstone");
    assert!(matches!(take(&OLD).await.unwrap(), TakenFlow::Unknown));
    assert!(store.reader().used_flow(&NEW).unwrap().is_none());
}

#[tokio::test]
async fn a_refused_operation_writes_nothing_and_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("d"), &key(1)).unwrap();
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

#[tokio::test]
async fn sequence_numbers_grow_across_restarts_even_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let mut last = 0;
    for round in 0..3 {
        let store = Store::open(&dir.path().join("d"), &key(1)).unwrap();
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
    let store = Store::open(&dir.path().join("d"), &key(1)).unwrap();
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

#[tokio::test]
async fn repeated_opens_are_counted_in_memory_and_written_once_per_flush() {
    use mcp_onboard::engine::model::ConsentLink;
    use mcp_onboard::store::Counted;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    const H: [u8; 32] = [7; 32];
    {
        let store = Store::open(&data, &key(1)).unwrap();
        add(&store, "a").await;
        store
            .commit(&ME, Durability::Durable, |tx| {
                tx.put_link(&H, ConsentLink::new("a", "l1", 0, i64::MAX))?;
                Ok::<_, StoreError>(())
            })
            .await
            .unwrap();
        let mut rx = store.subscribe();
        let mut firsts = 0;
        for _ in 0..300 {
            let c = store
                .commit(&ME, Durability::Lazy, |tx| tx.count_on_link(&H, false))
                .await
                .unwrap();
            firsts += matches!(c, Counted::First(_)) as u32;
        }
        assert_eq!(firsts, 1, "only the first open is written at once");
        assert_eq!(
            store.reader().links_for("a").unwrap()[0].open_count,
            300,
            "shown at once"
        );
        // Written together within a flush interval: far fewer link changes than opens.
        tokio::time::sleep(mcp_onboard::store::LAZY_FLUSH * 3).await;
        let mut link_changes = 0;
        while let Ok(c) = rx.try_recv() {
            link_changes += matches!(c.change, Change::Link { .. }) as u32;
        }
        assert!(
            (1..20).contains(&link_changes),
            "{link_changes} link writes for 300 opens"
        );
        let c = store
            .commit(&ME, Durability::Lazy, |tx| tx.count_on_link(&H, false))
            .await
            .unwrap();
        assert_eq!(c, Counted::Again);
        store.stop(Duration::from_secs(10)).await.unwrap();
    }
    let store = Store::open(&data, &key(1)).unwrap();
    assert_eq!(
        store.reader().link(&H).unwrap().unwrap().open_count,
        301,
        "every count reached the disk, the last one at the stop"
    );
}

#[tokio::test]
async fn a_link_keeps_only_its_newest_few_pending_flows() {
    use mcp_onboard::store::MAX_FLOWS_PER_LINK;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("d"), &key(1)).unwrap();
    let v = SecretString::from("verifier");
    for i in 0..(MAX_FLOWS_PER_LINK as u8 + 10) {
        let v = v.clone();
        store
            .commit(&ME, Durability::Lazy, move |tx| {
                let mut f = flow(i64::MAX);
                f.link_hash = "ab".repeat(32);
                tx.put_flow(&[i; 32], f, &v)?;
                Ok::<_, StoreError>(())
            })
            .await
            .unwrap();
    }
    assert_eq!(store.node().flow_count(), MAX_FLOWS_PER_LINK);
    assert_eq!(store.node().pending_flows(), MAX_FLOWS_PER_LINK);
    let newest = MAX_FLOWS_PER_LINK as u8 + 9;
    let taken = store
        .commit(&ME, Durability::Lazy, move |tx| tx.take_flow(&[newest; 32]))
        .await
        .unwrap();
    assert!(matches!(taken, TakenFlow::Taken(..)), "the newest is kept");
    let oldest = store
        .commit(&ME, Durability::Lazy, |tx| tx.take_flow(&[0; 32]))
        .await
        .unwrap();
    assert!(matches!(oldest, TakenFlow::Unknown), "the oldest went");
}

#[tokio::test]
async fn a_staged_flow_is_found_at_once_and_written_within_a_flush_interval() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    {
        let store = Store::open(&data, &key(1)).unwrap();
        let v = SecretString::from("verifier-1");
        let mut f = flow(i64::MAX);
        f.link_hash = "cd".repeat(32);
        // Each verifier is sealed for its own slot.
        store
            .node()
            .stage_flow(&NEW, f.clone(), store.seal_flow_verifier(&NEW, &v));
        store
            .node()
            .stage_flow(&OLD, f, store.seal_flow_verifier(&OLD, &v));
        assert_eq!(store.node().flow_count(), 2);
        let taken = store
            .commit(&ME, Durability::Lazy, |tx| tx.take_flow(&OLD))
            .await
            .unwrap();
        assert!(
            matches!(taken, TakenFlow::Taken(..)),
            "found before any write"
        );
        tokio::time::sleep(mcp_onboard::store::LAZY_FLUSH * 3).await;
        // Written and flushed by now: a crash (no stop) keeps it.
        drop(store);
        std::thread::sleep(Duration::from_millis(300));
    }
    let store = Store::open(&data, &key(1)).unwrap();
    match store
        .commit(&ME, Durability::Lazy, |tx| tx.take_flow(&NEW))
        .await
        .unwrap()
    {
        TakenFlow::Taken(_, v) => assert_eq!(v.expose_secret(), "verifier-1"),
        _ => panic!("the staged flow reached the disk"),
    }
    assert!(matches!(
        store
            .commit(&ME, Durability::Lazy, |tx| tx.take_flow(&OLD))
            .await
            .unwrap(),
        TakenFlow::Used(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staged_flows_are_written_within_a_flush_interval_even_while_the_writer_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("d"), &key(1)).unwrap();
    let mut f = flow(i64::MAX);
    f.link_hash = "ef".repeat(32);
    store.node().stage_flow(
        &[7u8; 32],
        f,
        store.seal_flow_verifier(&[7u8; 32], &SecretString::from("v")),
    );
    let start = std::time::Instant::now();
    // A console asking for a tenant every 50 ms keeps the writer busy all along.
    while start.elapsed() < Duration::from_secs(1) {
        store.applied().await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        store.reader().pending_flow(&[7u8; 32]).unwrap().is_some(),
        "written within the interval"
    );
}
