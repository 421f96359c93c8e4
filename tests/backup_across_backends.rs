//! One backup format for both backends: a sled database backed up and restored into
//! PostgreSQL, and back, holds the same tenants, timelines, links, flows, secrets (still
//! sealed, still opening under the key), webhook events (two of one change among them) and
//! audit chain, and numbers new changes after the old ones. A restore never writes over a
//! store.

mod support_pg;

use std::time::Duration;

use base64::Engine as _;
use mcp_onboard::domain::actor::{Actor, Worker};
use mcp_onboard::engine::lifecycle::{NewTenant, new_tenant};
use mcp_onboard::engine::model::{ConsentLink, Integration, PendingFlow, TenantStatus};
use mcp_onboard::store::{Durability, KeySource, Store, StoreError, TakenFlow, restore_with};
use secrecy::{ExposeSecret, SecretString};
use support_pg::{Backend, Home};

const ME: Actor = Actor::System(Worker::Owner);

fn key() -> KeySource {
    KeySource::Env(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([6u8; 32]),
    ))
}

/// Two tenants with a token, a link opened, a pending flow; acme's two integrations need a
/// new consent, which is two webhook events of one change.
async fn fill(store: &Store) {
    for slug in ["acme", "beta"] {
        let (t, e) = new_tenant(
            &NewTenant {
                slug: slug.into(),
                ..Default::default()
            },
            1,
        )
        .unwrap();
        let s = slug.to_owned();
        store
            .commit(&ME, Durability::Durable, move |tx| {
                tx.insert_tenant(t.clone(), e.clone())?;
                tx.put_secret(&s, "refresh_token", &SecretString::from(format!("1//{s}")))?;
                tx.put_link(
                    &[s.as_bytes()[0]; 32],
                    ConsentLink::new(&s, "l1", 5, i64::MAX),
                )?;
                Ok::<_, StoreError>(())
            })
            .await
            .unwrap();
    }
    store
        .commit(&ME, Durability::Durable, |tx| {
            tx.count_on_link(&[b'a'; 32], false)?;
            let flow = PendingFlow {
                tenant: "acme".into(),
                link_id: "l1".into(),
                link_hash: "aa".repeat(32),
                redirect_uri: "r".into(),
                created_at: 0,
                expires_at: i64::MAX,
                browser: String::new(),
                integration: None,
                lang: None,
            };
            tx.put_flow(&[9; 32], flow, &SecretString::from("verifier"))?;
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
    store.enable_outbox();
    store
        .commit(&ME, Durability::Durable, |tx| {
            let mut t = tx.tenant("acme")?.unwrap();
            t.add_integration(Integration::GoogleDrive, 2).unwrap();
            t.status = TenantStatus::NeedsReconsent;
            t.added[0].status = TenantStatus::NeedsReconsent;
            tx.put_tenant(t, None)?;
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
}

/// The outbox's keys and events' types and integrations.
type Outbox = Vec<(Vec<u8>, String, serde_json::Value)>;

/// What a store holds, as a test compares it.
async fn contents(
    store: &Store,
) -> (
    Vec<String>,
    Vec<(u64, String)>,
    Vec<u32>,
    String,
    u64,
    Outbox,
) {
    store
        .read(|r| {
            let tenants = r.tenants()?.into_iter().map(|t| t.slug).collect();
            let timeline = r
                .entries_since(0, 100)?
                .into_iter()
                .map(|e| (e.seq, e.tenant))
                .collect();
            let opens = r.links_for("acme")?.iter().map(|l| l.open_count).collect();
            let token = r.secret("acme", "refresh_token")?.unwrap();
            let audit = r.verify_audit(&[])?.expect("the chain verifies");
            let outbox = r
                .outbox_after(None, 100)?
                .into_iter()
                .map(|(k, e)| (k, e.event_type, e.data["integration"].clone()))
                .collect();
            Ok((
                tenants,
                timeline,
                opens,
                token.expose_secret().to_owned(),
                audit,
                outbox,
            ))
        })
        .await
        .unwrap()
}

async fn across(from: Backend, to: Backend) {
    let (Some(a), Some(b)) = (Home::new(from), Home::new(to)) else {
        return;
    };
    let store = a.open(&key()).unwrap();
    fill(&store).await;
    let before = contents(&store).await;
    let told: Vec<_> = before.5.iter().map(|(_, t, i)| (t.as_str(), i)).collect();
    assert_eq!(
        told,
        [
            ("tenant.needs_reconsent", &serde_json::json!("gmail")),
            ("tenant.needs_reconsent", &serde_json::json!("google-drive")),
        ]
    );
    let last = store.last_seq();
    let file = a.dir.path().join("backup.bin");
    let summary = store.backup(file.clone()).await.unwrap();
    assert!(summary.entries > 10, "{summary:?}");
    store.stop(Duration::from_secs(10)).await.unwrap();
    drop(store);

    let restored = restore_with(&b.config(), &b.data(), &key(), &file, false, &[]).unwrap();
    assert!(restored.chain.genesis.is_some() && restored.chain.head.is_some());
    let store = b.open(&key()).unwrap();
    assert_eq!(contents(&store).await, before, "{from:?} into {to:?}");
    assert_eq!(store.node().counts().0, 2);
    let by_status = &store.node().counts().1;
    assert_eq!(
        (
            by_status.get(&TenantStatus::Created),
            by_status.get(&TenantStatus::NeedsReconsent)
        ),
        (Some(&1), Some(&1)),
        "the read model is built from what was restored"
    );
    // The pending flow came along, its verifier opening under the key.
    match store
        .commit(&ME, Durability::Lazy, |tx| tx.take_flow(&[9; 32]))
        .await
        .unwrap()
    {
        TakenFlow::Taken(f, v) => {
            assert_eq!((f.tenant.as_str(), v.expose_secret()), ("acme", "verifier"))
        }
        _ => panic!("the flow was restored"),
    }
    // New changes are numbered after the old ones.
    let mut events = store.subscribe();
    store
        .commit(&ME, Durability::Durable, |tx| {
            let t = tx.tenant("beta")?.unwrap();
            tx.put_tenant(t, None)
        })
        .await
        .unwrap();
    let next = events.recv().await.unwrap().seq;
    assert!(next > last, "{next} after {last}");
    store.stop(Duration::from_secs(10)).await.unwrap();
    drop(store);
    // A restore never writes over a store.
    let err = restore_with(&b.config(), &b.data(), &key(), &file, false, &[]).unwrap_err();
    assert!(err.to_string().contains("already"), "{err}");
}

#[tokio::test]
async fn a_sled_backup_restores_into_postgresql() {
    across(Backend::Sled, Backend::Postgres).await;
}

#[tokio::test]
async fn a_postgresql_backup_restores_into_sled() {
    across(Backend::Postgres, Backend::Sled).await;
}

#[tokio::test]
async fn a_postgresql_backup_restores_into_postgresql() {
    across(Backend::Postgres, Backend::Postgres).await;
}
