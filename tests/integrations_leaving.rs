//! Links and an integration that leaves alone (`tenant integration remove`): a link that
//! asks for it alone is withdrawn, a link never asks for an integration leaving nor for
//! another than it was issued for, a flow under way for it ends, and the tenant's other
//! integrations keep their links working meanwhile.

mod common;

use common::{DRIVE_TOKEN, Harness, harness, integration};
use mcp_onboard::domain::facet::apply_to;
use mcp_onboard::domain::health::Health;
use mcp_onboard::engine::api::LinkView;
use mcp_onboard::engine::lifecycle::Transition;
use mcp_onboard::engine::model::{EventKind, Integration, LinkState, TenantStatus};
use mcp_onboard::engine::{Command, Reply};
use secrecy::ExposeSecret;

/// A link for `slug` (for `only` alone, when given).
async fn link(h: &Harness, slug: &str, only: Option<Integration>) -> LinkView {
    let issue = Command::IssueLink {
        slug: slug.into(),
        ttl_secs: 3600,
        replace: false,
        integration: only,
    };
    let Reply::Link(link) = h.run(issue).await else {
        panic!("a link");
    };
    link
}

fn scopes_asked(auth: &url::Url) -> String {
    auth.query_pairs()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// `acme` with Gmail and Drive, each consented by ann through a link of its own.
async fn both_consented(h: &Harness) {
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    integration(h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    let drive = link(h, "acme", Some(Integration::GoogleDrive)).await;
    assert_eq!(h.onboard_through(&drive, "ann@acme.com").await.status, 200);
}

#[tokio::test]
async fn a_link_for_drive_alone_is_withdrawn_when_drive_is_removed_and_never_asks_for_gmail() {
    let h = harness().await;
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    integration(&h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    let drive = link(&h, "acme", Some(Integration::GoogleDrive)).await;
    // Drive never consented: removed at once.
    integration(&h, "acme", Integration::GoogleDrive, false)
        .await
        .unwrap();
    let page = h.get(&drive.url).await;
    assert_eq!(page.status, 410, "{}", page.body);
    assert!(
        page.body.contains("This link was withdrawn"),
        "{}",
        page.body
    );
    let t = h.show("acme").await;
    let ours = t.links.iter().find(|l| l.id == drive.id).expect("the link");
    assert_eq!(ours.state, LinkState::Revoked);
    assert!(
        t.events.iter().any(|e| e.kind == EventKind::LinksRevoked
            && e.detail.contains(&drive.id)
            && e.detail.contains("google-drive")),
        "{:#?}",
        t.events
    );
    // Continue on it asks Google for nothing (Gmail's scopes least of all).
    let form = [("token".to_owned(), "any".to_owned())];
    let res = h.post_form(&format!("{}/continue", drive.url), &form).await;
    assert_eq!(res.status, 410, "{}", res.body);
    assert!(res.location.is_none(), "sent to Google: {:?}", res.location);
}

#[tokio::test]
async fn while_drive_leaves_a_link_asks_for_gmail_alone_and_is_used_after_it() {
    let h = harness().await;
    both_consented(&h).await;
    let drive_only = link(&h, "acme", Some(Integration::GoogleDrive)).await;
    // Gmail's token is refused: it needs a new consent.
    h.engine
        .commit_for_tests(|tx| {
            let cur = tx.tenant("acme")?.expect("acme");
            let refused = Transition::HealthChecked {
                health: Health::NeedsReconsent,
                reason: "invalid_grant".into(),
            };
            let (next, e) = apply_to(&cur, None, &refused, tx.now())?;
            tx.put_tenant(next, Some(e))?;
            Ok(())
        })
        .await
        .unwrap();
    // Drive is removed: its offboarding waits at its first step (no provisioner here).
    integration(&h, "acme", Integration::GoogleDrive, false)
        .await
        .unwrap();
    let t = h.show("acme").await;
    assert_eq!(t.integrations[1].status, TenantStatus::Offboarding);
    assert_eq!(h.get(&drive_only.url).await.status, 410);

    // A new link asks Gmail's consent, and only Gmail's.
    let again = link(&h, "acme", None).await;
    let page = h.get(&again.url).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        !page.body.contains("Google Drive files you use"),
        "{}",
        page.body
    );
    let auth = h.start(&again).await;
    let asked = scopes_asked(&auth);
    assert!(
        asked.contains("gmail.send") && !asked.contains("drive"),
        "{asked}"
    );
    let cb = h.consent(&auth, "ann@acme.com", true, None).await;
    assert_eq!(h.get(&cb).await.status, 200);
    let t = h.show("acme").await;
    assert_eq!(t.integrations[0].status, TenantStatus::Consented);
    assert_eq!(t.integrations[1].status, TenantStatus::Offboarding);
    let ours = t.links.iter().find(|l| l.id == again.id).expect("the link");
    assert_eq!(ours.state, LinkState::Used, "Drive is not left to consent");
}

#[tokio::test]
async fn a_consent_for_drive_under_way_when_drive_starts_leaving_is_refused_not_failed() {
    let h = harness().await;
    both_consented(&h).await;
    let drive_before = h
        .secret("acme", DRIVE_TOKEN)
        .expect("Drive's token")
        .expose_secret()
        .to_owned();
    // The customer renews Drive's consent: at Google when the operator removes Drive.
    let drive = link(&h, "acme", Some(Integration::GoogleDrive)).await;
    let auth = h.start(&drive).await;
    assert!(scopes_asked(&auth).contains("drive.file"));
    integration(&h, "acme", Integration::GoogleDrive, false)
        .await
        .unwrap();
    let cb = h.consent(&auth, "ann@acme.com", true, None).await;
    let page = h.get(&cb).await;
    assert!(
        (400..500).contains(&page.status),
        "{}: {}",
        page.status,
        page.body
    );
    // Drive goes on leaving with the token it had.
    let t = h.show("acme").await;
    assert_eq!(t.integrations[1].status, TenantStatus::Offboarding);
    assert_eq!(
        h.secret("acme", DRIVE_TOKEN)
            .expect("Drive's token, for its revoke step")
            .expose_secret(),
        drive_before
    );
    assert_eq!(t.integrations[0].status, TenantStatus::Consented);
    // Drive leaving alone leaves Gmail's links working: a new one opens, for Gmail.
    let gmail = link(&h, "acme", None).await;
    let page = h.get(&gmail.url).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let asked = scopes_asked(&h.start(&gmail).await);
    assert!(
        asked.contains("gmail.send") && !asked.contains("drive"),
        "{asked}"
    );
}
