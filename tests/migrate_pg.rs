//! PostgreSQL databases written by earlier releases, loaded from their dumps, open at this
//! release's schema: `tests/fixtures/pg-schema-1` (before the leader's lease) and
//! `tests/fixtures/pg-schema-2` (before the nodes and the change log). Their tenants,
//! statuses, integrations and links are as that release showed them, the audit chain
//! verifies, the node takes the lease and is listed among the nodes, and its next commit is
//! the change log's first row, numbered after the last change the older release made.

mod support_fixture;
mod support_pg;
mod support_store;

use std::time::Duration;

use mcp_onboard::store::postgres::PG_SCHEMA_VERSION;
use mcp_onboard::store::{KeySource, Store, StoreError};
use secrecy::SecretString;
use support_fixture::fixture_dir;
use support_pg::PgServer;

/// The schema versions 1 to `n`, as `schema_migrations` lists them.
fn versions(n: u32) -> Vec<Option<String>> {
    (1..=n).map(|v| Some(v.to_string())).collect()
}

#[rstest::rstest]
#[case::schema_1("pg-schema-1", 1)]
#[case::schema_2("pg-schema-2", 2)]
#[tokio::test]
async fn a_database_of_an_earlier_release_opens_at_this_schema_with_all_it_held(
    #[case] name: &str,
    #[case] schema: u32,
) {
    let Some(pg) = PgServer::start() else { return };
    let fixture = fixture_dir(name);
    let dump = std::fs::read_to_string(fixture.join("dump.sql")).unwrap();
    pg.sql(&dump).await;
    assert_eq!(
        pg.column("SELECT version FROM schema_migrations ORDER BY version")
            .await,
        versions(schema),
        "the fixture is at schema {schema}"
    );
    let key = std::fs::read_to_string(fixture.join("key")).unwrap();
    let key = KeySource::Env(SecretString::from(key.trim().to_owned()));
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(&dir.path().join("data"), &key, &pg.store_config()).unwrap();
    assert_eq!(store.schema_found(), schema);
    assert_eq!(
        pg.column("SELECT version FROM schema_migrations ORDER BY version")
            .await,
        versions(PG_SCHEMA_VERSION)
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
    let cluster = store.cluster().await.unwrap();
    assert_eq!(cluster.leader.as_deref(), Some(leadership.node()));
    assert_eq!(cluster.nodes.len(), 1, "{cluster:?}");
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
