//! A PostgreSQL database written by the release before the leader's lease (the store's
//! schema 1, `tests/fixtures/pg-schema-1`, loaded from its dump) opens at schema 3: its
//! tenants, their statuses, integrations and links are as that release showed them, the
//! audit chain verifies, the node takes the lease, and its next commit is the change log's
//! first row, numbered after the last change the older release made.

mod support_fixture;
mod support_pg;
mod support_store;

use std::time::Duration;

use mcp_onboard::store::{KeySource, Store, StoreError};
use secrecy::SecretString;
use support_fixture::fixture_dir;
use support_pg::PgServer;

#[tokio::test]
async fn a_schema_1_database_of_the_previous_release_opens_at_schema_3_with_all_it_held() {
    let Some(pg) = PgServer::start() else { return };
    let fixture = fixture_dir("pg-schema-1");
    let dump = std::fs::read_to_string(fixture.join("dump.sql")).unwrap();
    pg.sql(&dump).await;
    assert_eq!(
        pg.column("SELECT version FROM schema_migrations ORDER BY version")
            .await,
        vec![Some("1".to_owned())],
        "the fixture is at schema 1"
    );
    let key = std::fs::read_to_string(fixture.join("key")).unwrap();
    let key = KeySource::Env(SecretString::from(key.trim().to_owned()));
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(&dir.path().join("data"), &key, &pg.store_config()).unwrap();
    assert_eq!(
        pg.column("SELECT version FROM schema_migrations ORDER BY version")
            .await,
        vec![
            Some("1".to_owned()),
            Some("2".to_owned()),
            Some("3".to_owned())
        ]
    );
    let (tenants, verdict) = store
        .read(|r| {
            let mut out = Vec::new();
            for t in r.tenants()? {
                let links = r.links_for(&t.slug)?.len();
                let integrations: Vec<String> =
                    t.integrations().iter().map(|i| i.to_string()).collect();
                out.push((t.slug.clone(), t.status, integrations, links));
            }
            let verdict = r
                .verify_audit(&[])?
                .map_err(|(at, why)| StoreError::Database(format!("audit {at}: {why}")))?;
            Ok((out, verdict))
        })
        .await
        .unwrap();
    assert_eq!(tenants.len(), 3, "{tenants:?}");
    assert!(verdict > 0, "the chain verifies and is not empty");
    for (slug, status, integrations, links) in &tenants {
        let shown: serde_json::Value = serde_json::from_slice(
            &std::fs::read(fixture.join(format!("shown/{slug}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(shown["status"], serde_json::json!(status), "{slug}");
        let said: Vec<String> = shown["integrations"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|i| i["integration"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(&said, integrations, "{slug}");
        let expected_links = usize::from(slug != "gamma");
        assert_eq!(*links, expected_links, "{slug}");
    }
    // The one node leads under the lease the migration added.
    let leadership = store.leadership();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !leadership.is_leader() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(leadership.is_leader());
    // The change log starts with the next commit, right after the older release's last.
    let before: u64 = pg.column("SELECT last FROM change_seq").await[0]
        .as_deref()
        .unwrap()
        .parse()
        .unwrap();
    assert!(before > 0, "the fixture made changes");
    support_store::add(&store, "after-upgrade").await;
    assert_eq!(
        pg.column("SELECT first::text || '-' || seq::text FROM change_log")
            .await,
        vec![Some(format!("{}-{}", before + 1, before + 1))]
    );
    store.stop(Duration::from_secs(10)).await.unwrap();
}
