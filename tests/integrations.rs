//! A tenant's integrations through the engine against the Google stand-in: adding one, and
//! removing one it holds beyond its first, whose grant is given back at Google only while
//! no other consent by that account stands (Google's revoke ends the whole grant).

mod common;

use common::{DRIVE_TOKEN, OWNER, consent_drive, harness, integration};
use mcp_onboard::engine::model::{EventKind, Integration, TenantStatus};
use mcp_onboard::engine::{Command, EngineError, Reply};
use secrecy::ExposeSecret;

#[tokio::test]
async fn removing_drive_keeps_gmail_working_and_its_grant_at_google() {
    let h = harness().await;
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    let gmail = h.token("acme").unwrap().expose_secret().to_owned();
    integration(&h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    let t = h.show("acme").await;
    assert_eq!(t.integrations.len(), 2);
    assert_eq!(t.integrations[1].status, TenantStatus::Created);
    let added = t
        .events
        .iter()
        .find(|e| e.kind == EventKind::IntegrationAdded)
        .unwrap();
    assert_eq!(added.integration, Some(Integration::GoogleDrive));
    // Adding it twice is refused.
    let again = integration(&h, "acme", Integration::GoogleDrive, true).await;
    assert!(matches!(again, Err(EngineError::Conflict(_))), "{again:?}");

    consent_drive(&h, "acme", "ann@acme.com").await;
    let drive = h
        .secret("acme", DRIVE_TOKEN)
        .unwrap()
        .expose_secret()
        .to_owned();
    assert_ne!(drive, gmail);
    let before = h.show("acme").await.status;

    integration(&h, "acme", Integration::GoogleDrive, false)
        .await
        .unwrap();
    // No revoke at Google: it would have ended Gmail's grant by the same account.
    assert_eq!(h.google.revoked_count(), 0);
    let live = h.google.live_refresh_tokens();
    assert!(live.contains(&gmail));
    assert!(
        h.secret("acme", DRIVE_TOKEN).is_none(),
        "Drive's copy is wiped"
    );
    assert_eq!(h.token("acme").unwrap().expose_secret(), gmail);
    let t = h.show("acme").await;
    assert_eq!(t.status, before);
    assert_eq!(t.integrations.len(), 1);
    assert_eq!(t.integrations[0].integration, Integration::Gmail);
    let removed = t
        .events
        .iter()
        .find(|e| e.kind == EventKind::IntegrationRemoved)
        .unwrap();
    assert_eq!(removed.integration, Some(Integration::GoogleDrive));
    assert!(
        removed.detail.contains("kept at Google") && removed.detail.contains("acme (gmail) holds"),
        "{}",
        removed.detail
    );
    // Gmail's token still refreshes at Google.
    let checked = h
        .engine
        .run(
            OWNER,
            Command::CheckHealth {
                slug: Some("acme".into()),
                mcp: false,
            },
        )
        .await;
    assert!(checked.is_ok(), "{checked:?}");
    assert_eq!(h.show("acme").await.status, before);
    // The first integration is not removed this way.
    let first = integration(&h, "acme", Integration::Gmail, false).await;
    assert!(
        matches!(first, Err(EngineError::Conflict(ref w)) if w.contains("offboard")),
        "{first:?}"
    );
}

#[tokio::test]
async fn a_drive_grant_goes_back_only_when_no_tenant_holds_a_consent_by_that_account() {
    let h = harness().await;
    // Two tenants whose only consents are Drive's, by the same account.
    for slug in ["acme", "beta"] {
        h.add(slug, None, None).await;
        integration(&h, slug, Integration::GoogleDrive, true)
            .await
            .unwrap();
        consent_drive(&h, slug, "bob@acme.com").await;
    }
    h.show("acme").await;
    let node = h.engine.store().node();
    let sub = node.brief("acme").and_then(|b| b.consent_sub.clone());
    let sub = sub.expect("a tenant whose only consent is Drive's holds one");
    assert_eq!(node.consents_by(&sub), ["acme", "beta"]);
    integration(&h, "acme", Integration::GoogleDrive, false)
        .await
        .unwrap();
    assert_eq!(
        h.google.revoked_count(),
        0,
        "beta's Drive holds a consent by bob"
    );
    let t = h.show("acme").await;
    let removed = t
        .events
        .iter()
        .find(|e| e.kind == EventKind::IntegrationRemoved)
        .unwrap();
    assert!(removed.detail.contains("beta holds"), "{}", removed.detail);

    integration(&h, "beta", Integration::GoogleDrive, false)
        .await
        .unwrap();
    assert!(
        h.google.revoked_count() > 0,
        "nobody holds a consent by bob now"
    );
    assert!(h.google.live_refresh_tokens().is_empty());
    let t = h.show("beta").await;
    let removed = t
        .events
        .iter()
        .find(|e| e.kind == EventKind::IntegrationRemoved)
        .unwrap();
    assert!(
        removed.detail.contains("revoked at Google"),
        "{}",
        removed.detail
    );
    assert!(h.secret("beta", DRIVE_TOKEN).is_none());
}

fn scopes_asked(auth: &url::Url) -> String {
    auth.query_pairs()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn one_link_asks_each_integration_in_turn_by_one_account_and_is_used_after_the_last() {
    let h = harness().await;
    h.add("acme", None, None).await;
    integration(&h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    let link = h.link("acme").await;
    // Its page lists both; Gmail comes first, with only Gmail's scope.
    let page = h.get(&link.url).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Google Drive files you use"),
        "{}",
        page.body
    );
    assert!(page.body.to_lowercase().contains("send"), "{}", page.body);
    let auth = h.start(&link).await;
    let asked = scopes_asked(&auth);
    assert!(
        asked.contains("gmail.send") && !asked.contains("drive"),
        "{asked}"
    );
    let cb = h.consent(&auth, "ann@acme.com", true, None).await;
    assert_eq!(h.get(&cb).await.status, 200);
    let t = h.show("acme").await;
    assert!(
        t.links[0].state == mcp_onboard::engine::model::LinkState::Active,
        "{:?}",
        t.links
    );
    assert_eq!(t.integrations[0].status, TenantStatus::Consented);
    // Drive waits on the link the customer opened.
    assert_eq!(t.integrations[1].status, TenantStatus::LinkOpened);
    assert_eq!(t.status, TenantStatus::LinkOpened);
    let gmail = h.token("acme").unwrap().expose_secret().to_owned();

    // The same link, now for Drive alone (its page lists Drive only); another account is
    // refused in between.
    let page = h.get(&link.url).await;
    assert!(
        page.body.contains("Google Drive files you use"),
        "{}",
        page.body
    );
    assert!(
        !page.body.to_lowercase().contains("send email"),
        "{}",
        page.body
    );
    let auth = h.start(&link).await;
    let asked = scopes_asked(&auth);
    assert!(
        asked.contains("drive.file") && !asked.contains("gmail"),
        "{asked}"
    );
    let cb = h.consent(&auth, "bob@acme.com", true, None).await;
    assert_eq!(h.get(&cb).await.status, 400);
    assert!(h.secret("acme", DRIVE_TOKEN).is_none());
    assert!(
        h.google.live_refresh_tokens().contains(&gmail),
        "Gmail's grant stands"
    );
    let auth = h.start(&link).await;
    let cb = h.consent(&auth, "ann@acme.com", true, None).await;
    assert_eq!(h.get(&cb).await.status, 200);

    let drive = h.secret("acme", DRIVE_TOKEN).expect("Drive's own token");
    assert_ne!(drive.expose_secret(), gmail);
    assert_eq!(h.token("acme").unwrap().expose_secret(), gmail);
    let t = h.show("acme").await;
    assert_eq!(t.integrations[1].status, TenantStatus::Consented);
    assert_eq!(t.status, TenantStatus::Consented);
    assert_eq!(
        t.links[0].state,
        mcp_onboard::engine::model::LinkState::Used
    );
    let consented: Vec<_> = t
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Consented)
        .map(|e| e.integration)
        .collect();
    assert_eq!(consented.len(), 2, "{:?}", t.events);
    assert!(consented.contains(&Some(Integration::GoogleDrive)));
    // Used now: its page says so.
    let page = h.get(&link.url).await;
    assert_eq!(page.status, 410, "{}", page.body);
    assert!(page.body.contains("already used"), "{}", page.body);
}

#[tokio::test]
async fn a_link_for_one_integration_asks_that_one_only() {
    let h = harness().await;
    h.add("acme", None, None).await;
    integration(&h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    let issue = Command::IssueLink {
        slug: "acme".into(),
        ttl_secs: 3600,
        replace: false,
        integration: Some(Integration::GoogleDrive),
    };
    let Reply::Link(link) = h.engine.run(OWNER, issue).await.unwrap() else {
        panic!("a link");
    };
    let auth = h.start(&link).await;
    let asked = scopes_asked(&auth);
    assert!(
        asked.contains("drive.file") && !asked.contains("gmail"),
        "{asked}"
    );
    let cb = h.consent(&auth, "ann@acme.com", true, None).await;
    assert_eq!(h.get(&cb).await.status, 200);
    assert!(h.secret("acme", DRIVE_TOKEN).is_some());
    assert!(h.token("acme").is_none(), "Gmail not consented");
    let t = h.show("acme").await;
    assert_eq!(
        t.links[0].state,
        mcp_onboard::engine::model::LinkState::Used
    );
    // The link asked nothing of Gmail: it stays as it was.
    assert_eq!(t.integrations[0].status, TenantStatus::Created);
    // A link for an integration the tenant does not hold is refused.
    h.add("beta", None, None).await;
    let issue = Command::IssueLink {
        slug: "beta".into(),
        ttl_secs: 3600,
        replace: false,
        integration: Some(Integration::GoogleDrive),
    };
    let refused = h.engine.run(OWNER, issue).await;
    assert!(
        matches!(refused, Err(EngineError::Conflict(_))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn offboarding_a_tenant_starts_each_of_its_integrations_own_offboarding() {
    let h = harness().await;
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    integration(&h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    let link = h.engine.run(
        OWNER,
        Command::IssueLink {
            slug: "acme".into(),
            ttl_secs: 3600,
            replace: false,
            integration: Some(Integration::GoogleDrive),
        },
    );
    let Reply::Link(link) = link.await.unwrap() else {
        panic!("a link");
    };
    assert_eq!(h.onboard_through(&link, "ann@acme.com").await.status, 200);
    let off = Command::Offboard {
        slugs: vec!["acme".into()],
    };
    let Reply::Offboarding {
        started, skipped, ..
    } = h.engine.run(OWNER, off).await.unwrap()
    else {
        panic!("an offboarding");
    };
    assert_eq!(started, ["acme"], "{skipped:?}");
    // Each integration leaves through its own job (run by the provisioner, not here).
    let t = h.show("acme").await;
    assert_eq!(t.status, TenantStatus::Offboarding);
    assert_eq!(t.integrations[0].status, TenantStatus::Offboarding);
    assert_eq!(t.integrations[1].status, TenantStatus::Offboarding);
}

#[tokio::test]
async fn a_refused_consent_for_drive_is_drives_alone() {
    let h = harness().await;
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    integration(&h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    let link = h.link("acme").await;
    let auth = h.start(&link).await;
    assert!(scopes_asked(&auth).contains("drive.file"));
    let cb = h.consent(&auth, "ann@acme.com", false, None).await;
    assert_eq!(h.get(&cb).await.status, 400);
    let t = h.show("acme").await;
    assert_eq!(
        t.integrations[0].status,
        TenantStatus::Consented,
        "Gmail untouched"
    );
    assert_eq!(t.integrations[1].status, TenantStatus::Failed);
    let failed = t
        .events
        .iter()
        .find(|e| e.kind == EventKind::ConsentFailed)
        .expect("the refusal on the timeline");
    assert_eq!(failed.integration, Some(Integration::GoogleDrive));
    // Nothing to retry: the refusal says Drive declined and a link is what helps.
    let why = h
        .refused(Command::Retry {
            slug: "acme".into(),
        })
        .await
        .to_string();
    assert!(
        why.contains("declined at Google: nothing to retry")
            && why.contains("`mcp-onboard link acme` issues a new one"),
        "{why}"
    );
}

#[tokio::test]
async fn retry_runs_a_stopped_job_of_an_added_integration_again() {
    use mcp_onboard::domain::facet::apply_to;
    use mcp_onboard::engine::lifecycle::Transition;
    use mcp_onboard::engine::model::{FailureKind, ProvisionStep};
    let h = harness().await;
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    integration(&h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    let drive = Some(Integration::GoogleDrive);
    h.engine
        .commit_for_tests(move |tx| {
            let cur = tx.tenant("acme")?.expect("acme");
            let consent = Transition::Consented {
                identity: cur.google.clone().expect("an account"),
                granted_scopes: Integration::GoogleDrive.scopes(),
            };
            let (t, _) = apply_to(&cur, drive, &consent, tx.now())?;
            let generation = t.added[0].provision.as_ref().expect("a job").generation;
            let stop = Transition::ProvisionFailed {
                generation,
                step: ProvisionStep::Connection,
                kind: FailureKind::BlaxelRejected,
                reason: "refused".into(),
            };
            let (t, e) = apply_to(&t, drive, &stop, tx.now())?;
            tx.put_tenant(t, Some(e))?;
            Ok(())
        })
        .await
        .unwrap();
    let t = h.show("acme").await;
    assert_eq!(
        t.status,
        TenantStatus::Failed,
        "the tenant reads as its Drive"
    );
    assert_eq!(t.integrations[1].status, TenantStatus::Failed);
    h.engine
        .run(
            OWNER,
            Command::Retry {
                slug: "acme".into(),
            },
        )
        .await
        .unwrap();
    let t = h.show("acme").await;
    assert_eq!(t.integrations[1].status, TenantStatus::Consented);
    assert_eq!(t.integrations[0].status, TenantStatus::Consented);
    let retried = t
        .events
        .iter()
        .find(|e| e.kind == EventKind::RetryRequested);
    assert_eq!(retried.map(|e| e.integration), Some(drive));
}
