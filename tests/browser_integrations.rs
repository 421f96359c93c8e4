//! One link, two Google consents, in a real browser: a tenant holding Gmail and Google
//! Drive, the customer opens its one link, consents at the Google stand-in for Gmail alone,
//! comes back to "Gmail is connected (1 of 2)", presses "Continue with Google Drive",
//! consents for Drive alone and sees "You're connected (2 of 2)". Both integrations end
//! deployed at the Blaxel stand-in, each connection holding its own refresh token, and
//! removing Drive takes Drive's connection and server away while Gmail's stay deployed.
//!
//! Headless Chromium and chromedriver as in `browser.rs` (skipped loudly without them,
//! failing when `CI` is set); the listener, the provisioner and both stand-ins run in this
//! process. Screenshots go to the test's temp dir (and `BROWSER_TEST_SCREENSHOTS`).

mod common;
mod support_browser;
mod support_proc;

use std::time::Duration;

use common::blaxel_rig::{poll_until, rig};
use mcp_onboard::engine::Command;
use mcp_onboard::engine::model::{Integration, TenantStatus};
use mcp_onboard::sandbox::blaxel::BlaxelFaults;
use secrecy::ExposeSecret;
use support_browser::*;

const DRIVE_TOKEN: &str = "google-drive/refresh_token";
const WITHIN: Duration = Duration::from_secs(60);

/// The scopes the Google stand-in's consent page asks the customer to tick.
async fn scopes_asked(b: &Browser) -> Vec<String> {
    let v = b
        .run_script("return [...document.querySelectorAll('input[name=scope]')].map(e => e.value);")
        .await;
    serde_json::from_value(v).expect("a list of scopes")
}

/// Shoot the page as `name` and check it is worth looking at.
async fn shoot(b: &Browser, shots: &std::path::Path, name: &str) {
    let png = b.screenshot(&shots.join(format!("{name}.png"))).await;
    assert_real_png(&png, name);
}

/// No serious or critical axe-core finding on the page the browser is on.
async fn accessible(b: &Browser, axe_js: &str, at: &str) {
    let serious: Vec<String> = axe(b, axe_js)
        .await
        .into_iter()
        .filter(|(_, impact, _, _)| matches!(impact.as_str(), "serious" | "critical"))
        .map(|(id, impact, help, targets)| format!("{impact} {id}: {help} ({targets})"))
        .collect();
    assert!(serious.is_empty(), "{at}: {serious:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_link_two_consents_two_servers_and_drive_removed_alone() {
    let Some(driver) = tools() else { return };
    let axe_js = axe_source();
    let r = rig(BlaxelFaults::default()).await;
    r.h.add("acme", None, None).await;
    r.run(Command::AddIntegration {
        slug: "acme".into(),
        integration: Integration::GoogleDrive,
    })
    .await;
    let link = r.h.link("acme").await;
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let shots = tmp.path().join("shots");
    std::fs::create_dir_all(&shots).expect("the screenshots' folder");
    let b = Browser::start(&driver, tmp.path()).await;

    // The link's page lists both.
    b.goto(&link.url).await;
    let text = b.wait_for("/c/", "Continue to Google").await;
    assert!(text.contains("Send email as you"), "{text}");
    assert!(text.contains("Google Drive files you use"), "{text}");
    shoot(&b, &shots, "several-ask-both").await;
    let button = b.find("form button[type=submit]").await;
    b.click(&button).await;

    // Gmail first, with only Gmail's scope.
    b.wait_for("/o/oauth2/", "Allow").await;
    assert_eq!(scopes_asked(&b).await, Integration::Gmail.scopes());
    shoot(&b, &shots, "several-google-gmail").await;
    let allow = b.find("#allow").await;
    b.click(&allow).await;

    let text = b.wait_for("/oauth/callback", "(1 of 2)").await;
    let h1 = b.find("h1").await;
    assert_eq!(b.text(&h1).await, "Gmail is connected (1 of 2)");
    assert!(!text.contains("close this window"), "{text}");
    accessible(&b, &axe_js, "1 of 2").await;
    shoot(&b, &shots, "several-connected-1-of-2").await;
    let next = b.find("a.button").await;
    assert_eq!(b.text(&next).await, "Continue with Google Drive");
    b.click(&next).await;

    // Back on the link's page, which asks for Drive alone now.
    let text = b.wait_for("/c/", "Continue to Google").await;
    assert!(text.contains("Google Drive files you use"), "{text}");
    assert!(!text.contains("Send email as you"), "{text}");
    shoot(&b, &shots, "several-ask-drive").await;
    let button = b.find("form button[type=submit]").await;
    b.click(&button).await;
    b.wait_for("/o/oauth2/", "Allow").await;
    assert_eq!(scopes_asked(&b).await, Integration::GoogleDrive.scopes());
    let allow = b.find("#allow").await;
    b.click(&allow).await;

    let text = b.wait_for("/oauth/callback", "(2 of 2)").await;
    let h1 = b.find("h1").await;
    assert_eq!(b.text(&h1).await, "You're connected (2 of 2)");
    assert!(text.contains("Send email as you"), "{text}");
    assert!(text.contains("Google Drive files you use"), "{text}");
    let offers = b
        .run_script("return document.querySelectorAll('a.button').length;")
        .await;
    assert_eq!(offers, 0, "nothing left to offer");
    accessible(&b, &axe_js, "2 of 2").await;
    shoot(&b, &shots, "several-connected-2-of-2").await;
    let complaints = b.console().await;
    assert!(
        csp_complaints(&complaints).is_empty(),
        "the browser blocked something: {complaints:#?}"
    );

    // Two connections and two MCP servers, each connection with its own refresh token.
    poll_until(WITHIN, async || {
        let t = r.h.show("acme").await;
        let states: Vec<_> = t.integrations.iter().map(|i| i.status).collect();
        match states[..] {
            [TenantStatus::Deployed, TenantStatus::Deployed] => Ok(()),
            _ => Err(states),
        }
    })
    .await;
    let gmail = r.token("acme");
    let drive = r.h.secret("acme", DRIVE_TOKEN).expect("Drive's own token");
    let drive = drive.expose_secret().to_owned();
    assert_ne!(gmail, drive);
    let conns = r.blaxel.connections();
    assert_eq!(
        (conns.len(), r.blaxel.functions().len()),
        (2, 2),
        "{conns:?}"
    );
    let token_of = |name: &str| {
        conns
            .iter()
            .find(|c| c.integration.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("no {name} connection: {conns:?}"))
            .secret["REFRESH_TOKEN"]
            .clone()
    };
    assert_eq!(token_of("gmail"), gmail);
    assert_eq!(token_of("google-drive"), drive);
    let t = r.h.show("acme").await;
    assert_eq!(t.status, TenantStatus::Deployed);
    let gmail_server = t.integrations[0].function.clone();

    // Drive removed alone: Gmail's connection and server stay, deployed.
    r.run(Command::RemoveIntegration {
        slug: "acme".into(),
        integration: Integration::GoogleDrive,
    })
    .await;
    poll_until(WITHIN, async || {
        let left = (r.blaxel.connections().len(), r.blaxel.functions().len());
        let held = r.h.show("acme").await.integrations.len();
        if (left, held) == ((1, 1), 1) {
            Ok(())
        } else {
            Err((left, held))
        }
    })
    .await;
    let conns = r.blaxel.connections();
    assert_eq!(conns[0].integration.as_deref(), Some("gmail"));
    assert_eq!(conns[0].secret["REFRESH_TOKEN"], gmail);
    assert_eq!(Some(&r.blaxel.functions()[0].name), gmail_server.as_ref());
    assert!(r.h.secret("acme", DRIVE_TOKEN).is_none());
    let t = r.h.show("acme").await;
    assert_eq!(t.status, TenantStatus::Deployed);
    assert_eq!(t.integrations[0].integration, Integration::Gmail);
    let taken = std::fs::read_dir(&shots).expect("the shots").count();
    assert_eq!(taken, 5, "every step shot");
}
