//! Google's security events need the identifiers of every refresh token stored: the
//! databases written by the release before them (`tests/fixtures/schema-v6`, sled, and
//! `tests/fixtures/pg-schema-4`, PostgreSQL, holding the same tenants) open at schema 7 /
//! PostgreSQL schema 5 with each stored token's marks computed (hashes only), each tenant's
//! status as that release showed it, and a token-revoked event then finds its tenant.

mod support_fixture;
mod support_pg;

use std::sync::Arc;

use mcp_onboard::config::Config;
use mcp_onboard::domain::model::Tenant;
use mcp_onboard::domain::risc::{Subject, integrations_named};
use mcp_onboard::domain::token_facts::TokenMarks;
use mcp_onboard::engine::{Engine, Placement};
use mcp_onboard::store::postgres::PG_SCHEMA_VERSION;
use mcp_onboard::store::{KeySource, SCHEMA_VERSION, Store};
use secrecy::{ExposeSecret, SecretString};
use support_fixture::{fixture_dir, fixture_of};
use support_pg::PgServer;

/// Every stored token has its marks, right ones; the tenants' statuses are as shown.
async fn check(store: &Store, fixture: &str) {
    let all: Vec<Tenant> = store.read(|s| s.tenants()).await.unwrap();
    assert_eq!(all.len(), 3, "{fixture}");
    let mut marked = 0;
    for t in &all {
        let shown: serde_json::Value = serde_json::from_slice(
            &std::fs::read(fixture_dir(fixture).join(format!("shown/{}.json", t.slug))).unwrap(),
        )
        .unwrap();
        assert_eq!(
            shown["status"],
            serde_json::json!(t.summary_status()),
            "{}",
            t.slug
        );
        for i in t.integrations() {
            let name = t.secret_name(i, "refresh_token").unwrap();
            let (s, n) = (t.slug.clone(), name.clone());
            let token = store.read(move |r| r.secret(&s, &n)).await.unwrap();
            let facts = t.token_facts_of(i);
            let Some(token) = token else {
                assert!(facts.is_none(), "{} {i}: no token, no facts", t.slug);
                continue;
            };
            let facts = facts.unwrap_or_else(|| panic!("{} {i} has no marks", t.slug));
            assert_eq!(facts.marks, TokenMarks::of(token.expose_secret()));
            let record = serde_json::to_string(t).unwrap();
            assert!(!record.contains(token.expose_secret()));
            let by_prefix = Subject::Token {
                alg: "prefix".into(),
                token: token.expose_secret()[..16].to_owned(),
            };
            assert_eq!(integrations_named(t, &by_prefix), [i]);
            marked += 1;
        }
    }
    // acme's Gmail, beta's Gmail and Drive; gamma never consented.
    assert_eq!(marked, 3, "{fixture}");
}

#[tokio::test]
async fn a_schema_6_database_opens_at_schema_7_with_its_tokens_marked() {
    let (_tmp, data, key) = fixture_of("schema-v6");
    let config = Arc::new(Config::load(None, false, &|_| None).unwrap());
    let engine = Engine::open(&data, &key, config.clone(), Placement::Direct)
        .await
        .unwrap();
    assert_eq!(engine.store().schema_found(), 6);
    assert_eq!(
        engine.store().reader().schema_version().unwrap(),
        SCHEMA_VERSION
    );
    check(engine.store(), "schema-v6").await;
    engine
        .shutdown(std::time::Duration::from_secs(5))
        .await
        .unwrap();
    drop(engine);
    // Opened again: nothing left to migrate, the marks as they were.
    let again = Engine::open(&data, &key, config, Placement::Direct)
        .await
        .unwrap();
    assert_eq!(again.store().schema_found(), SCHEMA_VERSION);
    check(again.store(), "schema-v6").await;
}

#[tokio::test]
async fn a_postgres_schema_4_database_opens_at_schema_5_with_its_tokens_marked() {
    let Some(pg) = PgServer::start() else { return };
    let fixture = fixture_dir("pg-schema-4");
    pg.sql(&std::fs::read_to_string(fixture.join("dump.sql")).unwrap())
        .await;
    let key = std::fs::read_to_string(fixture.join("key")).unwrap();
    let key = KeySource::Env(SecretString::from(key.trim().to_owned()));
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(&dir.path().join("data"), &key, &pg.store_config()).unwrap();
    assert_eq!(store.schema_found(), 4);
    assert_eq!(
        pg.column("SELECT max(version) FROM schema_migrations")
            .await,
        vec![Some(PG_SCHEMA_VERSION.to_string())]
    );
    check(&store, "pg-schema-4").await;
    assert_eq!(
        pg.column("SELECT count(*) FROM meta WHERE key = 'token_marks_done'")
            .await,
        vec![Some("1".to_owned())]
    );
}
