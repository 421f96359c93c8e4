//! Token checks of a tenant's every integration against the Google stand-in: each
//! integration holding a consent has its own token tried with its own OAuth client, its
//! verdict is recorded on that integration, and the tenant's status and check report it.
//! With the store on sled and on PostgreSQL.

mod common;

use common::pg::Backend;
use common::{
    Harness, OWNER, consent_drive, harness_on, harness_with_env_on, integration, plant_drive,
    stored,
};
use mcp_onboard::domain::health::Health;
use mcp_onboard::engine::model::{EventKind, GoogleIdentity, Integration, Tenant, TenantStatus};
use mcp_onboard::engine::{Command, Reply};
use rstest::rstest;
use secrecy::SecretString;

async fn check(h: &Harness, slug: Option<&str>) -> Reply {
    let c = Command::CheckHealth {
        slug: slug.map(str::to_owned),
        mcp: false,
    };
    h.engine.run(OWNER, c).await.unwrap()
}

fn drive_health(t: &Tenant) -> Option<Health> {
    t.added_state(Integration::GoogleDrive)
        .and_then(|d| d.health.as_ref())
        .map(|h| h.health)
}

/// `slug` onboarded for Gmail by `email`, with Drive added.
async fn gmail_and_drive(h: &Harness, slug: &str, email: &str) {
    h.add(slug, None, None).await;
    assert_eq!(h.onboard(slug, email).await.status, 200);
    integration(h, slug, Integration::GoogleDrive, true)
        .await
        .unwrap();
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_integrations_token_is_checked_and_its_verdict_is_its_own(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    gmail_and_drive(&h, "acme", "ann@acme.com").await;
    consent_drive(&h, "acme", "ann@acme.com").await;
    let before = h.google.refreshes();
    let r = check(&h, Some("acme")).await;
    assert_eq!(
        h.google.refreshes() - before,
        2,
        "Gmail's token and Drive's"
    );
    let Reply::Health { checks, .. } = &r else {
        panic!("{r:?}")
    };
    assert_eq!(checks.len(), 1, "{checks:?}");
    assert_eq!(checks[0].health, Health::Healthy);
    let t = stored(&h, "acme").await;
    assert_eq!(drive_health(&t), Some(Health::Healthy));
    assert_eq!(t.health.as_ref().map(|h| h.health), Some(Health::Healthy));

    // Drive's token dies (a token Google never issued): Drive alone needs a new consent,
    // and the tenant reads as it.
    let who = t.google.clone().expect("an account");
    plant_drive(&h, "acme", who, SecretString::from("1//dead-drive")).await;
    let r = check(&h, Some("acme")).await;
    let Reply::Health { checks, .. } = &r else {
        panic!("{r:?}")
    };
    assert_eq!(checks[0].health, Health::NeedsReconsent);
    assert_eq!(checks[0].status, TenantStatus::NeedsReconsent);
    assert!(
        checks[0].reason.contains("google-drive: Google refused")
            && checks[0].reason.contains("gmail: the refresh token works"),
        "{}",
        checks[0].reason
    );
    let t = stored(&h, "acme").await;
    assert_eq!(drive_health(&t), Some(Health::NeedsReconsent));
    assert_eq!(
        t.status_of(Integration::GoogleDrive),
        Some(TenantStatus::NeedsReconsent)
    );
    assert_eq!(t.status, TenantStatus::Consented, "Gmail is untouched");
    assert_eq!(t.health.as_ref().map(|h| h.health), Some(Health::Healthy));
    let v = h.show("acme").await;
    assert_eq!(v.status, TenantStatus::NeedsReconsent);
    let rejected = v
        .events
        .iter()
        .find(|e| e.kind == EventKind::TokenRejected)
        .expect("Drive's verdict on the timeline");
    assert_eq!(rejected.integration, Some(Integration::GoogleDrive));
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_checks_a_tenant_whose_only_consent_is_drives(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("beta", None, None).await;
    integration(&h, "beta", Integration::GoogleDrive, true)
        .await
        .unwrap();
    consent_drive(&h, "beta", "bob@beta.com").await;
    let r = check(&h, None).await;
    let Reply::Health {
        checks, skipped, ..
    } = &r
    else {
        panic!("{r:?}")
    };
    assert!(skipped.is_empty(), "{skipped:?}");
    let slugs: Vec<_> = checks.iter().map(|c| c.slug.as_str()).collect();
    assert_eq!(slugs, ["beta"]);
    assert_eq!(checks[0].health, Health::Healthy);
    assert_eq!(
        drive_health(&stored(&h, "beta").await),
        Some(Health::Healthy)
    );
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drives_token_is_tried_with_drives_own_client(#[case] backend: Backend) {
    // Drive has an OAuth client of its own, which the stand-in does not know: its check
    // says so, while Gmail's (the [google] client) works.
    let drive_client = [
        ("GOOGLE_DRIVE_CLIENT_ID", "drive-client.apps.sandbox"),
        ("GOOGLE_DRIVE_CLIENT_SECRET", "drive-secret"),
    ];
    let Some(h) = harness_with_env_on(&drive_client, backend).await else {
        return;
    };
    gmail_and_drive(&h, "acme", "ann@acme.com").await;
    let who = GoogleIdentity {
        sub: "drive-sub".into(),
        email: Some("ann@acme.com".into()),
        email_verified: true,
        hd: None,
    };
    plant_drive(&h, "acme", who, SecretString::from("1//drive")).await;
    let r = check(&h, Some("acme")).await;
    let Reply::Health { checks, alarm, .. } = &r else {
        panic!("{r:?}")
    };
    assert_eq!(checks[0].health, Health::ClientError, "{checks:?}");
    assert!(checks[0].reason.contains("google-drive"), "{checks:?}");
    assert!(alarm.is_some());
    let t = stored(&h, "acme").await;
    assert_eq!(t.health.as_ref().map(|h| h.health), Some(Health::Healthy));
    assert_eq!(
        t.status_of(Integration::GoogleDrive),
        Some(TenantStatus::Deployed),
        "a client error is no verdict on the integration"
    );
}
