//! A tenant's integrations through the engine against the Google stand-in: adding one, and
//! removing one it holds beyond its first, whose grant is given back at Google only while
//! no other consent by that account stands (Google's revoke ends the whole grant).

mod common;

use common::{Harness, OWNER, harness};
use mcp_onboard::engine::model::{EventKind, Integration, TenantStatus};
use mcp_onboard::engine::{Command, EngineError, Reply};
use secrecy::ExposeSecret;

const DRIVE_TOKEN: &str = "google-drive/refresh_token";

async fn integration(
    h: &Harness,
    slug: &str,
    i: Integration,
    add: bool,
) -> Result<Reply, EngineError> {
    let (slug, integration) = (slug.to_owned(), i);
    let c = if add {
        Command::AddIntegration { slug, integration }
    } else {
        Command::RemoveIntegration { slug, integration }
    };
    h.engine.run(OWNER, c).await
}

/// `slug`'s Drive consents as `email`: the stand-in issues a refresh token to that account
/// through a scratch tenant's consent, which becomes Drive's token of `slug` (the scratch
/// tenant goes, holding nothing).
async fn consent_drive(h: &Harness, slug: &str, email: &str) {
    let scratch = format!("{slug}-scratch");
    h.add(&scratch, None, None).await;
    assert_eq!(h.onboard(&scratch, email).await.status, 200);
    let (slug, s) = (slug.to_owned(), scratch.clone());
    h.engine
        .commit_for_tests(move |tx| {
            let from = tx.tenant(&s)?.expect("the scratch tenant");
            let token = tx.secret(&s, "refresh_token")?.expect("its token");
            let mut t = tx.tenant(&slug)?.expect("the tenant");
            if t.google.is_none() {
                t.google = from.google.clone();
            }
            let drive = t
                .added
                .iter_mut()
                .find(|a| a.integration == Integration::GoogleDrive)
                .expect("Drive added");
            drive.consented_at = Some(tx.now());
            drive.status = TenantStatus::Deployed;
            drive.granted_scopes = drive.scopes.clone();
            tx.put_secret(&slug, DRIVE_TOKEN, &token)?;
            tx.put_tenant(t, None)?;
            tx.remove_tenant(&s)?;
            Ok(())
        })
        .await
        .unwrap();
}

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
