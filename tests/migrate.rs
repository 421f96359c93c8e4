//! Opening a database written by the first release (schema version 1): the fixture under
//! `tests/fixtures/schema-v1` was made by that release's own binary in `--demo`: tenant
//! `acme` consented through a link and deployed, `beta` had its link withdrawn, `gamma`'s
//! link was opened twice, `delta` pressed Continue and never came back.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use mcp_onboard::config::Config;
use mcp_onboard::engine::api::{Reply, TenantView};
use mcp_onboard::engine::model::{EventKind, LinkState, TenantStatus};
use mcp_onboard::engine::{Command, Engine, Role};
use mcp_onboard::store::{KeySource, SCHEMA_VERSION};
use secrecy::ExposeSecret;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// A private copy of the fixture: data dir 0700, key file 0600.
fn fixture() -> (tempfile::TempDir, std::path::PathBuf, KeySource) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema-v1");
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    copy_dir(&src.join("db"), &data.join("db"));
    let key = tmp.path().join("key");
    std::fs::copy(src.join("key"), &key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    (tmp, data, KeySource::File(key))
}

async fn show(e: &Engine, slug: &str) -> TenantView {
    match e
        .execute(Command::ShowTenant { slug: slug.into() })
        .await
        .unwrap()
    {
        Reply::Tenant(t) => *t,
        other => panic!("{other:?}"),
    }
}

fn config() -> Arc<Config> {
    Arc::new(Config::load(None, false, &|_| None).unwrap())
}

#[tokio::test]
async fn a_first_release_database_opens_migrated_with_everything_kept() {
    let (_tmp, data, key) = fixture();
    let engine = Engine::open(&data, &key, config(), Role::Direct)
        .await
        .unwrap();
    let store = engine.store().clone();
    assert_eq!(store.schema_found(), 1);
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);

    let acme = show(&engine, "acme").await;
    assert_eq!(acme.status, TenantStatus::Deployed);
    assert_eq!(acme.google_email.as_deref(), Some("ann@acme.com"));
    assert!(acme.mcp_url.as_deref().unwrap().ends_with("/mcp"));
    let kinds: Vec<EventKind> = acme.events.iter().map(|e| e.kind).collect();
    assert_eq!(
        &kinds[..2],
        &[EventKind::TenantAdded, EventKind::LinkIssued]
    );
    assert!(kinds.contains(&EventKind::Consented));
    assert_eq!(kinds.last(), Some(&EventKind::Deployed));
    assert!(
        acme.events.windows(2).all(|w| w[0].seq < w[1].seq),
        "one growing sequence: {:?}",
        acme.events
    );
    assert_eq!(
        acme.events.last().unwrap().status,
        Some(TenantStatus::Deployed)
    );
    assert_eq!(acme.links.len(), 1);
    assert_eq!(acme.links[0].state, LinkState::Used);
    // The secret written by the first release still decrypts.
    let token = store
        .read(|s| s.secret("acme", "refresh_token"))
        .await
        .unwrap()
        .unwrap();
    assert!(token.expose_secret().starts_with("1//"));

    let beta = show(&engine, "beta").await;
    assert_eq!(beta.links.len(), 1, "found through the new per-tenant key");
    assert_eq!(beta.links[0].state, LinkState::Revoked);
    assert_eq!(beta.events.last().unwrap().kind, EventKind::LinksRevoked);
    let gamma = show(&engine, "gamma").await;
    assert_eq!(gamma.links[0].state, LinkState::Active);
    assert_eq!(gamma.links[0].open_count, 2);
    assert_eq!(gamma.status, TenantStatus::LinkOpened);
    assert_eq!(store.flow_count(), 1, "delta's flow is kept");

    // Counts, and the replay of every stored entry in one order.
    assert_eq!(store.index().len(), 4);
    let all = store.read(|s| s.entries_since(0, 10_000)).await.unwrap();
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(
        all.iter().filter(|e| e.tenant == "acme").count(),
        acme.events.len()
    );
    // New changes are numbered after everything migrated.
    let mut sub = engine.subscribe(None);
    engine
        .execute(Command::AddTenant(
            mcp_onboard::engine::lifecycle::NewTenant {
                slug: "epsilon".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    let Some(mcp_onboard::engine::Item::Event(e)) = sub.next().await else {
        panic!("an event");
    };
    assert!(e.seq > all.last().unwrap().seq);
    engine
        .shutdown(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    drop(engine);
    drop(store);

    // Open again: already current, nothing migrates twice.
    let again = Engine::open(&data, &key, config(), Role::Direct)
        .await
        .unwrap();
    assert_eq!(again.store().schema_found(), SCHEMA_VERSION);
    assert_eq!(show(&again, "acme").await.events, acme.events);
    assert_eq!(again.store().index().len(), 5);
}

#[tokio::test]
async fn a_key_rotation_is_refused_before_the_database_is_brought_up_to_date() {
    let (_tmp, data, key) = fixture();
    let KeySource::File(key_path) = &key else {
        unreachable!()
    };
    let old_key = std::fs::read_to_string(key_path).unwrap();
    let err = mcp_onboard::store::rotate::rotate(&data, &key, None).unwrap_err();
    assert!(err.to_string().contains("schema version 1"), "{err}");
    assert_eq!(
        std::fs::read_to_string(key_path).unwrap(),
        old_key,
        "key untouched"
    );
    // Opened once (migrated), it rotates, and the secret still opens afterwards.
    let engine = Engine::open(&data, &key, config(), Role::Direct)
        .await
        .unwrap();
    engine
        .shutdown(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    drop(engine);
    mcp_onboard::store::rotate::rotate(&data, &key, None).unwrap();
    let engine = Engine::open(&data, &key, config(), Role::Direct)
        .await
        .unwrap();
    let token = engine
        .store()
        .read(|s| s.secret("acme", "refresh_token"))
        .await
        .unwrap()
        .unwrap();
    assert!(token.expose_secret().starts_with("1//"));
}
