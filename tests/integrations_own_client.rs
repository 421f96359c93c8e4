//! An integration with an OAuth client of its own (`[integrations.google-drive]`) against
//! the Google stand-in, which knows that client beside `[google]`'s: Drive's consent is
//! asked, checked and refreshed through Drive's client, and Drive's grant (an account's
//! grant to that client alone) goes back at Google when Drive gives it up, whatever consents
//! by the same account stand through `[google]`'s client.

mod common;

use common::pg::Backend;
use common::{
    CLIENT_ID, DRIVE_CLIENT_ID, DRIVE_TOKEN, Harness, OWNER, consent_drive_through_link,
    drive_only, harness_with_drive_client, integration, plant_drive,
};
use mcp_onboard::domain::health::Health;
use mcp_onboard::engine::model::{EventKind, Integration, TenantStatus};
use mcp_onboard::engine::{Command, Reply};
use secrecy::ExposeSecret;

/// `slug` consented by `email` for Gmail (through `[google]`'s client) and for Drive
/// (through Drive's own, over HTTP): each token, Gmail's first.
async fn both_consented(h: &Harness, slug: &str, email: &str) -> (String, String) {
    h.add(slug, None, None).await;
    assert_eq!(h.onboard(slug, email).await.status, 200);
    integration(h, slug, Integration::GoogleDrive, true)
        .await
        .unwrap();
    let page = consent_drive_through_link(h, slug, email).await;
    assert_eq!(page.status, 200, "{}", page.body);
    tokens(h, slug)
}

/// `slug`'s Gmail token and Drive's.
fn tokens(h: &Harness, slug: &str) -> (String, String) {
    let gmail = h.token(slug).expect("Gmail's token");
    let drive = h.secret(slug, DRIVE_TOKEN).expect("Drive's token");
    (
        gmail.expose_secret().to_owned(),
        drive.expose_secret().to_owned(),
    )
}

/// `slug` consented by `email` for Gmail over HTTP, and holding a Drive consent by `email`
/// made through Drive's own client, as if provisioned (no Blaxel job to wait for): each
/// token, Gmail's first.
async fn both_held(h: &Harness, slug: &str, email: &str) -> (String, String) {
    h.add(slug, None, None).await;
    assert_eq!(h.onboard(slug, email).await.status, 200);
    integration(h, slug, Integration::GoogleDrive, true)
        .await
        .unwrap();
    // A scratch tenant of Drive alone consents through Drive's client; its token and
    // account become `slug`'s Drive's.
    let scratch = format!("{slug}-drive");
    drive_only(h, &scratch, email).await;
    let (who, token) = h
        .engine
        .commit_for_tests(move |tx| {
            let from = tx.tenant(&scratch)?.expect("the scratch tenant");
            let token = tx.secret(&scratch, "refresh_token")?.expect("its token");
            tx.remove_tenant(&scratch)?;
            Ok((from.google.expect("its account"), token))
        })
        .await
        .unwrap();
    plant_drive(h, slug, who, token).await;
    tokens(h, slug)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drive_consents_and_refreshes_through_its_own_client() {
    let h = harness_with_drive_client(Backend::Sled)
        .await
        .expect("sled is always there");
    let (gmail, drive) = both_consented(&h, "acme", "ann@acme.com").await;
    let t = h.show("acme").await;
    assert_eq!(t.integrations[1].integration, Integration::GoogleDrive);
    assert_eq!(t.integrations[1].status, TenantStatus::Consented, "{t:?}");
    assert_eq!(t.google_email.as_deref(), Some("ann@acme.com"));
    // Each grant is to the client that asked for it.
    assert!(
        h.google
            .live_refresh_tokens_of(DRIVE_CLIENT_ID)
            .contains(&drive)
    );
    assert!(h.google.live_refresh_tokens_of(CLIENT_ID).contains(&gmail));
    // Drive's token refreshes through Drive's client (the stand-in, as Google, refuses a
    // token of one client refreshed through another).
    let check = Command::CheckHealth {
        slug: Some("acme".into()),
        mcp: false,
    };
    let Reply::Health { checks, alarm, .. } = h.engine.run(OWNER, check).await.unwrap() else {
        panic!("a health reply");
    };
    assert_eq!(checks[0].health, Health::Healthy, "{checks:?}");
    assert!(alarm.is_none(), "{alarm:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_drive_gives_its_own_clients_grant_back_while_gmails_stands() {
    let h = harness_with_drive_client(Backend::Sled)
        .await
        .expect("sled is always there");
    let (gmail, drive) = both_held(&h, "acme", "ann@acme.com").await;
    assert!(
        h.google
            .live_refresh_tokens_of(DRIVE_CLIENT_ID)
            .contains(&drive)
    );
    integration(&h, "acme", Integration::GoogleDrive, false)
        .await
        .unwrap();
    // Ann's grant to Drive's client is held by nobody now: it goes back. Her grant to
    // `[google]`'s client (Gmail's) is another grant, and stays.
    let t = h.show("acme").await;
    let removed = t
        .events
        .iter()
        .find(|e| e.kind == EventKind::IntegrationRemoved)
        .expect("the removal on the timeline");
    assert!(
        !h.google.live_refresh_tokens().contains(&drive),
        "Drive's grant is given back at Google: {}",
        removed.detail
    );
    assert!(h.google.live_refresh_tokens().contains(&gmail));
    assert!(
        removed.detail.contains("revoked at Google"),
        "{}",
        removed.detail
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approving_a_new_account_gives_back_the_previous_accounts_grant_to_drives_client() {
    let h = harness_with_drive_client(Backend::Sled)
        .await
        .expect("sled is always there");
    let (gmail, drive) = both_held(&h, "acme", "ann@acme.com").await;
    // beta holds a consent by ann through `[google]`'s client: that grant stays.
    h.add("beta", None, None).await;
    assert_eq!(h.onboard("beta", "ann@acme.com").await.status, 200);
    // bob consents to acme's Gmail: it waits for approval, then acme moves to bob.
    assert_eq!(h.onboard("acme", "bob@acme.com").await.status, 200);
    h.run(Command::Approve {
        slug: "acme".into(),
    })
    .await;
    let t = h.show("acme").await;
    assert_eq!(t.google_email.as_deref(), Some("bob@acme.com"));
    let said: Vec<&str> = t
        .events
        .iter()
        .filter(|e| e.kind == EventKind::GrantRevoked)
        .map(|e| e.detail.as_str())
        .collect();
    // Nobody holds a consent by ann through Drive's client: that grant goes back.
    assert!(
        !h.google.live_refresh_tokens().contains(&drive),
        "ann's grant to Drive's client is given back: {said:?}"
    );
    assert!(
        h.google.live_refresh_tokens().contains(&gmail),
        "ann's grant to [google]'s client is beta's too: {said:?}"
    );
}
