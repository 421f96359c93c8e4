//! `tenant integration remove` of an integration with nothing at Blaxel gives its grant
//! back at Google, then removes it. A consent that comes in while Google answers is not
//! wiped with it: the closing commit sees it and the integration leaves through the
//! provisioner instead, whose revoke step gives back the grant it holds.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use common::{DRIVE_TOKEN, Harness, OWNER, harness_with_env, integration};
use mcp_onboard::domain::facet::apply_to;
use mcp_onboard::engine::api::LinkView;
use mcp_onboard::engine::lifecycle::Transition;
use mcp_onboard::engine::model::{Integration, TenantStatus};
use mcp_onboard::engine::{Command, Reply};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{Notify, mpsc};

/// A revoke endpoint that tells the test each time it is called and answers 200 only once
/// the test lets it: the test acts while the engine waits for Google.
async fn held_revoke() -> (String, mpsc::UnboundedReceiver<()>, Arc<Notify>) {
    let (hit, called) = mpsc::unbounded_channel();
    let go = Arc::new(Notify::new());
    let gate = go.clone();
    let app = axum::Router::new().route(
        "/revoke",
        axum::routing::post(move || {
            let (hit, gate) = (hit.clone(), gate.clone());
            async move {
                let _ = hit.send(());
                gate.notified().await;
                StatusCode::OK
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    (format!("http://{addr}/revoke"), called, go)
}

async fn drive_link(h: &Harness) -> LinkView {
    let issue = Command::IssueLink {
        slug: "acme".into(),
        ttl_secs: 3600,
        replace: false,
        integration: Some(Integration::GoogleDrive),
    };
    let Reply::Link(link) = h.run(issue).await else {
        panic!("a link");
    };
    link
}

#[tokio::test]
async fn a_consent_that_comes_in_while_drive_is_removed_is_not_wiped() {
    let (revoke_url, mut called, go) = held_revoke().await;
    let h = harness_with_env(&[("GOOGLE_REVOKE_URL", &revoke_url)]).await;
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    integration(&h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    // bob's consent to Drive waits for approval: Drive has nothing at Blaxel, and removing
    // it gives bob's grant back at Google first.
    let link = drive_link(&h).await;
    assert_eq!(h.onboard_through(&link, "bob@acme.com").await.status, 200);
    let remove = {
        let engine = h.engine.clone();
        tokio::spawn(async move {
            let c = Command::RemoveIntegration {
                slug: "acme".into(),
                integration: Integration::GoogleDrive,
            };
            engine.run(OWNER, c).await
        })
    };
    tokio::time::timeout(Duration::from_secs(10), called.recv())
        .await
        .expect("the revoke is asked")
        .expect("the endpoint runs");
    // Meanwhile ann's consent to Drive is stored, as a callback stores one.
    h.engine
        .commit_for_tests(|tx| {
            let cur = tx.tenant("acme")?.expect("acme");
            let consent = Transition::Consented {
                identity: cur.google.clone().expect("ann"),
                granted_scopes: Integration::GoogleDrive.scopes(),
            };
            let (next, e) = apply_to(&cur, Some(Integration::GoogleDrive), &consent, tx.now())?;
            tx.put_tenant(next, Some(e))?;
            tx.put_secret("acme", DRIVE_TOKEN, &SecretString::from("1//ann-drive"))?;
            Ok(())
        })
        .await
        .unwrap();
    go.notify_one();
    let done = tokio::time::timeout(Duration::from_secs(10), remove)
        .await
        .expect("remove answers")
        .expect("remove ran");
    assert!(done.is_ok(), "{done:?}");
    // Drive holds a grant and maybe resources now: it leaves through the provisioner,
    // whose revoke step gives ann's token back; it is not wiped here.
    let t = h.show("acme").await;
    let drive = t
        .integrations
        .iter()
        .find(|i| i.integration == Integration::GoogleDrive)
        .expect("Drive is still held, leaving");
    assert_eq!(drive.status, TenantStatus::Offboarding);
    assert_eq!(
        h.secret("acme", DRIVE_TOKEN)
            .expect("ann's Drive token, for the revoke step")
            .expose_secret(),
        "1//ann-drive"
    );
}

#[tokio::test]
async fn a_consent_waiting_that_comes_in_while_drive_is_removed_stops_the_removal() {
    let (revoke_url, mut called, go) = held_revoke().await;
    let h = harness_with_env(&[("GOOGLE_REVOKE_URL", &revoke_url)]).await;
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    integration(&h, "acme", Integration::GoogleDrive, true)
        .await
        .unwrap();
    let link = drive_link(&h).await;
    assert_eq!(h.onboard_through(&link, "bob@acme.com").await.status, 200);
    let remove = {
        let engine = h.engine.clone();
        tokio::spawn(async move {
            let c = Command::RemoveIntegration {
                slug: "acme".into(),
                integration: Integration::GoogleDrive,
            };
            engine.run(OWNER, c).await
        })
    };
    tokio::time::timeout(Duration::from_secs(10), called.recv())
        .await
        .expect("the revoke is asked")
        .expect("the endpoint runs");
    // Meanwhile carol's consent to Drive comes in and waits for approval in bob's place.
    h.engine
        .commit_for_tests(|tx| {
            let cur = tx.tenant("acme")?.expect("acme");
            let mut carol = cur.google.clone().expect("ann");
            carol.sub = "carol".into();
            carol.email = Some("carol@acme.com".into());
            let wait = Transition::AwaitApproval {
                identity: carol,
                granted_scopes: Integration::GoogleDrive.scopes(),
            };
            let (next, e) = apply_to(&cur, Some(Integration::GoogleDrive), &wait, tx.now() + 1)?;
            tx.put_tenant(next, Some(e))?;
            let carols = SecretString::from("1//carol-drive");
            tx.put_secret("acme", "google-drive/pending_refresh_token", &carols)?;
            Ok(())
        })
        .await
        .unwrap();
    go.notify_one();
    let done = tokio::time::timeout(Duration::from_secs(10), remove)
        .await
        .expect("remove answers")
        .expect("remove ran");
    let why = done.expect_err("refused").to_string();
    assert!(why.contains("run the command again"), "{why}");
    // Nothing removed: carol's consent still waits, with its token.
    let t = h.show("acme").await;
    assert_eq!(t.integrations[1].status, TenantStatus::AwaitingApproval);
    assert_eq!(
        h.secret("acme", "google-drive/pending_refresh_token")
            .expect("carol's token")
            .expose_secret(),
        "1//carol-drive"
    );
}
