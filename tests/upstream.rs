//! What comes back from upstream (Blaxel) cannot hurt the owner: a wild `Retry-After-Ms`
//! neither panics the provisioner nor leaves a tenant stuck, and secrets a front end echoes
//! back never reach the tenant's record, its timeline, the faces, webhooks or the disk.

mod common;

use std::time::Duration;

use common::blaxel_rig::*;
use mcp_onboard::engine::Command;
use mcp_onboard::engine::model::{EventKind, FailureKind, ProvisionStep, TenantStatus};
use mcp_onboard::provision::ProvisionSettings;
use mcp_onboard::sandbox::blaxel::BlaxelFaults;

#[tokio::test]
async fn a_retry_after_ms_of_1e300_is_clamped_and_the_tenant_is_retried_not_stuck() {
    let faults = BlaxelFaults {
        rate_limit_every: Some(1),
        retry_after_ms_raw: Some("1e300".into()),
        ..Default::default()
    };
    let r = rig(
        faults,
        ProvisionSettings {
            max_retry_after: Duration::from_millis(300),
            ..fast()
        },
    )
    .await;
    r.h.add("acme", None, None).await;
    consent_directly(&r.h, "acme", "1//t").await;
    let t = wait_until(&r.h, "acme", Duration::from_secs(10), |t| {
        t.events.iter().any(|e| e.kind == EventKind::ProvisionRetry)
    })
    .await;
    let retry = t
        .events
        .iter()
        .find(|e| e.kind == EventKind::ProvisionRetry)
        .unwrap();
    assert!(retry.detail.contains("429"), "{}", retry.detail);
    r.blaxel.set_faults(BlaxelFaults::default());
    wait_for(
        &r.h,
        "acme",
        TenantStatus::Deployed,
        Duration::from_secs(20),
    )
    .await;
    assert!(!r.worker.is_finished(), "the provisioner runs on");
}

#[tokio::test]
async fn a_panic_in_a_provisioning_step_stops_the_job_as_failed_and_retry_runs_it_again() {
    let r = rig(BlaxelFaults::default(), fast()).await;
    r.provisioner.panic_on_step_for_tests(Some("acme"));
    r.h.add("acme", None, None).await;
    r.h.add("beta", None, None).await;
    consent_directly(&r.h, "acme", "1//a").await;
    consent_directly(&r.h, "beta", "1//b").await;
    let t = wait_for(&r.h, "acme", TenantStatus::Failed, Duration::from_secs(10)).await;
    assert_eq!(t.failure, Some(FailureKind::Internal));
    let reason = t.reason.unwrap();
    assert!(
        reason.contains("injected panic") && reason.contains("mcp-onboard retry acme"),
        "{reason}"
    );
    let p = t.provisioning.unwrap();
    assert_eq!(
        (p.step, p.failed_step),
        (ProvisionStep::Stopped, Some(ProvisionStep::Connection))
    );
    // Another tenant is not held up, and the provisioner runs on.
    wait_for(
        &r.h,
        "beta",
        TenantStatus::Deployed,
        Duration::from_secs(20),
    )
    .await;
    r.provisioner.panic_on_step_for_tests(None);
    r.h.engine
        .execute(Command::Retry {
            slug: "acme".into(),
        })
        .await
        .unwrap();
    wait_for(
        &r.h,
        "acme",
        TenantStatus::Deployed,
        Duration::from_secs(20),
    )
    .await;
    assert!(!r.worker.is_finished());
}
