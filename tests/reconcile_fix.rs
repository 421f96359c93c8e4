//! `reconcile --fix`: of each tenant, only integrations that hold a consent and are not
//! leaving are provisioned again (one waiting for a new consent is left to it); a tenant
//! that cannot be fixed is named with why and the others are fixed; `--fix SLUG` looks at
//! that tenant's resources alone, without listing all of Blaxel.

mod common;

use std::time::Duration;

use common::blaxel_rig::{KEY, Rig, WS, poll_until, rig};
use common::{DRIVE_TOKEN, OWNER, integration};
use mcp_onboard::blaxel::BlaxelClient;
use mcp_onboard::domain::facet::apply_to;
use mcp_onboard::domain::health::Health;
use mcp_onboard::engine::lifecycle::Transition;
use mcp_onboard::engine::model::{EventKind, Integration, TenantStatus};
use mcp_onboard::engine::{Command, Reply};
use mcp_onboard::sandbox::blaxel::BlaxelFaults;
use secrecy::SecretString;

const WITHIN: Duration = Duration::from_secs(30);

/// `slug` onboarded for Gmail and Drive, both deployed.
async fn both_deployed(r: &Rig, slug: &str) {
    r.onboarded(slug, &format!("it@{slug}.example")).await;
    integration(&r.h, slug, Integration::GoogleDrive, true)
        .await
        .unwrap();
    let s = slug.to_owned();
    r.h.engine
        .commit_for_tests(move |tx| {
            let cur = tx.tenant(&s)?.expect("the tenant");
            let consent = Transition::Consented {
                identity: cur.google.clone().expect("Gmail's account"),
                granted_scopes: Integration::GoogleDrive.scopes(),
            };
            let (next, e) = apply_to(&cur, Some(Integration::GoogleDrive), &consent, tx.now())?;
            tx.put_tenant(next, Some(e))?;
            tx.put_secret(&s, DRIVE_TOKEN, &SecretString::from("1//drive"))?;
            Ok(())
        })
        .await
        .unwrap();
    r.h.engine.wake_provisioner();
    poll_until(WITHIN, async || {
        let t = r.h.show(slug).await;
        match t.integrations.iter().map(|i| i.status).collect::<Vec<_>>()[..] {
            [TenantStatus::Deployed, TenantStatus::Deployed] => Ok(()),
            ref other => Err(other.to_vec()),
        }
    })
    .await;
}

/// Google refused `slug`'s Drive token: Drive needs a new consent.
async fn drive_refused(r: &Rig, slug: &str) {
    let s = slug.to_owned();
    r.h.engine
        .commit_for_tests(move |tx| {
            let cur = tx.tenant(&s)?.expect("the tenant");
            let refused = Transition::HealthChecked {
                health: Health::NeedsReconsent,
                reason: "invalid_grant".into(),
            };
            let (next, e) = apply_to(&cur, Some(Integration::GoogleDrive), &refused, tx.now())?;
            tx.put_tenant(next, Some(e))?;
            Ok(())
        })
        .await
        .unwrap();
}

/// Delete a function behind the engine's back.
async fn delete_behind(r: &Rig, function: &str) {
    let http = reqwest::Client::builder().build().unwrap();
    let other = BlaxelClient::new(
        r.blaxel.base_url(),
        WS.into(),
        SecretString::from(KEY),
        http,
    );
    other.delete_function(function).await.unwrap();
}

/// The integrations of `slug` reconcile provisioned again, as its timeline says.
async fn reprovisioned(r: &Rig, slug: &str) -> Vec<Option<Integration>> {
    r.h.show(slug)
        .await
        .events
        .iter()
        .filter(|e| {
            e.kind == EventKind::RetryRequested && e.detail.contains("provision again (reconcile)")
        })
        .map(|e| e.integration)
        .collect()
}

async fn fix(r: &Rig, slugs: &[&str]) -> Reply {
    let c = Command::ReconcileFix {
        slugs: slugs.iter().map(|s| (*s).to_owned()).collect(),
    };
    r.h.engine.run(OWNER, c).await.expect("reconcile --fix")
}

async fn server_back(r: &Rig, slug: &str, function: &str) {
    poll_until(WITHIN, async || {
        let back = r.blaxel.functions().iter().any(|f| f.name == function);
        match r.h.show(slug).await.integrations[0].status {
            TenantStatus::Deployed if back => Ok(()),
            other => Err(other),
        }
    })
    .await;
}

#[tokio::test]
async fn fix_slug_looks_at_that_tenant_alone_and_remakes_what_drifted() {
    let r = rig(BlaxelFaults::default()).await;
    both_deployed(&r, "acme").await;
    drive_refused(&r, "acme").await;
    delete_behind(&r, "gmail-mcp-acme").await;
    let before = r.blaxel.request_log().len();
    let Reply::Retried { retried, skipped } = fix(&r, &["acme"]).await else {
        panic!("retried");
    };
    assert_eq!((retried, skipped.len()), (vec!["acme".to_owned()], 0));
    let lists: Vec<_> = r.blaxel.request_log()[before..]
        .iter()
        .filter(|q| {
            q.method == "GET"
                && ["/v0/functions", "/v0/integrations/connections"].contains(&q.path.as_str())
        })
        .map(|q| q.path.clone())
        .collect();
    assert!(lists.is_empty(), "listed all of Blaxel: {lists:?}");
    server_back(&r, "acme", "gmail-mcp-acme").await;
    assert_eq!(reprovisioned(&r, "acme").await, [None]);
    let t = r.h.show("acme").await;
    assert_eq!(t.integrations[1].status, TenantStatus::NeedsReconsent);
}

#[tokio::test]
async fn a_tenant_that_cannot_be_fixed_is_named_and_the_others_are_fixed() {
    let r = rig(BlaxelFaults::default()).await;
    both_deployed(&r, "acme").await;
    r.onboarded("beta", "it@beta.example").await;
    drive_refused(&r, "acme").await;
    // What drifted of acme is its Drive's, which waits for a new consent: nothing of acme
    // is provisioned again for it; beta's missing server is made again.
    delete_behind(&r, "google-drive-mcp-acme").await;
    delete_behind(&r, "gmail-mcp-beta").await;
    let Reply::Retried { retried, skipped } = fix(&r, &[]).await else {
        panic!("retried");
    };
    assert_eq!(retried, ["beta"]);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].slug, "acme");
    assert!(
        skipped[0].reason.contains("google-drive"),
        "{}",
        skipped[0].reason
    );
    server_back(&r, "beta", "gmail-mcp-beta").await;
    assert!(reprovisioned(&r, "acme").await.is_empty());

    // gamma, named with nothing found: its Gmail (holding a consent) is provisioned again,
    // its Drive (waiting for a new consent) is not; acme is named again with why.
    both_deployed(&r, "gamma").await;
    drive_refused(&r, "gamma").await;
    let Reply::Retried { retried, skipped } = fix(&r, &["acme", "gamma"]).await else {
        panic!("retried");
    };
    assert_eq!(retried, ["gamma"], "{skipped:?}");
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(reprovisioned(&r, "gamma").await, [None]);
    let t = r.h.show("gamma").await;
    assert_eq!(t.integrations[1].status, TenantStatus::NeedsReconsent);
}
