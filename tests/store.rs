//! The typed store: keys, locking, the job index, flows and sweeping.

use base64::Engine as _;
use mcp_onboard::engine::lifecycle::{NewTenant, Transition, apply, new_tenant};
use mcp_onboard::engine::model::{GoogleIdentity, PendingFlow, ProvisionStep};
use mcp_onboard::store::{KeySource, Store, StoreError};
use secrecy::{ExposeSecret, SecretString};

fn key(byte: u8) -> KeySource {
    KeySource::Env(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([byte; 32]),
    ))
}

fn add(store: &Store, slug: &str) {
    let (t, e) = new_tenant(
        &NewTenant {
            slug: slug.into(),
            ..Default::default()
        },
        1,
    )
    .unwrap();
    assert!(store.insert_tenant(&t, &e).unwrap());
}

fn consent(store: &Store, slug: &str, now: i64) {
    let t = Transition::Consented {
        identity: GoogleIdentity {
            sub: "1".into(),
            email: None,
            email_verified: false,
            hd: None,
        },
        granted_scopes: vec![],
    };
    let secret = SecretString::from("1//tok");
    store
        .update_tenant(slug, Some(("refresh_token", &secret)), |cur| {
            apply(cur, &t, now).map(|(t, e)| (t, Some(e)))
        })
        .unwrap();
}

#[test]
fn an_existing_database_refuses_a_missing_or_wrong_key_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let keyfile = dir.path().join("conf/secret.key");
    {
        let store =
            Store::open(&dir.path().join("data"), &KeySource::File(keyfile.clone())).unwrap();
        add(&store, "acme");
        consent(&store, "acme", 5);
        store
            .record_event(&mcp_onboard::engine::model::AuditEvent {
                at: 6,
                tenant: "acme".into(),
                kind: mcp_onboard::engine::model::EventKind::LinksRevoked,
                detail: "x".into(),
            })
            .unwrap();
    }
    let saved = std::fs::read(&keyfile).unwrap();
    std::fs::remove_file(&keyfile).unwrap();
    let err = Store::open(&dir.path().join("data"), &KeySource::File(keyfile.clone())).unwrap_err();
    assert!(matches!(err, StoreError::Key(_)), "{err}");
    assert!(
        err.to_string().contains("key file") && err.to_string().contains("missing"),
        "{err}"
    );
    assert!(
        !keyfile.exists(),
        "no new key is made for an existing database"
    );
    let err = Store::open(&dir.path().join("data"), &key(9)).unwrap_err();
    assert!(matches!(err, StoreError::WrongKey), "{err}");
    std::fs::write(&keyfile, saved).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&keyfile, std::fs::Permissions::from_mode(0o600)).unwrap();
    let store = Store::open(&dir.path().join("data"), &KeySource::File(keyfile)).unwrap();
    assert_eq!(
        store
            .secret("acme", "refresh_token")
            .unwrap()
            .unwrap()
            .expose_secret(),
        "1//tok"
    );
    assert_eq!(store.events("acme").unwrap().len(), 3);
    assert_eq!(store.schema_version().unwrap(), 1);
}

#[test]
fn a_second_open_names_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Store::open(dir.path(), &key(1)).unwrap();
    let err = Store::open(dir.path(), &key(1)).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Locked { .. }), "{text}");
    assert!(
        text.contains(&format!("process {}", std::process::id())),
        "{text}"
    );
}

#[test]
fn the_job_index_follows_the_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &key(1)).unwrap();
    add(&store, "a");
    add(&store, "b");
    assert_eq!(store.due_jobs(100).unwrap(), (vec![], None));
    consent(&store, "a", 50);
    consent(&store, "b", 500);
    assert_eq!(
        store.due_jobs(100).unwrap(),
        (vec!["a".to_owned()], Some(500))
    );
    // Stopping a job takes it out of the index.
    let generation = store
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
    store
        .update_tenant("a", None, |cur| {
            apply(cur, &t, 60).map(|(t, e)| (t, Some(e)))
        })
        .unwrap();
    assert_eq!(store.due_jobs(1000).unwrap(), (vec!["b".to_owned()], None));
}

#[test]
fn flows_are_taken_once_and_swept_when_old() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &key(1)).unwrap();
    let flow = |exp| PendingFlow {
        tenant: "a".into(),
        link_id: "l".into(),
        link_hash: String::new(),
        redirect_uri: "r".into(),
        created_at: 0,
        expires_at: exp,
    };
    let v = SecretString::from("verifier");
    store.put_flow(b"old", &flow(10), &v).unwrap();
    store.put_flow(b"new", &flow(10_000), &v).unwrap();
    let (f, verifier) = store.take_flow(b"new", 20).unwrap().unwrap();
    assert_eq!(
        (f.tenant.as_str(), verifier.expose_secret()),
        ("a", "verifier")
    );
    assert!(store.take_flow(b"new", 21).unwrap().is_none());
    assert_eq!(store.used_flow(b"new").unwrap().unwrap().used_at, 20);
    assert_eq!(
        store.sweep_flows(100).unwrap(),
        2,
        "the expired flow and the tombstone"
    );
    assert!(store.take_flow(b"old", 200).unwrap().is_none());
    assert!(store.used_flow(b"new").unwrap().is_none());
}
