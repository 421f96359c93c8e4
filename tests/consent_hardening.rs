//! The consent flow's defences: a flow is bound to the browser that opened the link's
//! page, one consent per link, grants given back only when nobody uses them, and what
//! comes from outside is cleaned.

mod common;

use common::harness;
use mcp_onboard::engine::model::{EventKind, FailureKind, TenantStatus};

#[tokio::test]
async fn a_cross_site_continue_is_refused_and_starts_no_flow() {
    let h = harness().await;
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    let cont = format!("{}/continue", link.url);
    let flows = || h.engine.store().flow_count();
    // An auto-submitting form on another site: no cookie, a foreign Origin.
    let res = h
        .http
        .post(&cont)
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("token", "made-up")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("open the link"));
    // No Origin, no Sec-Fetch-Site (an old browser or a script): still no cookie.
    let res = h.http.post(&cont).send().await.unwrap();
    assert_eq!(res.status(), 403);
    // Our page's cookie, but the token of another link.
    let page = h.get(&link.url).await;
    assert_eq!(page.status, 200);
    let other = h.link("acme").await;
    let other_page = h.get(&other.url).await;
    let token = common::extract(&other_page.body, r#"name="token" value=""#, '"');
    let cookie = h.jar.lock().unwrap().clone().unwrap();
    let res = h
        .http
        .post(&cont)
        .header("cookie", cookie)
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(flows(), 0, "no refused Continue made a flow");
    assert_eq!(h.google.exchanges(), 0);
    // Our own page, in this browser, with Origin: null (no-referrer): accepted.
    let res = h.press_continue(&link).await;
    assert_eq!(res.status(), 303);
    assert_eq!(flows(), 1);
}

#[tokio::test]
async fn a_callback_in_another_browser_is_refused_and_the_tenant_says_why() {
    let h = harness().await;
    h.add("acme", None, None).await;
    let auth = h.start(&h.link("acme").await).await;
    let cb = h.consent(&auth, "victim@example.com", true, None).await;
    // The Google URL was handed to someone else: their browser has no cookie of ours.
    h.forget_cookies();
    let page = h.get(&cb).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("browser"), "{}", page.body);
    assert_eq!(h.google.exchanges(), 0, "the code is never exchanged");
    let t = h.show("acme").await;
    assert_ne!(t.status, TenantStatus::Consented);
    assert_eq!(t.failure, Some(FailureKind::WrongBrowser));
    assert!(t.reason.unwrap().contains("another browser"));
    assert!(!h.has_token("acme"));
}
