//! A refused refresh token is classed by its likely cause, from what was kept at its
//! consent (the Testing flag, Google's `refresh_token_expires_in`, the tokens issued for
//! the account, Google's security events) and its last successful refresh: shown on the
//! tenant and carried by the `tenant.needs_reconsent` webhook. A new consent of a tenant
//! that needed one, once deployed again, publishes `tenant.recovered`, once. On sled and
//! on PostgreSQL alike.

mod common;

use common::blaxel_rig::rig_on;
use common::pg::Backend;
use mcp_onboard::domain::model::{EventKind, TenantStatus};
use mcp_onboard::domain::token_facts::FailureCause;
use mcp_onboard::engine::{Command, EngineError};
use mcp_onboard::sandbox::blaxel::BlaxelFaults;
use rstest::rstest;
use serde_json::Value;

const DAY: i64 = 24 * 3600 * 1000;

async fn webhooks(h: &common::Harness, slug: &str, kind: &str) -> Vec<Value> {
    let outbox = h
        .engine
        .store()
        .read(|s| s.outbox_after(None, 1000))
        .await
        .unwrap();
    outbox
        .into_iter()
        .filter(|(_, e)| e.data["slug"] == slug && e.event_type == kind)
        .map(|(_, e)| e.data)
        .collect()
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_refusal_is_classed_by_its_likely_cause_and_a_new_consent_is_a_recovery(
    #[case] backend: Backend,
) {
    let Some(r) = rig_on(backend, BlaxelFaults::default()).await else {
        return;
    };
    r.h.engine.store().enable_outbox();
    let token = r.onboarded("acme", "ann@acme.example").await;
    let facts = r.h.show("acme").await.token.unwrap();
    assert_eq!(facts.facts.cause, None, "no refusal yet");
    // The app was in Testing at a consent eight days ago: Google has ended the token.
    r.h.engine
        .commit_for_tests(|tx| {
            let mut t = tx.tenant("acme")?.unwrap();
            t.consented_at = t.consented_at.map(|c| c - 8 * DAY);
            if let Some(f) = t.token_facts.as_mut() {
                f.testing = true;
            }
            tx.put_tenant(t, None)?;
            Ok::<_, EngineError>(())
        })
        .await
        .unwrap();
    assert!(r.h.google.retire_token(&token));
    r.run(Command::CheckHealth {
        slug: Some("acme".into()),
        mcp: false,
    })
    .await;
    let shown = r.h.show("acme").await;
    assert_eq!(shown.summary.status, TenantStatus::NeedsReconsent);
    let tok = shown.token.unwrap();
    assert_eq!(tok.facts.cause, Some(FailureCause::TestingExpiry));
    assert!(tok.facts.cause_text.unwrap().contains("Testing"));
    let told = webhooks(&r.h, "acme", "tenant.needs_reconsent").await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["cause"], "testing_expiry");
    assert!(told[0]["reason"].as_str().unwrap().contains("likely cause"));
    assert!(webhooks(&r.h, "acme", "tenant.recovered").await.is_empty());

    // A new consent: deployed again, which is a recovery, told once.
    r.onboard_again("acme", "ann@acme.example").await;
    let recovered = webhooks(&r.h, "acme", "tenant.recovered").await;
    assert_eq!(recovered.len(), 1, "{recovered:?}");
    assert_eq!(recovered[0]["status"], "deployed");
    assert_eq!(recovered[0]["integration"], "gmail");
    let shown = r.h.show("acme").await;
    assert!(
        shown
            .events
            .iter()
            .any(|e| e.kind == EventKind::Deployed && e.detail.contains("recovered")),
        "{:?}",
        shown.events
    );
    // Its new token starts with no cause; another consent of a deployed tenant is no
    // recovery.
    assert_eq!(shown.token.unwrap().facts.cause, None);
    r.onboard_again("acme", "ann@acme.example").await;
    assert_eq!(webhooks(&r.h, "acme", "tenant.recovered").await.len(), 1);
}
