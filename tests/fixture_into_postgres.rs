//! A database written by the previous release (the `schema-v5` fixture, sled) moves into
//! PostgreSQL as an operator would move it: opened by this release (migrated), backed up,
//! restored into PostgreSQL. The tenants, their statuses, timelines and links, and the
//! audit chain are there as they were.

mod support_fixture;
mod support_pg;

use std::collections::BTreeMap;
use std::time::Duration;

use mcp_onboard::store::{Store, StoreError, restore_with};
use support_fixture::fixture_of;
use support_pg::{Backend, Home};

/// Each tenant's status, the kinds of its timeline and its links (id, opens).
type Held = BTreeMap<String, (String, Vec<String>, Vec<(String, u32)>)>;

async fn held(store: &Store) -> (Held, u64) {
    store
        .read(|r| {
            let mut out = BTreeMap::new();
            for t in r.tenants()? {
                let kinds = r
                    .timeline(&t.slug)?
                    .iter()
                    .map(|e| format!("{:?}", e.kind))
                    .collect();
                let links = r
                    .links_for(&t.slug)?
                    .into_iter()
                    .map(|l| (l.id, l.open_count))
                    .collect();
                out.insert(t.slug.clone(), (format!("{:?}", t.status), kinds, links));
            }
            let audit = r
                .verify_audit(&[])?
                .map_err(|(at, why)| StoreError::Database(format!("audit {at}: {why}")))?;
            Ok((out, audit))
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_database_of_the_previous_release_moves_into_postgresql_by_backup_and_restore() {
    let Some(pg) = Home::new(Backend::Postgres) else {
        return;
    };
    let (tmp, data, key) = fixture_of("schema-v5");
    let store = Store::open(&data, &key).unwrap();
    assert_eq!(store.schema_found(), 5);
    let before = held(&store).await;
    assert_eq!(before.0.len(), 3, "{before:?}");
    assert!(
        before.0.values().any(|(_, _, links)| !links.is_empty()),
        "links to carry: {before:?}"
    );
    let file = tmp.path().join("backup");
    store.backup(file.clone()).await.unwrap();
    store.stop(Duration::from_secs(10)).await.unwrap();

    restore_with(&pg.config(), &pg.data(), &key, &file, false, &[]).unwrap();
    let moved = pg.open(&key).unwrap();
    assert_eq!(held(&moved).await, before);
    moved.stop(Duration::from_secs(10)).await.unwrap();
}
