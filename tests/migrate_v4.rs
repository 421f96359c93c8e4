//! Opening a database written by the release of schema version 4.
//!
//! `tests/fixtures/schema-v4-states` was made by a binary of that schema in `--demo` (how: its
//! `SOURCE.md`): `acme` consented and deployed with a token checked healthy, `beta` awaits
//! consent through a link, `gamma` was only added, `delta` failed (consent declined),
//! `epsilon` failed (wrong account), `zeta` is deployed with a consent by another account
//! awaiting approval. `shown/SLUG.json` is what that release's `tenant show --json` said.

mod support_fixture;

use std::sync::Arc;

use mcp_onboard::config::Config;
use mcp_onboard::engine::api::Reply;
use mcp_onboard::engine::{Actor, Command, Engine, Placement, Worker};
use mcp_onboard::store::SCHEMA_VERSION;
use secrecy::ExposeSecret;
use support_fixture::{fixture_dir, fixture_of};

const TENANTS: [&str; 6] = ["acme", "beta", "gamma", "delta", "epsilon", "zeta"];

async fn shown(e: &Engine, slug: &str) -> serde_json::Value {
    let reply = e
        .run(
            Actor::System(Worker::Owner),
            Command::ShowTenant { slug: slug.into() },
        )
        .await
        .unwrap();
    let Reply::Tenant(t) = reply else {
        panic!("{reply:?}")
    };
    serde_json::to_value(*t).unwrap()
}

fn shown_before(slug: &str) -> serde_json::Value {
    let path = fixture_dir("schema-v4-states").join(format!("shown/{slug}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn a_schema_4_database_opens_with_every_tenant_as_that_release_showed_it() {
    let (_tmp, data, key) = fixture_of("schema-v4-states");
    let config = Arc::new(Config::load(None, false, &|_| None).unwrap());
    let engine = Engine::open(&data, &key, config, Placement::Direct)
        .await
        .unwrap();
    let store = engine.store().clone();
    assert_eq!(store.schema_found(), 4);
    assert_eq!(store.reader().schema_version().unwrap(), SCHEMA_VERSION);
    for slug in TENANTS {
        let before = shown_before(slug);
        let now = shown(&engine, slug).await;
        let serde_json::Value::Object(fields) = &before else {
            panic!("{before}")
        };
        for (key, value) in fields {
            assert_eq!(now.get(key), Some(value), "{slug}: {key}");
        }
    }
    for slug in ["acme", "zeta"] {
        let token = store
            .read(move |s| s.secret(slug, "refresh_token"))
            .await
            .unwrap()
            .unwrap();
        assert!(token.expose_secret().starts_with("1//"), "{slug}");
    }
}
