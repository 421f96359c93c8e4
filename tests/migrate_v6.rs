//! Schema version 6 (a tenant holds integrations) reached from the databases written at
//! schema 4 (`tests/fixtures/schema-v4`, `schema-v4-states`), through 5, and at schema 5 by
//! the release before integrations (`schema-v5`): every tenant holds its current integration
//! and nothing else, its status, language and timeline as they were.

mod support_fixture;

use std::sync::Arc;

use mcp_onboard::config::Config;
use mcp_onboard::domain::model::Integration;
use mcp_onboard::engine::api::Reply;
use mcp_onboard::engine::{Actor, Command, Engine, Placement, Worker};
use support_fixture::fixture_of;

#[tokio::test]
async fn a_schema_4_database_opens_at_schema_6_with_each_tenant_holding_its_integration() {
    for (fixture, tenants, found) in [
        ("schema-v4", 2, 4),
        ("schema-v4-states", 6, 4),
        ("schema-v5", 3, 5),
    ] {
        let (_tmp, data, key) = fixture_of(fixture);
        let config = Arc::new(Config::load(None, false, &|_| None).unwrap());
        let engine = Engine::open(&data, &key, config, Placement::Direct)
            .await
            .unwrap();
        let store = engine.store().clone();
        assert_eq!(store.schema_found(), found, "{fixture}");
        assert_eq!(store.reader().schema_version().unwrap(), 7, "{fixture}");
        let all = store.read(|s| s.tenants()).await.unwrap();
        assert_eq!(all.len(), tenants, "{fixture}");
        for t in &all {
            assert_eq!(
                t.integrations(),
                [Integration::Gmail],
                "{fixture} {}",
                t.slug
            );
            assert!(t.added.is_empty(), "{fixture} {}", t.slug);
            assert_eq!(t.summary_status(), t.status, "{fixture} {}", t.slug);
            let slug = t.slug.clone();
            let timeline = store.read(move |s| s.timeline(&slug)).await.unwrap();
            assert!(!timeline.is_empty(), "{fixture} {}", t.slug);
            assert!(timeline.iter().all(|e| e.integration.is_none()));
            assert_eq!(timeline.last().map(|e| e.status), Some(t.status));
            let shown = engine
                .run(
                    Actor::System(Worker::Owner),
                    Command::ShowTenant {
                        slug: t.slug.clone(),
                    },
                )
                .await
                .unwrap();
            let Reply::Tenant(view) = shown else {
                panic!("{shown:?}")
            };
            assert_eq!(view.integrations.len(), 1, "{fixture} {}", t.slug);
            let gmail = &view.integrations[0];
            assert_eq!(gmail.integration, Integration::Gmail);
            assert_eq!(gmail.status, t.status);
            assert_eq!(gmail.mcp_url, view.mcp_url, "{fixture} {}", t.slug);
            if fixture == "schema-v5" {
                let said: serde_json::Value = serde_json::from_slice(
                    &std::fs::read(
                        support_fixture::fixture_dir(fixture)
                            .join(format!("shown/{}.json", t.slug)),
                    )
                    .unwrap(),
                )
                .unwrap();
                assert_eq!(said["status"], serde_json::json!(t.status), "{}", t.slug);
                assert_eq!(
                    said.get("lang").and_then(|l| l.as_str()),
                    view.summary.lang.as_deref(),
                    "{}",
                    t.slug
                );
            }
        }
    }
    let (_tmp, data, key) = fixture_of("schema-v4-states");
    let config = Arc::new(Config::load(None, false, &|_| None).unwrap());
    let engine = Engine::open(&data, &key, config, Placement::Direct)
        .await
        .unwrap();
    let Reply::Tenant(acme) = engine
        .run(
            Actor::System(Worker::Owner),
            Command::ShowTenant {
                slug: "acme".into(),
            },
        )
        .await
        .unwrap()
    else {
        panic!("no tenant")
    };
    let url = acme.integrations[0].mcp_url.as_deref().unwrap_or_default();
    assert!(
        url.ends_with("/mcp"),
        "the deployed tenant's MCP URL: {url:?}"
    );
}
