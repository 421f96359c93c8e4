//! A tenant's mail fields (its contact's email address, when its consent link was last
//! mailed) are new to what is stored: the databases written by the release before them
//! (`tests/fixtures/schema-v7`, sled, and `tests/fixtures/pg-schema-5`, PostgreSQL, holding
//! the same tenants) open with the current code, every tenant as that release showed it.

mod support_fixture;
mod support_pg;

use std::sync::Arc;

use mcp_onboard::config::Config;
use mcp_onboard::domain::lifecycle::TenantEdit;
use mcp_onboard::domain::link_mail::MailOutcome;
use mcp_onboard::domain::model::{ExpectedAccount, Tenant};
use mcp_onboard::engine::{Actor, Command, Worker};
use mcp_onboard::engine::{Engine, Placement};
use mcp_onboard::store::postgres::PG_SCHEMA_VERSION;
use mcp_onboard::store::{KeySource, SCHEMA_VERSION, Store};
use secrecy::SecretString;
use support_fixture::{fixture_dir, fixture_of};
use support_pg::PgServer;

/// What that release's `tenant show --json SLUG` printed.
fn shown(fixture: &str, slug: &str) -> serde_json::Value {
    let path = fixture_dir(fixture).join(format!("shown/{slug}.json"));
    serde_json::from_slice(&std::fs::read(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The mail fields of a tenant written before they existed.
///
/// A tenant read from these databases has neither a contact email nor a mail sent.
fn check_mail_fields(t: &Tenant) {
    assert_eq!(t.contact_email, None, "{}", t.slug);
    assert_eq!(t.mailed, None, "{}", t.slug);
    // Links go to the expected Google account when it is an address, as before.
    let to = (t.slug == "acme").then_some("owner@acme.example");
    assert_eq!(t.mail_to(), to, "{}", t.slug);
}

/// The three tenants, each as shown; acme's contact and account, beta's language kept.
async fn check(store: &Store, fixture: &str) {
    let mut all: Vec<Tenant> = store.read(|s| s.tenants()).await.unwrap();
    all.sort_by(|a, b| a.slug.cmp(&b.slug));
    let slugs: Vec<&str> = all.iter().map(|t| t.slug.as_str()).collect();
    assert_eq!(slugs, ["acme", "beta", "gamma"], "{fixture}");
    for t in &all {
        let shown = shown(fixture, &t.slug);
        assert_eq!(
            shown["status"],
            serde_json::json!(t.summary_status()),
            "{fixture} {}",
            t.slug
        );
        assert_eq!(
            shown["display_name"], t.display_name,
            "{fixture} {}",
            t.slug
        );
        check_mail_fields(t);
    }
    let [acme, beta, gamma] = [&all[0], &all[1], &all[2]];
    assert_eq!(acme.contact.as_deref(), Some("Jane Roe"), "{fixture}");
    assert_eq!(
        acme.expected,
        Some(ExpectedAccount::Email("owner@acme.example".into())),
        "{fixture}"
    );
    assert_eq!(beta.contact, None, "{fixture}");
    assert_eq!(beta.lang.as_deref(), Some("de"), "{fixture}");
    assert_eq!(beta.integrations().len(), 2, "{fixture}");
    assert_eq!(gamma.contact, None, "{fixture}");
}

#[tokio::test]
async fn a_schema_7_database_opens_with_its_tenants_as_shown() {
    let (_tmp, data, key) = fixture_of("schema-v7");
    let config = Arc::new(Config::load(None, false, &|_| None).unwrap());
    let engine = Engine::open(&data, &key, config.clone(), Placement::Direct)
        .await
        .unwrap();
    assert_eq!(engine.store().schema_found(), 7);
    assert_eq!(
        engine.store().reader().schema_version().unwrap(),
        SCHEMA_VERSION
    );
    check(engine.store(), "schema-v7").await;
    // The new fields are written on the migrated database and read back after a restart.
    let me = Actor::System(Worker::Owner);
    let edit = TenantEdit {
        contact_email: Some("jane@acme.example".into()),
        ..Default::default()
    };
    let slug = "beta".to_owned();
    engine
        .run(me.clone(), Command::EditTenant { slug, edit })
        .await
        .unwrap();
    let links = engine.store().read(|s| s.links_for("beta")).await.unwrap();
    let link_id = links
        .first()
        .expect("beta's link of that release")
        .id
        .clone();
    let sent = Command::RecordMail {
        slug: "beta".into(),
        to: "jane@acme.example".into(),
        link_id: link_id.clone(),
        attempts: 1,
        outcome: MailOutcome::Accepted {
            queue_id: Some("Q1".into()),
        },
    };
    engine.run(me, sent).await.unwrap();
    engine
        .shutdown(std::time::Duration::from_secs(5))
        .await
        .unwrap();
    drop(engine);
    // Opened again: at the current schema, the tenants as they were.
    let again = Engine::open(&data, &key, config, Placement::Direct)
        .await
        .unwrap();
    assert_eq!(again.store().schema_found(), SCHEMA_VERSION);
    let beta: Tenant = again
        .store()
        .read(|s| s.tenant("beta"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(beta.contact_email.as_deref(), Some("jane@acme.example"));
    assert_eq!(beta.mail_to(), Some("jane@acme.example"));
    let mailed = beta.mailed.expect("the mail sent is kept");
    assert!(mailed.accepted());
    assert_eq!(
        (mailed.to.as_str(), mailed.link_id.as_str()),
        ("jane@acme.example", link_id.as_str())
    );
}

#[tokio::test]
async fn a_postgres_schema_5_database_opens_with_its_tenants_as_shown() {
    let Some(pg) = PgServer::start() else { return };
    let fixture = fixture_dir("pg-schema-5");
    pg.sql(&std::fs::read_to_string(fixture.join("dump.sql")).unwrap())
        .await;
    let key = std::fs::read_to_string(fixture.join("key")).unwrap();
    let key = KeySource::Env(SecretString::from(key.trim().to_owned()));
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(&dir.path().join("data"), &key, &pg.store_config()).unwrap();
    assert_eq!(store.schema_found(), 5);
    assert_eq!(
        pg.column("SELECT max(version) FROM schema_migrations")
            .await,
        vec![Some(PG_SCHEMA_VERSION.to_string())]
    );
    check(&store, "pg-schema-5").await;
}
