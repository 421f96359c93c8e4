//! What the commands over many tenants select when tenants hold several integrations
//! (README, "What a tenant's status means"): a tenant whose Gmail works is never acted on
//! as a whole because its Drive failed. `retry --all-failed` runs again each failed
//! integration's stopped job and nothing else, `link --all-new` links tenants of which no
//! integration consented (or, for one integration, those holding it not yet consented),
//! and lists select by the tenant's status, each integration's, or one integration's.

mod common;

use common::{Harness, harness, integration};
use mcp_onboard::domain::facet::apply_to;
use mcp_onboard::engine::api::{ListQuery, StatusOf};
use mcp_onboard::engine::lifecycle::Transition;
use mcp_onboard::engine::model::{
    EventKind, FailureKind, Integration, ProvisionStep, TenantStatus,
};
use mcp_onboard::engine::{Command, Reply};

const DRIVE: Integration = Integration::GoogleDrive;

/// `integration` of `slug` (`None`: its first) consented by the tenant's account and its
/// provisioning stopped at the connection step: `failed`, with a job to retry.
async fn stopped(h: &Harness, slug: &str, integration: Option<Integration>) {
    let slug = slug.to_owned();
    h.engine
        .commit_for_tests(move |tx| {
            let cur = tx.tenant(&slug)?.expect("the tenant");
            let consent = Transition::Consented {
                identity: cur.google.clone().expect("an account"),
                granted_scopes: vec![],
            };
            let (t, _) = apply_to(&cur, integration, &consent, tx.now())?;
            let job = t.facet(integration.unwrap_or(t.integration)).expect("held");
            let generation = job.provision.expect("a job").generation;
            let stop = Transition::ProvisionFailed {
                generation,
                step: ProvisionStep::Connection,
                kind: FailureKind::BlaxelRejected,
                reason: "refused".into(),
            };
            let (t, e) = apply_to(&t, integration, &stop, tx.now())?;
            tx.put_tenant(t, Some(e))?;
            Ok(())
        })
        .await
        .unwrap();
}

/// The tenants of the test: `mixed` (Gmail consented, Drive failed: its job stopped),
/// `solo` (Gmail alone, failed: its job stopped), `halfway` (Gmail consented, Drive not
/// yet), `fresh` (Gmail and Drive, neither consented).
async fn tenants(h: &Harness) {
    for slug in ["mixed", "solo", "halfway"] {
        h.add(slug, None, None).await;
        assert_eq!(h.onboard(slug, &format!("it@{slug}.com")).await.status, 200);
    }
    h.add("fresh", None, None).await;
    for slug in ["mixed", "halfway", "fresh"] {
        integration(h, slug, DRIVE, true).await.unwrap();
    }
    stopped(h, "mixed", Some(DRIVE)).await;
    stopped(h, "solo", None).await;
}

async fn slugs(h: &Harness, status: TenantStatus, status_of: StatusOf) -> Vec<String> {
    let query = ListQuery {
        status: vec![status],
        status_of,
        ..Default::default()
    };
    let Reply::Tenants { tenants, .. } = h.run(Command::ListTenants { query }).await else {
        panic!("a list");
    };
    tenants.into_iter().map(|t| t.slug).collect()
}

#[tokio::test]
async fn lists_select_by_the_tenants_status_each_integrations_or_one_integrations() {
    let h = harness().await;
    tenants(&h).await;
    let failed = TenantStatus::Failed;
    assert_eq!(slugs(&h, failed, StatusOf::Tenant).await, ["mixed", "solo"]);
    assert_eq!(slugs(&h, failed, StatusOf::Each).await, ["solo"]);
    assert_eq!(
        slugs(&h, failed, StatusOf::Integration(DRIVE)).await,
        ["mixed"]
    );
    let consented = TenantStatus::Consented;
    assert_eq!(
        slugs(&h, consented, StatusOf::Integration(Integration::Gmail)).await,
        ["halfway", "mixed"]
    );
    // A row about one integration is that integration's.
    let query = ListQuery {
        status_of: StatusOf::Integration(DRIVE),
        ..Default::default()
    };
    let Reply::Tenants { tenants, .. } = h.run(Command::ListTenants { query }).await else {
        panic!("a list");
    };
    let rows: Vec<_> = tenants
        .iter()
        .map(|t| (t.slug.as_str(), t.status))
        .collect();
    assert_eq!(
        rows,
        [
            ("fresh", TenantStatus::Created),
            ("halfway", TenantStatus::Created),
            ("mixed", TenantStatus::Failed),
        ]
    );
    assert_eq!(tenants[2].step, Some(ProvisionStep::Stopped));
}

#[tokio::test]
async fn retry_all_failed_runs_each_failed_integrations_stopped_job_alone() {
    let h = harness().await;
    tenants(&h).await;
    let only_gmail = Command::RetryAllFailed {
        slugs: vec![],
        integration: Some(Integration::Gmail),
    };
    let Reply::Retried { retried, .. } = h.run(only_gmail).await else {
        panic!("retried");
    };
    assert_eq!(retried, ["solo"]);
    let all = Command::RetryAllFailed {
        slugs: vec![],
        integration: None,
    };
    let Reply::Retried { retried, .. } = h.run(all).await else {
        panic!("retried");
    };
    assert_eq!(retried, ["mixed"], "solo runs already");
    let t = h.show("mixed").await;
    assert_eq!(t.integrations[1].status, TenantStatus::Consented);
    assert_eq!(t.integrations[0].status, TenantStatus::Consented);
    let retries: Vec<_> = t
        .events
        .iter()
        .filter(|e| e.kind == EventKind::RetryRequested)
        .map(|e| e.integration)
        .collect();
    assert_eq!(retries, [Some(DRIVE)], "Gmail's job was left alone");
}

#[tokio::test]
async fn link_all_new_links_tenants_never_consented_or_one_integration_not_yet() {
    let h = harness().await;
    tenants(&h).await;
    let linked = |r: Reply| match r {
        Reply::Links { links } => links,
        other => panic!("{other:?}"),
    };
    let slugs_of = |links: &[mcp_onboard::engine::api::LinkView]| {
        links.iter().map(|l| l.slug.clone()).collect::<Vec<_>>()
    };
    let drive = Command::LinkAllNew {
        ttl_secs: 3600,
        integration: Some(DRIVE),
    };
    let links = linked(h.run(drive.clone()).await);
    assert_eq!(slugs_of(&links), ["fresh", "halfway"]);
    // halfway's link asks for Drive alone.
    let auth = h.start(&links[1]).await;
    let scope = auth
        .query_pairs()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    assert!(
        scope.contains("drive.file") && !scope.contains("gmail"),
        "{scope}"
    );
    // A live link asking for Drive is there now: none again.
    assert!(linked(h.run(drive).await).is_empty());
    assert_eq!(
        h.show("halfway").await.integrations[0].status,
        TenantStatus::Consented
    );
    let all = Command::LinkAllNew {
        ttl_secs: 3600,
        integration: None,
    };
    assert!(
        linked(h.run(all).await).is_empty(),
        "fresh has a live link; the others consented"
    );
}
