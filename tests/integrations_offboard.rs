//! Offboarding a tenant whole when it holds integrations beyond its first, against the
//! Blaxel and Google stand-ins: every integration goes through its own offboarding job
//! (its MCP server and connection deleted), the account's grant is given back once, at the
//! end, and only when no integration of any tenant still holds a consent by it; the
//! tenant ends `offboarded` with its secrets wiped. With the store on sled and on
//! PostgreSQL.

mod common;

use std::time::Duration;

use common::blaxel_rig::{Rig, poll_until, rig_on};
use common::pg::Backend;
use common::{DRIVE_TOKEN, integration};
use mcp_onboard::engine::model::{EventKind, Integration, TenantStatus};
use mcp_onboard::engine::{Command, EngineError, Reply};
use mcp_onboard::sandbox::blaxel::BlaxelFaults;
use rstest::rstest;

const WITHIN: Duration = Duration::from_secs(30);

/// `slug` onboarded for Gmail and then Drive over HTTP by `email`, both deployed.
async fn gmail_and_drive(r: &Rig, slug: &str, email: &str) {
    r.onboarded(slug, email).await;
    integration(&r.h, slug, Integration::GoogleDrive, true)
        .await
        .unwrap();
    let issue = Command::IssueLink {
        slug: slug.into(),
        ttl_secs: 3600,
        replace: false,
        integration: Some(Integration::GoogleDrive),
    };
    let Reply::Link(link) = r.run(issue).await else {
        panic!("a link");
    };
    assert_eq!(r.h.onboard_through(&link, email).await.status, 200);
    let s = slug.to_owned();
    poll_until(WITHIN, async || {
        let t = r.h.show(&s).await;
        match t.integrations.get(1).map(|i| i.status) {
            Some(TenantStatus::Deployed) => Ok(()),
            other => Err(other),
        }
    })
    .await;
}

fn started(reply: &Reply) -> (Vec<String>, Vec<String>) {
    let Reply::Offboarding {
        started, skipped, ..
    } = reply
    else {
        panic!("{reply:?}")
    };
    (
        started.clone(),
        skipped.iter().map(|s| s.reason.clone()).collect(),
    )
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn every_integration_is_offboarded_and_the_grant_goes_back_once_at_the_end(
    #[case] backend: Backend,
) {
    let Some(r) = rig_on(backend, BlaxelFaults::default()).await else {
        return;
    };
    gmail_and_drive(&r, "acme", "ann@acme.com").await;
    // Another tenant holds a consent by ann: while it does, ann's grant stays.
    r.onboarded("beta", "ann@acme.com").await;
    assert_eq!(r.blaxel.connections().len(), 3);

    let (done, skipped) = started(&r.offboard(&["acme"]).await);
    assert_eq!(done, ["acme"], "{skipped:?}");
    let t = r.offboarded("acme").await;
    assert_eq!(t.integrations.len(), 2);
    assert!(
        t.integrations
            .iter()
            .all(|i| i.status == TenantStatus::Offboarded),
        "{:?}",
        t.integrations
    );
    let names: Vec<String> = r.blaxel.connections().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["gmail-beta"], "only beta's connection is left");
    let funcs: Vec<String> = r.blaxel.functions().into_iter().map(|f| f.name).collect();
    assert_eq!(funcs, ["gmail-mcp-beta"]);
    assert!(r.h.token("acme").is_none() && r.h.secret("acme", DRIVE_TOKEN).is_none());
    assert_eq!(r.h.google.revoked_count(), 0, "beta holds a consent by ann");
    let kept = t
        .events
        .iter()
        .filter(|e| e.kind == EventKind::OffboardStep && e.detail.contains("kept at Google"))
        .count();
    assert_eq!(kept, 1, "one decision about the grant: {:#?}", t.events);
    let offboarded: Vec<_> = t
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Offboarded)
        .map(|e| e.integration)
        .collect();
    assert_eq!(offboarded.len(), 2, "{offboarded:?}");
    assert!(offboarded.contains(&Some(Integration::GoogleDrive)));

    // beta goes too: nobody holds a consent by ann any more, so her grant goes back.
    r.offboard(&["beta"]).await;
    r.offboarded("beta").await;
    assert!(r.h.google.live_refresh_tokens().is_empty());
    assert!(r.blaxel.connections().is_empty() && r.blaxel.functions().is_empty());

    // gamma's Gmail and Drive by carol, held by nobody else: one revoke ends both.
    gmail_and_drive(&r, "gamma", "carol@gamma.com").await;
    assert_eq!(r.h.google.live_refresh_tokens().len(), 2);
    r.offboard(&["gamma"]).await;
    let t = r.offboarded("gamma").await;
    assert!(r.h.google.live_refresh_tokens().is_empty());
    let given_back = t
        .events
        .iter()
        .find(|e| e.detail.contains("was revoked at Google"))
        .expect("the revoke on the timeline");
    assert_eq!(given_back.integration, None, "the tenant's own job");
    assert!(
        given_back
            .detail
            .contains("google-drive's refresh token ended with it"),
        "{}",
        given_back.detail
    );
    assert!(r.blaxel.connections().is_empty() && r.blaxel.functions().is_empty());
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_tenant_whose_only_consent_is_drives_is_offboarded_not_removed(#[case] backend: Backend) {
    let Some(r) = rig_on(backend, BlaxelFaults::default()).await else {
        return;
    };
    r.h.add("acme", None, None).await;
    integration(&r.h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    let issue = Command::IssueLink {
        slug: "acme".into(),
        ttl_secs: 3600,
        replace: false,
        integration: Some(Integration::GoogleDrive),
    };
    let Reply::Link(link) = r.run(issue).await else {
        panic!("a link");
    };
    assert_eq!(r.h.onboard_through(&link, "ann@acme.com").await.status, 200);
    poll_until(WITHIN, async || match r.blaxel.functions().len() {
        1 => Ok(()),
        n => Err(n),
    })
    .await;
    // It holds a grant and Blaxel resources: removing it would leave them behind.
    let refused = r
        .refused(Command::RemoveTenant {
            slug: "acme".into(),
        })
        .await;
    assert!(matches!(refused, EngineError::Transition(_)), "{refused:?}");
    let (done, skipped) = started(&r.offboard(&["acme"]).await);
    assert_eq!(done, ["acme"], "{skipped:?}");
    let t = r.offboarded("acme").await;
    assert_eq!(t.integrations[1].status, TenantStatus::Offboarded);
    assert!(r.blaxel.connections().is_empty() && r.blaxel.functions().is_empty());
    assert!(
        r.h.google.live_refresh_tokens().is_empty(),
        "ann's grant went back"
    );
    assert!(r.h.secret("acme", DRIVE_TOKEN).is_none());
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn an_integration_never_consented_ends_with_the_tenant(#[case] backend: Backend) {
    let Some(r) = rig_on(backend, BlaxelFaults::default()).await else {
        return;
    };
    r.onboarded("acme", "ann@acme.com").await;
    integration(&r.h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    let (done, _) = started(&r.offboard(&["acme"]).await);
    assert_eq!(done, ["acme"]);
    let t = r.offboarded("acme").await;
    assert_eq!(t.integrations[1].status, TenantStatus::Offboarded);
    assert!(r.blaxel.connections().is_empty());
    assert!(r.h.google.live_refresh_tokens().is_empty());
}
