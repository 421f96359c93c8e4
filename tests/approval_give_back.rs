//! Approving a new account gives the previous account's grant back at Google, one grant per
//! OAuth client, trying each of that account's tokens through the client until Google takes
//! one: a token that is no longer live (Google retires an account's oldest past 100) does
//! not leave the grant live; when none is taken, the timeline says so.

mod common;

use common::{Harness, consent_drive, harness, integration};
use mcp_onboard::engine::Command;
use mcp_onboard::engine::model::{EventKind, Integration};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_token_first_does_not_leave_the_previous_grant_live() {
    let h = harness().await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_no_token_is_taken_the_timeline_says_so() {
    let h = harness().await;
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
