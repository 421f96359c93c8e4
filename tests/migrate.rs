//! Opening databases written by earlier releases.
//!
//! Schema version 1 (the first release): the fixture under `tests/fixtures/schema-v1` was
//! made by that release's own binary in `--demo`: tenant `acme` consented through a link
//! and deployed, `beta` had its link withdrawn, `gamma`'s link was opened twice, `delta`
//! pressed Continue and never came back.
//!
//! Schema version 3: `tests/fixtures/schema-v3` was made by that release's binary against
//! the stand-ins, with two webhooks (`V3_HOOK`, up, and another, down): `acme` consented
//! and deployed, `beta` got a link, `gamma` was only added; the audit chain holds 17
//! entries without a genesis; the outbox holds the two events `acme` caused, each taken by
//! `V3_HOOK` and recorded under its URL. `backup-v1` is a backup of it in the old format.
//!
//! Schema version 4: `tests/fixtures/schema-v4` (see its `SOURCE`), written before tenants
//! had a language: `acme` (expects ann@acme.com) and `beta` (with a link).

mod support_fixture;

use std::path::Path;
use std::sync::Arc;

use mcp_onboard::config::Config;
use mcp_onboard::engine::api::{Reply, TenantView};
use mcp_onboard::engine::model::{EventKind, LinkState, TenantStatus};
use mcp_onboard::engine::{Command, Engine, Placement};
use mcp_onboard::store::{KeySource, SCHEMA_VERSION};
use secrecy::ExposeSecret;
use support_fixture::{copy_dir, fixture_of};

/// A private copy of the first release's fixture.
fn fixture() -> (tempfile::TempDir, std::path::PathBuf, KeySource) {
    fixture_of("schema-v1")
}

async fn show(e: &Engine, slug: &str) -> TenantView {
    match e
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            Command::ShowTenant { slug: slug.into() },
        )
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
    let engine = Engine::open(&data, &key, config(), Placement::Direct)
        .await
        .unwrap();
    let store = engine.store().clone();
    assert_eq!(store.schema_found(), 1);
    assert_eq!(store.reader().schema_version().unwrap(), SCHEMA_VERSION);

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
    assert_eq!(store.node().flow_count(), 1, "delta's flow is kept");

    // Counts, and the replay of every stored entry in one order.
    assert_eq!(store.node().counts().0, 4);
    let all = store.read(|s| s.entries_since(0, 10_000)).await.unwrap();
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(
        all.iter().filter(|e| e.tenant == "acme").count(),
        acme.events.len()
    );
    // New changes are numbered after everything migrated.
    let mut sub = engine.subscribe(None);
    engine
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            Command::AddTenant(mcp_onboard::engine::lifecycle::NewTenant {
                slug: "epsilon".into(),
                ..Default::default()
            }),
        )
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
    let again = Engine::open(&data, &key, config(), Placement::Direct)
        .await
        .unwrap();
    assert_eq!(again.store().schema_found(), SCHEMA_VERSION);
    assert_eq!(show(&again, "acme").await.events, acme.events);
    assert_eq!(again.store().node().counts().0, 5);
}

#[tokio::test]
async fn a_key_rotation_is_refused_before_the_database_is_brought_up_to_date() {
    let (_tmp, data, key) = fixture();
    let KeySource::File(key_path) = &key else {
        unreachable!()
    };
    let old_key = std::fs::read_to_string(key_path).unwrap();
    let err = mcp_onboard::store::rotate::rotate(&data, &key, None, &[]).unwrap_err();
    assert!(err.to_string().contains("schema version 1"), "{err}");
    assert_eq!(
        std::fs::read_to_string(key_path).unwrap(),
        old_key,
        "key untouched"
    );
    // Opened once (migrated), it rotates, and the secret still opens afterwards.
    let engine = Engine::open(&data, &key, config(), Placement::Direct)
        .await
        .unwrap();
    engine
        .shutdown(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    drop(engine);
    mcp_onboard::store::rotate::rotate(&data, &key, None, &[]).unwrap();
    let engine = Engine::open(&data, &key, config(), Placement::Direct)
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

/// The webhook of the schema-3 fixture that took its events: a password and a path token
/// in its URL, recorded whole by that release.
const V3_HOOK: &str = "http://fixuser:fixpass-Zq81v@127.0.0.1:42913/hooks/tok_path_8Hq2xRw";
const V3_SECRETS: [&str; 3] = ["fixpass-Zq81v", "tok_path_8Hq2xRw", "fixuser"];

/// Every file under `dir`, concatenated.
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            out.extend(all_bytes(&e.path()));
        } else if e.file_type().unwrap().is_file() {
            out.extend(std::fs::read(e.path()).unwrap());
        }
    }
    out
}

fn holds_any(hay: &[u8], needles: &[&str]) -> Vec<String> {
    needles
        .iter()
        .filter(|n| hay.windows(n.len()).any(|w| w == n.as_bytes()))
        .map(|n| n.to_string())
        .collect()
}

async fn verified(e: &Engine) -> u64 {
    match e
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            Command::AuditVerify { expect: Vec::new() },
        )
        .await
        .unwrap()
    {
        Reply::AuditVerified {
            entries,
            broken_at: None,
            ..
        } => entries,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_schema_3_database_is_migrated_to_receivers_by_id_and_a_genesis_with_no_url_left() {
    let (tmp, data, key) = fixture_of("schema-v3");
    assert_eq!(
        holds_any(&all_bytes(&data), &V3_SECRETS).len(),
        3,
        "the fixture holds the URL"
    );
    let engine = Engine::open(&data, &key, config(), Placement::Direct)
        .await
        .unwrap();
    let store = engine.store().clone();
    assert_eq!(store.schema_found(), 3);
    assert_eq!(store.reader().schema_version().unwrap(), SCHEMA_VERSION);

    // Everything kept.
    let acme = show(&engine, "acme").await;
    assert_eq!(acme.status, TenantStatus::Deployed);
    assert_eq!(show(&engine, "beta").await.status, TenantStatus::LinkIssued);
    assert_eq!(show(&engine, "gamma").await.status, TenantStatus::Created);
    let token = store
        .read(|s| s.secret("acme", "refresh_token"))
        .await
        .unwrap()
        .unwrap();
    assert!(!token.expose_secret().is_empty());

    // The chain: a genesis, then the 17 entries before it, re-linked; it verifies.
    assert_eq!(verified(&engine).await, 18);
    let Reply::Audit { records } = engine
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            Command::Audit {
                tenant: None,
                since_ms: None,
            },
        )
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(records[0].seq, 0);
    assert_eq!(records[0].kind, "genesis");
    assert!(
        records[0].detail.contains("entries 1 to 17"),
        "{}",
        records[0].detail
    );
    assert_eq!(records[1].prev, records[0].hash);

    // The outbox records the receiver by a keyed hash of its URL, which is nowhere.
    let outbox = store.read(|s| s.outbox_after(None, 10)).await.unwrap();
    assert_eq!(outbox.len(), 2);
    let id = store.webhook_receiver(V3_HOOK);
    for (_, e) in &outbox {
        assert_eq!(e.delivered, vec![id.clone()]);
    }
    assert_eq!(
        holds_any(&all_bytes(&data), &V3_SECRETS),
        Vec::<String>::new()
    );
    let backup = tmp.path().join("after.backup");
    engine
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            Command::Backup {
                path: backup.display().to_string(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        holds_any(&std::fs::read(&backup).unwrap(), &V3_SECRETS),
        Vec::<String>::new()
    );
    engine
        .shutdown(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    drop(engine);
    drop(store);

    let again = Engine::open(&data, &key, config(), Placement::Direct)
        .await
        .unwrap();
    assert_eq!(again.store().schema_found(), SCHEMA_VERSION);
    assert_eq!(verified(&again).await, 18);
    assert!(!data.join("db.old").exists());
}

#[tokio::test]
async fn a_migration_to_schema_4_cut_short_is_done_again_or_its_swap_finished() {
    // A migrated copy, as the migration writes it before swapping it in.
    let (_t, done, key) = fixture_of("schema-v3");
    Engine::open(&done, &key, config(), Placement::Direct)
        .await
        .unwrap()
        .shutdown(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    for stop in ["while copying", "between the renames"] {
        let (_tmp, data, _) = fixture_of("schema-v3");
        if stop == "while copying" {
            // A partial copy is thrown away; the old database, untouched, migrates again.
            copy_dir(&done.join("db"), &data.join("db.migrating"));
        } else {
            std::fs::rename(data.join("db"), data.join("db.old")).unwrap();
            copy_dir(&done.join("db"), &data.join("db.migrated"));
        }
        let engine = Engine::open(&data, &key, config(), Placement::Direct)
            .await
            .unwrap();
        let want = if stop == "while copying" {
            3
        } else {
            SCHEMA_VERSION
        };
        assert_eq!(engine.store().schema_found(), want, "{stop}");
        assert_eq!(engine.store().node().counts().0, 3, "{stop}");
        assert_eq!(verified(&engine).await, 18, "{stop}");
        for left in ["db.migrating", "db.migrated", "db.old"] {
            assert!(!data.join(left).exists(), "{stop}: {left} left");
        }
    }
}

#[tokio::test]
async fn a_key_rotation_renames_the_receivers_recorded_under_the_old_key() {
    let (_tmp, data, key) = fixture_of("schema-v3");
    let engine = Engine::open(&data, &key, config(), Placement::Direct)
        .await
        .unwrap();
    let before = engine.store().webhook_receiver(V3_HOOK);
    engine
        .shutdown(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    drop(engine);
    mcp_onboard::store::rotate::rotate(&data, &key, None, &[V3_HOOK.to_owned()]).unwrap();
    let engine = Engine::open(&data, &key, config(), Placement::Direct)
        .await
        .unwrap();
    let after = engine.store().webhook_receiver(V3_HOOK);
    assert_ne!(before, after, "keyed under the new key");
    let outbox = engine
        .store()
        .read(|s| s.outbox_after(None, 10))
        .await
        .unwrap();
    assert_eq!(outbox.len(), 2);
    assert!(
        outbox
            .iter()
            .all(|(_, e)| e.delivered == vec![after.clone()])
    );
    assert_eq!(verified(&engine).await, 18);
}

#[tokio::test]
async fn a_schema_4_database_opens_at_schema_5_and_its_tenants_take_a_language() {
    use mcp_onboard::engine::lifecycle::TenantEdit;
    let (_tmp, data, key) = fixture_of("schema-v4");
    let engine = Engine::open(&data, &key, config(), Placement::Direct)
        .await
        .unwrap();
    assert_eq!(engine.store().schema_found(), 4);
    assert_eq!(
        engine.store().reader().schema_version().unwrap(),
        SCHEMA_VERSION
    );
    assert_eq!(SCHEMA_VERSION, 7);
    let acme = show(&engine, "acme").await;
    assert_eq!(acme.display_name, "Acme Ltd");
    assert_eq!(acme.lang, None, "a tenant of schema 4 has no language");
    let beta = show(&engine, "beta").await;
    assert_eq!(beta.display_name, "Beta GmbH");
    assert_eq!(beta.links.len(), 1);
    engine
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            Command::EditTenant {
                slug: "acme".into(),
                edit: TenantEdit {
                    lang: Some("de".into()),
                    ..Default::default()
                },
            },
        )
        .await
        .unwrap();
    engine
        .shutdown(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    drop(engine);
    let again = Engine::open(&data, &key, config(), Placement::Direct)
        .await
        .unwrap();
    assert_eq!(again.store().schema_found(), SCHEMA_VERSION);
    assert_eq!(show(&again, "acme").await.lang.as_deref(), Some("de"));
    assert_eq!(show(&again, "beta").await.lang, None);
}
