//! An import is one decision: once decided, every row of it is written, even across a
//! crash (the next open writes what is left), and until then its slugs stay reserved. On
//! every backend.

mod support_pg;

use std::sync::Arc;

use base64::Engine as _;
use mcp_onboard::config::Config;
use mcp_onboard::engine::api::{Command, Reply};
use mcp_onboard::engine::lifecycle::NewTenant;
use mcp_onboard::engine::{Engine, ErrorCode, Placement};
use mcp_onboard::store::KeySource;
use rstest::rstest;
use secrecy::SecretString;
use support_pg::{Backend, Home};

fn new(slug: &str) -> NewTenant {
    NewTenant {
        slug: slug.into(),
        ..Default::default()
    }
}

async fn open(home: &Home) -> Arc<Engine> {
    let key = KeySource::Env(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([4u8; 32]),
    ));
    let env: std::collections::HashMap<_, _> = home.env().into_iter().collect();
    let config = Arc::new(Config::load(None, false, &|k| env.get(k).cloned()).unwrap());
    Engine::open(&home.data(), &key, config, Placement::Direct)
        .await
        .unwrap()
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn an_import_decided_before_a_crash_is_written_whole_at_the_next_open(
    #[case] backend: Backend,
) {
    let Some(home) = Home::new(backend) else {
        return;
    };
    let engine = open(&home).await;
    engine
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            Command::AddTenant(new("acme")),
        )
        .await
        .unwrap();
    // Decided, nothing written yet: as if the process stopped right after the decision.
    let rows: Vec<NewTenant> = (0..2500).map(|i| new(&format!("t{i:04}"))).collect();
    let chunks = engine
        .commit_for_tests(move |tx| Ok(tx.import_decide("cut-short", rows.clone())?))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(chunks.len(), 3);
    // Reserved: neither another command nor another import takes one of its slugs.
    let err = engine
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            Command::AddTenant(new("t0001")),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict, "{err}");
    let err = engine
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            Command::ImportTenants {
                tenants: vec![new("beta"), new("t0002")],
            },
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("none was added"), "{err}");
    assert_eq!(engine.store().node().counts().0, 1, "nothing written yet");
    engine
        .shutdown(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    drop(engine);

    let engine = open(&home).await;
    assert_eq!(
        engine.store().node().counts().0,
        2501,
        "acme and the whole import"
    );
    assert!(
        engine
            .store()
            .reader()
            .pending_import_chunks()
            .unwrap()
            .is_empty()
    );
    let Reply::AuditVerified { broken_at, .. } = engine
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            Command::AuditVerify { expect: Vec::new() },
        )
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(broken_at, None);
    // The slug is a tenant's now, and free of the reservation for nothing else.
    let err = engine
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            Command::AddTenant(new("t2499")),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    engine
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            Command::ImportTenants {
                tenants: vec![new("beta")],
            },
        )
        .await
        .unwrap();
}
