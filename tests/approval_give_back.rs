//! Approving a new account gives the previous account's grant back at Google, one grant per
//! OAuth client, trying each of that account's tokens through the client until Google takes
//! one: a token that is no longer live (Google retires an account's oldest past 100) does
//! not leave the grant live; when none is taken, the timeline says so. A grant held by
//! nobody else goes back even when the integration that held it is leaving; one behind a
//! consent still waiting for approval is kept. With the store on sled and on PostgreSQL.

mod common;

use common::pg::Backend;
use common::{DRIVE_TOKEN, Harness, consent_drive, consent_for, harness_on, integration, stored};
use mcp_onboard::engine::model::{EventKind, Integration, TenantStatus};
use mcp_onboard::engine::ops::revoke::{GiveBackGrants, RevokeResult};
use mcp_onboard::engine::{Actor, Command, Reply, Worker};
use rstest::rstest;
use secrecy::ExposeSecret;

/// `slug` consented by `email` for Gmail over HTTP and for Drive (both through `[google]`'s
/// client): Gmail's token and Drive's.
async fn both(h: &Harness, slug: &str, email: &str) -> (String, String) {
    h.add(slug, None, None).await;
    assert_eq!(h.onboard(slug, email).await.status, 200);
    integration(h, slug, Integration::GoogleDrive, true)
        .await
        .unwrap();
    consent_drive(h, slug, email).await;
    let gmail = h.token(slug).expect("Gmail's token");
    let drive = h.secret(slug, common::DRIVE_TOKEN).expect("Drive's token");
    (
        gmail.expose_secret().to_owned(),
        drive.expose_secret().to_owned(),
    )
}

/// bob consents to `slug`'s Gmail and the operator approves: what the timeline says of the
/// previous account's grant.
async fn approve_bob(h: &Harness, slug: &str) -> Vec<String> {
    assert_eq!(h.onboard(slug, "bob@acme.com").await.status, 200);
    h.run(Command::Approve { slug: slug.into() }).await;
    let t = h.show(slug).await;
    assert_eq!(t.google_email.as_deref(), Some("bob@acme.com"));
    t.events
        .iter()
        .filter(|e| e.kind == EventKind::GrantRevoked)
        .map(|e| e.detail.clone())
        .collect()
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_token_first_does_not_leave_the_previous_grant_live(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    let (gmail, drive) = both(&h, "acme", "ann@acme.com").await;
    // Google retired ann's Gmail token; her grant (and Drive's token) lives on.
    assert!(h.google.retire_token(&gmail));
    let said = approve_bob(&h, "acme").await;
    assert!(
        !h.google.live_refresh_tokens().contains(&drive),
        "ann's grant is given back with Drive's token: {said:?}"
    );
    assert_eq!(said.len(), 1, "one grant, one entry: {said:?}");
    assert!(said[0].contains("given back at Google"), "{said:?}");
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_no_token_is_taken_the_timeline_says_so(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    let (gmail, drive) = both(&h, "acme", "ann@acme.com").await;
    assert!(h.google.retire_token(&gmail));
    assert!(h.google.retire_token(&drive));
    let said = approve_bob(&h, "acme").await;
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].contains("failed with each of its 2 tokens") && said[0].contains("invalid_token"),
        "{said:?}"
    );
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn approving_a_new_account_while_drive_leaves_gives_the_previous_accounts_drive_grant_back(
    #[case] backend: Backend,
) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    integration(&h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    // acme's account is ann's, by Drive's consent alone.
    assert_eq!(
        consent_for(&h, "acme", Integration::GoogleDrive, "ann@acme.com")
            .await
            .status,
        200
    );
    let ann_drive = h
        .secret("acme", DRIVE_TOKEN)
        .expect("ann's Drive token")
        .expose_secret()
        .to_owned();
    // bob consents for Gmail: it waits for approval.
    assert_eq!(
        consent_for(&h, "acme", Integration::Gmail, "bob@acme.com")
            .await
            .status,
        200
    );
    // Drive is removed: its offboarding waits at its revoke step (no provisioner here).
    integration(&h, "acme", Integration::GoogleDrive, false)
        .await
        .unwrap();
    assert_eq!(
        h.show("acme").await.integrations[1].status,
        TenantStatus::Offboarding
    );
    // Meanwhile the operator approves bob's consent: acme is bob's now.
    h.run(Command::Approve {
        slug: "acme".into(),
    })
    .await;
    assert_eq!(
        h.show("acme").await.google_email.as_deref(),
        Some("bob@acme.com")
    );
    // Drive's revoke step, as the provisioner runs it: ann's grant, held by nobody now,
    // goes back at Google; it is not taken for bob's, which acme's Gmail holds.
    let facet = stored(&h, "acme")
        .await
        .facet(Integration::GoogleDrive)
        .expect("Drive, leaving");
    let step = GiveBackGrants {
        tenant: facet,
        integration: Some(Integration::GoogleDrive),
    };
    let RevokeResult::Done(said) = h.engine.run(Actor::System(Worker::Provisioner), step).await
    else {
        panic!("the revoke step is done");
    };
    assert!(!said.contains("kept at Google"), "{said}");
    assert!(
        !h.google.live_refresh_tokens().contains(&ann_drive),
        "ann's Drive grant is live at Google: {said}"
    );
    assert!(h.secret("acme", DRIVE_TOKEN).is_none());
    let t = h.show("acme").await;
    assert!(
        t.events
            .iter()
            .any(|e| e.kind == EventKind::GrantRevoked && e.detail.contains("previous account")),
        "{:#?}",
        t.events
    );
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_consent_waiting_for_drive_keeps_its_accounts_grant_when_another_tenant_gives_one_up(
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
    let t = h.show("acme").await;
    assert_eq!(t.integrations[1].status, TenantStatus::AwaitingApproval);
    let waiting = h
        .secret("acme", "google-drive/pending_refresh_token")
        .expect("bob's consent kept aside")
        .expose_secret()
        .to_owned();

    // beta's Drive holds bob's consent, then goes: bob's grant at Google is also behind
    // acme's waiting consent, so it is kept, and beta's timeline says who holds it.
    h.add("beta", None, None).await;
    integration(&h, "beta", Integration::GoogleDrive, true)
        .await
        .unwrap();
    consent_drive(&h, "beta", "bob@acme.com").await;
    let Reply::Tenant(beta) = integration(&h, "beta", Integration::GoogleDrive, false)
        .await
        .unwrap()
    else {
        panic!("beta shown");
    };
    assert!(
        h.google.live_refresh_tokens().contains(&waiting),
        "acme's waiting consent was ended at Google"
    );
    let removed = beta
        .events
        .iter()
        .find(|e| e.kind == EventKind::IntegrationRemoved)
        .expect("the removal on beta's timeline");
    assert!(
        removed.detail.contains("kept") && removed.detail.contains("acme"),
        "{}",
        removed.detail
    );
    // Approved, bob's consent is Drive's and works.
    h.run(Command::Approve {
        slug: "acme".into(),
    })
    .await;
    assert_eq!(
        h.show("acme").await.integrations[1].status,
        TenantStatus::Consented
    );
    assert_eq!(
        h.secret("acme", DRIVE_TOKEN)
            .map(|s| s.expose_secret().to_owned()),
        Some(waiting)
    );
}
