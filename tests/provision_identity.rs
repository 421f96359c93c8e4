//! The identity gate end to end: a consent by another Google account than the one the
//! tenant expects, or than the one connected before, waits for the operator; approval and
//! rejection, against the Google and Blaxel stand-ins.

mod common;

use std::time::Duration;

use common::blaxel_rig::*;
use mcp_onboard::engine::Command;
use mcp_onboard::engine::model::{EventKind, TenantStatus};
use mcp_onboard::sandbox::blaxel::BlaxelFaults;

use secrecy::ExposeSecret;

fn live(r: &Rig) -> Vec<String> {
    let mut v = r.h.google.live_refresh_tokens();
    v.sort();
    v
}

/// acme deployed with it@acme.example; then a consent by other@acme.example.
async fn waiting(r: &Rig) -> (String, String) {
    let old = r.onboarded("acme", "it@acme.example").await;
    let page = r.h.onboard("acme", "other@acme.example").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Almost done") && page.body.contains("waits for a check by"),
        "{}",
        page.body
    );
    let t = r.h.show("acme").await;
    assert_eq!(t.status, TenantStatus::AwaitingApproval);
    let p = t.pending_consent.clone().expect("a pending consent");
    assert_eq!(p.account, "other@acme.example");
    assert_eq!(p.underlying, TenantStatus::Deployed);
    assert_eq!(
        t.google_email.as_deref(),
        Some("it@acme.example"),
        "both shown"
    );
    let new =
        r.h.secret("acme", "pending_refresh_token")
            .expect("kept aside, encrypted")
            .expose_secret()
            .to_owned();
    assert_eq!(
        r.h.token("acme").unwrap().expose_secret(),
        old,
        "not swapped yet"
    );
    assert_eq!(
        r.blaxel.connections()[0].secret["REFRESH_TOKEN"],
        old,
        "Blaxel still has the old token"
    );
    (old, new)
}

/// The operator approves (or rejects) acme's waiting consent.
async fn decide(r: &Rig, approve: bool) {
    let slug = "acme".to_owned();
    let command = if approve {
        Command::Approve { slug }
    } else {
        Command::Reject { slug }
    };
    r.run(command).await;
}

/// Another tenant consented to by `email` over HTTP (not waited for further).
async fn consented_over_http(r: &Rig, slug: &str, email: &str) {
    r.h.add(slug, None, None).await;
    r.h.onboard(slug, email).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_account_waits_and_approve_deploys_it_and_gives_the_old_grant_back() {
    let r = rig(BlaxelFaults::default()).await;
    let (old, new) = waiting(&r).await;
    // No new link while it waits.
    let err = r.refused(an_hours_link("acme")).await;
    assert!(err.to_string().contains("waiting for approval"), "{err}");

    decide(&r, true).await;
    let t = r.reaches("acme", TenantStatus::Deployed).await;
    assert_eq!(t.google_email.as_deref(), Some("other@acme.example"));
    assert!(t.pending_consent.is_none());
    assert_eq!(r.h.token("acme").unwrap().expose_secret(), new);
    assert!(r.h.secret("acme", "pending_refresh_token").is_none());
    assert_eq!(
        (r.blaxel.connections().len(), r.blaxel.functions().len()),
        (1, 1)
    );
    assert_eq!(r.blaxel.connections()[0].secret["REFRESH_TOKEN"], new);
    assert_eq!(
        live(&r),
        std::slice::from_ref(&new),
        "the old account's grant is given back"
    );
    assert!(!live(&r).contains(&old));
    assert!(t.events.iter().any(|e| e.kind == EventKind::Approved));
    assert!(
        t.events
            .iter()
            .any(|e| e.kind == EventKind::GrantRevoked && e.detail.contains("given back")),
        "{:#?}",
        t.events
    );
    // Nothing waits any more.
    let err = r
        .refused(Command::Approve {
            slug: "acme".into(),
        })
        .await;
    assert!(err.to_string().contains("no consent waiting"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_keeps_the_old_grant_when_another_tenant_holds_a_consent_by_it() {
    let r = rig(BlaxelFaults::default()).await;
    consented_over_http(&r, "sister", "it@acme.example").await;
    let (old, new) = waiting(&r).await;
    decide(&r, true).await;
    let t = r.reaches("acme", TenantStatus::Deployed).await;
    assert!(
        live(&r).contains(&old),
        "sister still uses it@acme.example's grant"
    );
    assert!(live(&r).contains(&new));
    assert!(
        t.events
            .iter()
            .any(|e| e.kind == EventKind::GrantRevoked && e.detail.contains("sister")),
        "{:#?}",
        t.events
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_gives_the_new_grant_back_and_wipes_it_and_the_old_consent_stays() {
    let r = rig(BlaxelFaults::default()).await;
    let (old, new) = waiting(&r).await;
    let calls = r.blaxel.request_log().len();
    decide(&r, false).await;
    let t = r.h.show("acme").await;
    assert_eq!(t.status, TenantStatus::Deployed);
    assert_eq!(t.google_email.as_deref(), Some("it@acme.example"));
    assert!(t.pending_consent.is_none());
    assert!(
        r.h.secret("acme", "pending_refresh_token").is_none(),
        "wiped"
    );
    assert_eq!(r.h.token("acme").unwrap().expose_secret(), old);
    assert!(!live(&r).contains(&new), "given back at Google");
    assert!(live(&r).contains(&old));
    assert!(t.events.iter().any(|e| e.kind == EventKind::Rejected));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(r.blaxel.request_log().len(), calls, "Blaxel untouched");
    // The tenant can be linked again.
    r.run(an_hours_link("acme")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_keeps_the_new_grant_when_another_tenant_holds_a_consent_by_that_account() {
    let r = rig(BlaxelFaults::default()).await;
    consented_over_http(&r, "bee", "other@acme.example").await;
    let (_old, new) = waiting(&r).await;
    decide(&r, false).await;
    assert!(
        live(&r).contains(&new),
        "bee holds a consent by other@acme.example: Google would end it too"
    );
    assert!(r.h.secret("acme", "pending_refresh_token").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_a_waiting_consent_uses_is_not_given_back_when_another_tenant_leaves() {
    let r = rig(BlaxelFaults::default()).await;
    r.onboarded("bee", "other@acme.example").await;
    let (_old, new) = waiting(&r).await;
    r.offboard(&["bee"]).await;
    let t = r.offboarded("bee").await;
    assert!(
        live(&r).contains(&new),
        "acme's waiting consent by other@acme.example still needs that grant"
    );
    assert!(
        t.events
            .iter()
            .any(|e| e.detail.contains("kept at Google") && e.detail.contains("acme")),
        "{:#?}",
        t.events
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_expected_account_another_account_is_still_refused() {
    let r = rig(BlaxelFaults::default()).await;
    r.h.add("acme", Some("it@acme.example"), None).await;
    r.onboard_again("acme", "it@acme.example").await;
    let page = r.h.onboard("acme", "other@acme.example").await;
    assert!(
        page.body.contains("Different Google account expected"),
        "{}",
        page.body
    );
    let t = r.h.show("acme").await;
    assert_eq!(
        t.status,
        TenantStatus::Deployed,
        "the earlier consent is kept"
    );
    assert!(t.pending_consent.is_none());
}
