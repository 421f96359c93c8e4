//! Token health against the Google stand-in: every class of answer to a refresh, what each
//! does to the tenant (nothing but a record, or `needs_reconsent`), the alarm about our own
//! client, and the way back by a new consent. What is recorded runs on sled and on
//! PostgreSQL; the rounds stopped early (the alarm and the round live in the owner's
//! memory, whatever the store) on sled alone.

mod common;

use common::pg::Backend;
use common::*;
use mcp_onboard::domain::health::Health;
use mcp_onboard::engine::model::{EventKind, TenantStatus};
use mcp_onboard::engine::{Command, ErrorCode, Reply};
use mcp_onboard::sandbox::google::Knobs;
use rstest::rstest;

async fn check(h: &Harness, slug: Option<&str>) -> Reply {
    h.engine
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            Command::CheckHealth {
                slug: slug.map(str::to_owned),
                mcp: false,
            },
        )
        .await
        .unwrap()
}

fn checks(r: &Reply) -> Vec<(String, Health, TenantStatus)> {
    let Reply::Health { checks, .. } = r else {
        panic!("{r:?}")
    };
    checks
        .iter()
        .map(|c| (c.slug.clone(), c.health, c.status))
        .collect()
}

fn entries(t: &mcp_onboard::engine::api::TenantView, kind: EventKind) -> usize {
    t.events.iter().filter(|e| e.kind == kind).count()
}

async fn consented(h: &Harness, slug: &str, email: &str) {
    h.add(slug, None, None).await;
    let page = h.onboard(slug, email).await;
    assert_eq!(page.status, 200, "{}", page.body);
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_working_token_is_healthy_and_said_once_on_the_timeline(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    consented(&h, "acme", "it@acme.example").await;
    for _ in 0..3 {
        let r = check(&h, Some("acme")).await;
        assert_eq!(
            checks(&r),
            [("acme".into(), Health::Healthy, TenantStatus::Consented)]
        );
    }
    let t = h.show("acme").await;
    assert_eq!(entries(&t, EventKind::TokenHealthy), 1, "{:#?}", t.events);
    let token = t.token.clone().expect("a token view");
    assert_eq!(token.health, Some(Health::Healthy));
    assert!(token.healthy_at.is_some());
    assert_eq!(h.google.refreshes(), 3);
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_puts_the_tenant_in_needs_reconsent_after_one_check(
    #[case] backend: Backend,
) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    consented(&h, "acme", "it@acme.example").await;
    consented(&h, "kept", "ops@kept.example").await;
    assert_eq!(h.google.revoke_account("it@acme.example"), 1);
    let r = check(&h, None).await;
    assert_eq!(
        checks(&r),
        [
            (
                "acme".into(),
                Health::NeedsReconsent,
                TenantStatus::NeedsReconsent
            ),
            ("kept".into(), Health::Healthy, TenantStatus::Consented),
        ]
    );
    let t = h.show("acme").await;
    assert_eq!(t.status, TenantStatus::NeedsReconsent);
    let reason = t.reason.clone().unwrap_or_default();
    assert!(
        reason.contains("invalid_grant") && reason.contains("removed the app's access"),
        "{reason}"
    );
    assert_eq!(entries(&t, EventKind::TokenRejected), 1);
    // A tenant that needs a new consent holds none to check.
    let err = h
        .engine
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            Command::CheckHealth {
                slug: Some("acme".into()),
                mcp: false,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict, "{err}");
    let r = check(&h, None).await;
    assert_eq!(checks(&r).len(), 1, "only kept is checked now");

    // A new consent brings it back, its health forgotten until the next check.
    let page = h.onboard("acme", "it@acme.example").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let t = h.show("acme").await;
    assert_eq!(t.status, TenantStatus::Consented);
    assert_eq!(t.token.and_then(|v| v.health), None);
    assert_eq!(
        checks(&check(&h, Some("acme")).await),
        [("acme".into(), Health::Healthy, TenantStatus::Consented)]
    );
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_or_failing_google_is_transient_and_never_flips_a_status(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    consented(&h, "acme", "it@acme.example").await;
    check(&h, Some("acme")).await;
    for fault in [
        (503, ""),
        (429, "rate_limit_exceeded"),
        (500, "internal_failure"),
    ] {
        h.google.set_knobs(Knobs {
            fail_refresh: Some((fault.0, fault.1.to_owned())),
            ..Default::default()
        });
        let r = check(&h, Some("acme")).await;
        assert_eq!(
            checks(&r),
            [("acme".into(), Health::Transient, TenantStatus::Consented)],
            "{fault:?}"
        );
    }
    let t = h.show("acme").await;
    let token = t.token.clone().expect("a token view");
    assert_eq!(
        token.health,
        Some(Health::Healthy),
        "the last verdict stands"
    );
    assert_eq!(token.inconclusive_in_a_row, 3);
    assert_eq!(
        entries(&t, EventKind::TokenHealthy),
        1,
        "no entry per retry"
    );

    // A verdict again: the count of inconclusive checks starts over.
    h.google.set_knobs(Knobs::default());
    check(&h, Some("acme")).await;
    assert_eq!(h.show("acme").await.token.unwrap().inconclusive_in_a_row, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_condemned_client_flips_nobody_raises_one_alarm_and_stops_the_round() {
    let h = harness().await;
    for i in 0..12 {
        consented(&h, &format!("t{i:02}"), &format!("it@t{i:02}.example")).await;
    }
    h.google.set_knobs(Knobs {
        fail_refresh: Some((401, "invalid_client".into())),
        ..Default::default()
    });
    let before = h.google.refreshes();
    let r = check(&h, None).await;
    let Reply::Health {
        checks: got,
        skipped,
        alarm,
        ..
    } = &r
    else {
        panic!()
    };
    assert!(
        !skipped.is_empty() && skipped.iter().all(|s| s.reason.contains("stopped early")),
        "the rest are said not checked: {skipped:?}"
    );
    assert_eq!(got.len() + skipped.len(), 12);
    let alarm = alarm.clone().expect("an alarm");
    assert!(alarm.reason.contains("invalid_client"), "{}", alarm.reason);
    assert!(got.iter().all(|c| c.health == Health::ClientError));
    let asked = h.google.refreshes() - before;
    assert!(
        asked <= 2 * mcp_onboard::engine::ops::health::CHECK_CONCURRENCY as u32,
        "the round stopped early: {asked} of 12 asked"
    );
    for i in 0..12 {
        let t = h.show(&format!("t{i:02}")).await;
        assert_eq!(t.status, TenantStatus::Consented, "nobody flipped");
    }
    let Reply::Status(s) = h
        .engine
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            Command::Status,
        )
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(
        s.health.contains("ALARM") && s.health.contains("invalid_client"),
        "{}",
        s.health
    );

    // Raised again, it keeps the time it was first raised.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    check(&h, Some("t00")).await;
    assert_eq!(h.engine.health_alarm().unwrap().since, alarm.since);

    // The client is fixed: the next answer clears the alarm.
    h.google.set_knobs(Knobs::default());
    let r = check(&h, Some("t00")).await;
    let Reply::Health { alarm, .. } = &r else {
        panic!()
    };
    assert!(alarm.is_none());
    assert!(h.engine.health_alarm().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_google_ends_the_round_early_instead_of_asking_about_everyone() {
    let h = harness().await;
    for i in 0..20 {
        consented(&h, &format!("t{i:02}"), &format!("it@t{i:02}.example")).await;
    }
    h.google.set_knobs(Knobs {
        fail_refresh: Some((503, String::new())),
        ..Default::default()
    });
    let before = h.google.refreshes();
    let r = check(&h, None).await;
    let Reply::Health {
        checks, skipped, ..
    } = &r
    else {
        panic!()
    };
    let asked = (h.google.refreshes() - before) as usize;
    let most = mcp_onboard::engine::ops::health::TRANSIENT_STOP
        + mcp_onboard::engine::ops::health::CHECK_CONCURRENCY;
    assert!(asked <= most, "asked {asked} of 20");
    assert_eq!(checks.len(), asked);
    assert_eq!(skipped.len(), 20 - asked);
    assert!(h.engine.health_alarm().is_none(), "busy is no alarm");
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_verdict_again_is_no_change_to_the_tenant(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    consented(&h, "acme", "it@acme.example").await;
    check(&h, Some("acme")).await;
    let first = h.show("acme").await.updated_at.clone();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    check(&h, Some("acme")).await;
    let t = h.show("acme").await;
    assert_eq!(t.updated_at, first, "LAST CHANGE stays");
    assert!(t.token.unwrap().checked_at.is_some());
}
