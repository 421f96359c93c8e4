//! Token checks with two OAuth clients (`[google]`'s, and Drive's own) against the Google
//! stand-in: a client Google refuses raises an alarm about that client alone, pauses the
//! checks through it alone (the round goes on with the tenants whose client works), and
//! only an answer through that same client clears it. With the store on sled and on
//! PostgreSQL.

mod common;

use common::pg::Backend;
use common::{
    CLIENT_ID, DRIVE_CLIENT_ID, DRIVE_CLIENT_SECRET, Harness, OWNER, consent_drive_through_link,
    drive_only, harness_with_drive_client, integration,
};
use mcp_onboard::domain::health::Health;
use mcp_onboard::engine::api::{HealthAlarm, HealthCheck, Skipped};
use mcp_onboard::engine::model::Integration;
use mcp_onboard::engine::{Command, Reply};
use rstest::rstest;

async fn check(
    h: &Harness,
    slug: Option<&str>,
) -> (Vec<HealthCheck>, Vec<Skipped>, Option<HealthAlarm>) {
    let c = Command::CheckHealth {
        slug: slug.map(str::to_owned),
        mcp: false,
    };
    let Reply::Health {
        checks,
        skipped,
        alarm,
        ..
    } = h.engine.run(OWNER, c).await.unwrap()
    else {
        panic!("a health reply");
    };
    (checks, skipped, alarm)
}

/// The verdict of `slug` among `checks`.
fn verdict(checks: &[HealthCheck], slug: &str) -> Option<Health> {
    checks.iter().find(|c| c.slug == slug).map(|c| c.health)
}

/// Twelve tenants of Gmail alone (through `[google]`'s client), `t00` to `t11`.
async fn gmail_tenants(h: &Harness) -> Vec<String> {
    let mut slugs = Vec::new();
    for i in 0..12 {
        let slug = format!("t{i:02}");
        h.add(&slug, None, None).await;
        assert_eq!(
            h.onboard(&slug, &format!("it@{slug}.example")).await.status,
            200
        );
        slugs.push(slug);
    }
    slugs
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_own_client_pauses_its_checks_alone(#[case] backend: Backend) {
    let Some(h) = harness_with_drive_client(backend).await else {
        return;
    };
    // aaa comes first in a round: its only consent is Drive's, through Drive's client.
    drive_only(&h, "aaa", "ann@aaa.example").await;
    let gmail = gmail_tenants(&h).await;
    h.google.delete_client(DRIVE_CLIENT_ID);

    let (checks, skipped, alarm) = check(&h, None).await;
    assert!(skipped.is_empty(), "the round goes on: {skipped:?}");
    assert_eq!(verdict(&checks, "aaa"), Some(Health::ClientError));
    for slug in &gmail {
        assert_eq!(
            verdict(&checks, slug),
            Some(Health::Healthy),
            "{slug}: {checks:?}"
        );
    }
    let alarm = alarm.expect("an alarm");
    assert!(
        alarm.reason.contains("google-drive's own OAuth client")
            && alarm.reason.contains("invalid_client"),
        "{}",
        alarm.reason
    );

    // An answer through [google]'s client says nothing of Drive's.
    let (checks, _, still) = check(&h, Some("t00")).await;
    assert_eq!(checks[0].health, Health::Healthy);
    assert_eq!(still.as_ref(), Some(&alarm), "Drive's alarm stands");

    // The next round probes Drive's client (aaa), still refused, and checks everyone else.
    let before = h.google.token_requests();
    let (checks, skipped, still) = check(&h, None).await;
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(checks.len(), 13, "{checks:?}");
    assert_eq!(
        h.google.token_requests() - before,
        13,
        "the probe and each of the twelve"
    );
    assert_eq!(still.map(|a| a.since), Some(alarm.since.clone()));

    // Drive's client works again: its probe clears the alarm.
    h.google.add_client(DRIVE_CLIENT_ID, DRIVE_CLIENT_SECRET);
    let (checks, skipped, alarm) = check(&h, None).await;
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(verdict(&checks, "aaa"), Some(Health::Healthy));
    assert!(alarm.is_none(), "{alarm:?}");
    assert!(h.engine.health_alarm().is_none());
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_through_drives_client_leaves_googles_alarm(#[case] backend: Backend) {
    let Some(h) = harness_with_drive_client(backend).await else {
        return;
    };
    drive_only(&h, "aaa", "ann@aaa.example").await;
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "bob@acme.example").await.status, 200);
    integration(&h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    let page = consent_drive_through_link(&h, "acme", "bob@acme.example").await;
    assert_eq!(page.status, 200, "{}", page.body);
    h.google.delete_client(CLIENT_ID);

    let (checks, _, alarm) = check(&h, Some("acme")).await;
    assert_eq!(checks[0].health, Health::ClientError);
    let alarm = alarm.expect("an alarm about [google]'s client");
    assert!(!alarm.reason.contains("google-drive"), "{}", alarm.reason);

    // Drive's client works: that clears nothing about [google]'s.
    let (checks, _, still) = check(&h, Some("aaa")).await;
    assert_eq!(checks[0].health, Health::Healthy);
    assert_eq!(still.as_ref(), Some(&alarm));

    // A round: [google]'s client, probed and still refused, is paused; acme's Drive is
    // still checked, through its own client, and acme's Gmail said not checked.
    let (checks, skipped, still) = check(&h, None).await;
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(verdict(&checks, "aaa"), Some(Health::Healthy));
    let acme = checks
        .iter()
        .find(|c| c.slug == "acme")
        .expect("acme checked");
    assert_eq!(acme.health, Health::ClientError);
    assert!(
        acme.reason
            .contains("google-drive: the refresh token works"),
        "{}",
        acme.reason
    );
    assert_eq!(still.as_ref(), Some(&alarm));
}
