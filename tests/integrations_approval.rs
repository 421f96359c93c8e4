//! The identity gate per integration against the Google stand-in: a consent to Drive by
//! another account than the tenant's waits for approval on Drive; `approve` and `reject`
//! act on the integration that waits (the only one, or the one named), and approving a new
//! account moves the whole tenant to it: its other integrations' consents by the previous
//! account need a new consent and their jobs stop, and that account's grant goes back at
//! Google (its harder cases: `approval_give_back`). With the store on sled and on
//! PostgreSQL.

mod common;

use common::pg::Backend;
use common::{DRIVE_TOKEN, consent_drive, consent_for, harness_on, integration, stored, token_of};
use mcp_onboard::domain::audit::Operator;
use mcp_onboard::domain::facet::apply_to;
use mcp_onboard::engine::lifecycle::{Transition, TransitionError};
use mcp_onboard::engine::model::{
    EventKind, FailureKind, Integration, ProvisionStep, TenantStatus,
};
use mcp_onboard::engine::ops::jobs::Record;
use mcp_onboard::engine::{Actor, Command, EngineError, Reply, Worker};
use mcp_onboard::store::Durability;
use rstest::rstest;
use secrecy::ExposeSecret;

fn ada() -> Actor {
    Actor::Operator(Operator {
        uid: Some(1000),
        ..Default::default()
    })
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn approving_drives_new_account_moves_the_tenant_to_it(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    let ann_gmail = h.token("acme").unwrap().expose_secret().to_owned();
    integration(&h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    assert_eq!(
        consent_for(&h, "acme", Integration::GoogleDrive, "bob@acme.com")
            .await
            .status,
        200
    );
    let t = h.show("acme").await;
    assert_eq!(t.status, TenantStatus::AwaitingApproval);
    assert_eq!(t.integrations[1].status, TenantStatus::AwaitingApproval);
    assert_eq!(t.integrations[0].status, TenantStatus::Consented);
    assert!(h.secret("acme", DRIVE_TOKEN).is_none(), "kept aside");
    let waiting = t.pending_consent.as_ref().expect("shown as waiting");
    assert_eq!(waiting.account, "bob@acme.com");
    // While Drive's waits, no new link is issued, not even one for Gmail alone.
    let issue = Command::IssueLink {
        slug: "acme".into(),
        ttl_secs: 3600,
        replace: false,
        integration: Some(Integration::Gmail),
    };
    let refused = h.refused(issue).await;
    assert!(
        refused.to_string().contains("waiting for approval"),
        "{refused}"
    );

    // The only consent waiting is Drive's: `approve acme` takes it.
    h.run(Command::Approve {
        slug: "acme".into(),
    })
    .await;
    let t = h.show("acme").await;
    assert_eq!(t.google_email.as_deref(), Some("bob@acme.com"));
    assert_eq!(t.integrations[1].status, TenantStatus::Consented);
    assert!(
        h.secret("acme", DRIVE_TOKEN).is_some(),
        "bob's token is Drive's"
    );
    assert!(
        h.secret("acme", "google-drive/pending_refresh_token")
            .is_none()
    );
    // Gmail's consent is ann's: one account per tenant, so Gmail needs bob's consent now,
    // and ann's grant (held by nobody else) goes back at Google.
    assert_eq!(t.integrations[0].status, TenantStatus::NeedsReconsent);
    let why = t.integrations[0].reason.clone().unwrap_or_default();
    assert!(
        why.contains("bob@acme.com") && why.contains("google-drive"),
        "{why}"
    );
    assert!(!h.google.live_refresh_tokens().contains(&ann_gmail));
    assert!(
        h.token("acme").is_none(),
        "ann's token is not kept for bob's tenant"
    );
    assert_eq!(t.status, TenantStatus::NeedsReconsent);
    let approved = t
        .events
        .iter()
        .find(|e| e.kind == EventKind::Approved)
        .expect("the approval on the timeline");
    assert_eq!(approved.integration, Some(Integration::GoogleDrive));
    // Nothing waits any more.
    let none = h
        .refused(Command::Approve {
            slug: "acme".into(),
        })
        .await;
    assert!(matches!(none, EngineError::Transition(_)), "{none:?}");

    // A new link asks Gmail's consent again, by bob: accepted at once.
    assert_eq!(
        consent_for(&h, "acme", Integration::Gmail, "bob@acme.com")
            .await
            .status,
        200
    );
    let t = h.show("acme").await;
    assert_eq!(t.integrations[0].status, TenantStatus::Consented);
    assert_eq!(t.status, TenantStatus::Consented);
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn with_several_waiting_the_operator_names_the_integration(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    integration(&h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    consent_drive(&h, "acme", "ann@acme.com").await;
    assert_eq!(
        consent_for(&h, "acme", Integration::Gmail, "carol@acme.com")
            .await
            .status,
        200
    );
    // Drive's consent by bob waiting too (a consent through a link supersedes the
    // tenant's other links, so this is planted as a callback of an earlier flow would).
    let (bob, token) = token_of(&h, "acme", "bob@acme.com").await;
    h.engine
        .commit_for_tests(move |tx| {
            let cur = tx.tenant("acme")?.expect("acme");
            let wait = Transition::AwaitApproval {
                identity: bob.clone(),
                granted_scopes: Integration::GoogleDrive.scopes(),
            };
            let (next, e) = apply_to(&cur, Some(Integration::GoogleDrive), &wait, tx.now())?;
            tx.put_tenant(next, Some(e))?;
            tx.put_secret("acme", "google-drive/pending_refresh_token", &token)?;
            Ok(())
        })
        .await
        .unwrap();
    let t = h.show("acme").await;
    assert_eq!(t.integrations[0].status, TenantStatus::AwaitingApproval);
    assert_eq!(t.integrations[1].status, TenantStatus::AwaitingApproval);
    let which = h
        .refused(Command::Approve {
            slug: "acme".into(),
        })
        .await;
    let said = which.to_string();
    assert!(
        matches!(which, EngineError::Conflict(_))
            && said.contains("gmail (carol@acme.com)")
            && said.contains("google-drive (bob@acme.com)")
            && said.contains("--integration"),
        "{said}"
    );
    let live_before = h.google.live_refresh_tokens().len();

    // Gmail's is rejected by name: carol's grant goes back, Gmail stays ann's.
    let reject = Command::RejectIntegration {
        slug: "acme".into(),
        integration: Integration::Gmail,
    };
    h.engine.run(ada(), reject).await.unwrap();
    let t = h.show("acme").await;
    assert_eq!(t.integrations[0].status, TenantStatus::Consented);
    assert_eq!(t.integrations[1].status, TenantStatus::AwaitingApproval);
    assert_eq!(t.google_email.as_deref(), Some("ann@acme.com"));
    assert_eq!(h.google.live_refresh_tokens().len(), live_before - 1);

    // Drive's is approved by name.
    let approve = Command::ApproveIntegration {
        slug: "acme".into(),
        integration: Integration::GoogleDrive,
    };
    h.engine.run(ada(), approve).await.unwrap();
    let t = h.show("acme").await;
    assert_eq!(t.google_email.as_deref(), Some("bob@acme.com"));
    assert_eq!(t.integrations[1].status, TenantStatus::Consented);
    assert_eq!(t.integrations[0].status, TenantStatus::NeedsReconsent);

    // The audit chain names the integration of each decision.
    let audit = Command::Audit {
        tenant: Some("acme".into()),
        since_ms: None,
    };
    let Reply::Audit { records } = h.run(audit).await else {
        panic!("the audit chain");
    };
    for (kind, what, name) in [
        ("command", "reject_integration", "\"gmail\""),
        ("command", "approve_integration", "\"google-drive\""),
        ("event", "approved", "[google-drive]"),
    ] {
        let r = records
            .iter()
            .find(|r| r.kind == kind && r.what == what)
            .unwrap_or_else(|| panic!("no {kind} {what}"));
        assert!(r.detail.contains(name), "{}", r.detail);
    }
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn approving_a_new_account_stops_the_others_provisioning_on_its_way(
    #[case] backend: Backend,
) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    integration(&h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    assert_eq!(
        consent_for(&h, "acme", Integration::GoogleDrive, "bob@acme.com")
            .await
            .status,
        200
    );
    // No provisioner runs here: Gmail's job waits at its first step, as one on its way.
    let before = stored(&h, "acme").await.provision.expect("Gmail's job");
    assert_eq!(before.step, ProvisionStep::Connection);
    h.run(Command::Approve {
        slug: "acme".into(),
    })
    .await;
    let t = stored(&h, "acme").await;
    assert_eq!(t.status, TenantStatus::NeedsReconsent);
    let job = t.provision.clone().expect("Gmail's job");
    assert!(!job.step.is_active(), "Gmail's job goes on: {job:?}");
    // The provisioner's step under way (with ann's token, given back now) comes back:
    // it changes nothing, so Gmail neither ends deployed nor failed with it.
    let late = Record {
        slug: "acme".into(),
        integration: None,
        transition: Transition::ConnectionReady {
            generation: before.generation,
        },
        durability: Durability::Lazy,
    };
    let refused = h
        .engine
        .run(Actor::System(Worker::Provisioner), late)
        .await
        .expect_err("a stale result");
    assert!(
        matches!(refused, EngineError::Transition(TransitionError::Stale(_))),
        "{refused:?}"
    );
    let after = stored(&h, "acme").await;
    assert_eq!(after.provision, t.provision);
    assert_eq!(after.status, TenantStatus::NeedsReconsent);
    assert!(!after.holds_consent());
    // Drive, approved, provisions with bob's token.
    let drive = after.facet(Integration::GoogleDrive).unwrap();
    assert!(drive.provision.is_some_and(|p| p.step.is_active()));
    // bob's consent for Gmail starts Gmail's job afresh.
    assert_eq!(
        consent_for(&h, "acme", Integration::Gmail, "bob@acme.com")
            .await
            .status,
        200
    );
    let fresh = stored(&h, "acme").await.provision.expect("Gmail's job");
    assert_eq!(fresh.step, ProvisionStep::Connection);
    assert!(fresh.generation > job.generation);
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn retry_runs_the_approved_integrations_job_again_beside_one_that_needs_a_new_consent(
    #[case] backend: Backend,
) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    integration(&h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    assert_eq!(
        consent_for(&h, "acme", Integration::GoogleDrive, "ann@acme.com")
            .await
            .status,
        200
    );
    assert_eq!(
        consent_for(&h, "acme", Integration::Gmail, "bob@acme.com")
            .await
            .status,
        200
    );
    h.run(Command::Approve {
        slug: "acme".into(),
    })
    .await;
    let t = stored(&h, "acme").await;
    assert_eq!(
        t.status_of(Integration::GoogleDrive),
        Some(TenantStatus::NeedsReconsent)
    );
    // Gmail's job (bob's token) fails; `retry acme` runs it again, and Drive, which waits
    // for bob's consent, neither stops that nor is run itself.
    let job = t.provision.expect("Gmail's job");
    let failed = Record {
        slug: "acme".into(),
        integration: None,
        transition: Transition::ProvisionFailed {
            generation: job.generation,
            step: job.step,
            kind: FailureKind::BlaxelRejected,
            reason: "refused".into(),
        },
        durability: Durability::Lazy,
    };
    h.engine
        .run(Actor::System(Worker::Provisioner), failed)
        .await
        .unwrap();
    assert_eq!(h.show("acme").await.status, TenantStatus::Failed);
    h.run(Command::Retry {
        slug: "acme".into(),
    })
    .await;
    let t = stored(&h, "acme").await;
    assert_eq!(t.status, TenantStatus::Consented);
    assert!(
        t.provision
            .as_ref()
            .is_some_and(|p| p.step == ProvisionStep::Connection)
    );
    assert_eq!(
        t.status_of(Integration::GoogleDrive),
        Some(TenantStatus::NeedsReconsent)
    );
}
