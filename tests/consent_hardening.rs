//! The consent flow's defences: a flow is bound to the browser that opened the link's
//! page, one consent per link, grants given back only when nobody uses them, and what
//! comes from outside is cleaned.

mod common;

use common::pg::Backend;
use common::{harness, harness_on};
use mcp_onboard::engine::model::{EventKind, FailureKind, TenantStatus};
use rstest::rstest;

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_cross_site_continue_is_refused_and_starts_no_flow(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    let cont = format!("{}/continue", link.url);
    let flows = || h.engine.store().node().flow_count();
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
    h.show("acme").await;
    assert_eq!(flows(), 0, "no refused Continue made a flow");
    assert_eq!(h.google.exchanges(), 0);
    // Our own page, in this browser, with Origin: null (no-referrer): accepted.
    let res = h.press_continue(&link).await;
    assert_eq!(res.status(), 303);
    h.show("acme").await; // what was queued is applied
    assert_eq!(flows(), 1);
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_callback_in_another_browser_is_refused_and_changes_nothing(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    let auth = h.start(&h.link("acme").await).await;
    let cb = h.consent(&auth, "victim@example.com", true, None).await;
    let before = h.show("acme").await;
    let own = h.jar.lock().unwrap().take();
    // The Google URL was handed to someone else: their browser has no cookie of ours, or
    // one of its own.
    for other in [None, Some(format!("mcp-onboard={}", "x".repeat(43)))] {
        *h.jar.lock().unwrap() = other;
        let page = h.get(&cb).await;
        assert_eq!(page.status, 400);
        assert!(page.body.contains("browser"), "{}", page.body);
    }
    assert_eq!(h.google.exchanges(), 0, "the code is never exchanged");
    let t = h.show("acme").await;
    assert_eq!(t.status, before.status);
    assert_eq!(t.failure, None);
    assert_eq!(t.reason, before.reason);
    assert_eq!(
        t.events.len(),
        before.events.len(),
        "nothing on the timeline"
    );
    assert_eq!(h.engine.store().node().flow_count(), 1, "the flow is kept");
    assert!(!h.has_token("acme"));
    let counted = h
        .engine
        .metrics()
        .consent_failures
        .get_or_create(&mcp_onboard::metrics::Kind {
            kind: "wrong_browser".into(),
        })
        .get();
    assert_eq!(counted, 2);
    // The customer's own browser still completes the consent with the same state.
    *h.jar.lock().unwrap() = own;
    let page = h.get(&cb).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(h.show("acme").await.status, TenantStatus::Consented);
    assert!(h.has_token("acme"));
}

#[tokio::test]
async fn a_continue_token_made_without_the_server_key_is_refused() {
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    let h = harness().await;
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    let page = h.get(&link.url).await;
    assert_eq!(page.status, 200);
    let cookie = h.jar.lock().unwrap().clone().unwrap();
    let secret = cookie.split_once('=').unwrap().1.to_owned();
    let code = link.url.rsplit('/').next().unwrap();
    // The token as an unkeyed hash of the cookie and the link made it: anyone who plants
    // a cookie could compute it.
    let mut d = Sha256::new();
    d.update(b"mcp-onboard continue v1\0");
    d.update(secret.as_bytes());
    d.update(b"\0");
    d.update(Sha256::digest(code.as_bytes()));
    let unkeyed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d.finalize());
    let page_token = common::extract(&page.body, r#"name="token" value=""#, '"');
    assert_ne!(unkeyed, page_token);
    let res = h
        .http
        .post(format!("{}/continue", link.url))
        .header("cookie", &cookie)
        .form(&[("token", unkeyed)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(h.engine.store().node().flow_count(), 0, "no flow started");
    // The page's own token works.
    assert_eq!(h.press_continue(&link).await.status(), 303);
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_consent_through_one_link_kills_every_other_unused_link_of_the_tenant(
    #[case] backend: Backend,
) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    let older = h.link("acme").await;
    let newer = h.link("acme").await;
    assert_eq!(h.onboard_through(&newer, "ann@acme.com").await.status, 200);
    let t = h.show("acme").await;
    let state = |id: &str| t.links.iter().find(|l| l.id == id).unwrap().state.as_str();
    assert_eq!((state(&older.id), state(&newer.id)), ("superseded", "used"));
    // The older link can no longer be consented through, by any account.
    let page = h.get(&older.url).await;
    assert_eq!(page.status, 410, "{}", page.body);
    assert!(page.body.contains("newer link"), "{}", page.body);
    assert_eq!(
        h.show("acme").await.google_email.as_deref(),
        Some("ann@acme.com")
    );
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_flow_started_before_a_link_was_withdrawn_cannot_finish(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    let auth = h.start(&link).await;
    h.engine
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            mcp_onboard::engine::Command::RevokeLinks {
                slug: "acme".into(),
            },
        )
        .await
        .unwrap();
    let cb = h.consent(&auth, "ann@acme.com", true, None).await;
    let page = h.get(&cb).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert_eq!(h.google.exchanges(), 0);
    assert!(!h.has_token("acme"));
    assert!(
        h.show("acme")
            .await
            .events
            .iter()
            .any(|e| e.kind == EventKind::CallbackRefused)
    );
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn an_unwanted_grant_is_kept_when_another_tenant_holds_a_consent_by_that_account(
    #[case] backend: Backend,
) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("first", None, None).await;
    assert_eq!(h.onboard("first", "ann@acme.com").await.status, 200);
    let working = h.google.live_refresh_tokens();
    assert_eq!(working.len(), 1);
    // The same Google account consents for a second tenant but leaves gmail.send unticked.
    h.add("second", None, None).await;
    let auth = h.start(&h.link("second").await).await;
    let partial = ["openid", "email", "profile"].map(String::from).to_vec();
    let cb = h.consent(&auth, "ann@acme.com", true, Some(partial)).await;
    assert_eq!(h.get(&cb).await.status, 400);
    // Revoking would have ended the grant, and with it the first tenant's token.
    assert_eq!(h.google.revoked_count(), 0);
    assert!(h.google.live_refresh_tokens().contains(&working[0]));
    let t = h.show("second").await;
    assert!(
        t.reason
            .as_deref()
            .unwrap()
            .contains("kept at Google: first holds a consent"),
        "{:?}",
        t.reason
    );
    // With nobody holding a consent by the account, the grant is given back.
    h.add("third", None, None).await;
    let auth = h.start(&h.link("third").await).await;
    let partial = ["openid", "email", "profile"].map(String::from).to_vec();
    let cb = h.consent(&auth, "bob@acme.com", true, Some(partial)).await;
    assert_eq!(h.get(&cb).await.status, 400);
    assert_eq!(h.google.revoked_count(), 1);
    assert!(
        h.show("third")
            .await
            .reason
            .clone()
            .unwrap()
            .contains("given back at Google")
    );
}

#[rstest::rstest]
#[case::another_client(serde_json::json!({"aud": "someone-else.apps"}), "issued for someone-else.apps")]
#[case::another_issuer(serde_json::json!({"iss": "https://evil.example"}), "issuer is https://evil.example")]
#[case::expired(serde_json::json!({"exp": 1_000_000_000}), "expired")]
#[case::no_expiry(serde_json::json!({"exp": null}), "no expiry")]
#[case::several_audiences(serde_json::json!({"aud": ["x", common::CLIENT_ID], "azp": "x"}), "authorized party")]
#[tokio::test]
async fn an_id_token_not_for_us_is_refused(#[case] claims: serde_json::Value, #[case] why: &str) {
    let h = harness().await;
    h.add("acme", None, None).await;
    h.google.set_knobs(mcp_onboard::sandbox::google::Knobs {
        id_token_claims: Some(claims),
        ..Default::default()
    });
    let page = h.onboard("acme", "ann@acme.com").await;
    assert_eq!(page.status, 400);
    let t = h.show("acme").await;
    assert_eq!(t.failure, Some(FailureKind::ExchangeFailed));
    assert!(t.reason.as_deref().unwrap().contains(why), "{:?}", t.reason);
    assert!(!h.has_token("acme"));
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn the_google_account_and_domain_are_stored_without_control_characters(
    #[case] backend: Backend,
) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    let evil = "ann\u{1b}]52;c;ZXZpbA==\u{7}@evil\u{1b}[2J.example";
    let page = h.onboard("acme", evil).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let t = h.show("acme").await;
    let email = t.summary.google_email.unwrap();
    assert!(!email.chars().any(char::is_control), "{email:?}");
    assert!(email.starts_with("ann"));
    let line = t
        .events
        .iter()
        .find(|e| e.kind == EventKind::Consented)
        .unwrap();
    assert!(
        !line.detail.chars().any(char::is_control),
        "{:?}",
        line.detail
    );
    let json = serde_json::to_string(&*h.engine.store().node().brief("acme").unwrap()).unwrap();
    assert!(!json.contains("\\u001b"), "the hd too: {json}");
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn refused_sign_ins_are_counted_not_appended_without_bound(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    let before = h.show("acme").await.events.len();
    // Someone replays callbacks (unknown states are refused without a tenant; used ones
    // name it): 300 of a used state.
    let auth = h.start(&h.link("acme").await).await;
    let cb = h.consent(&auth, "ann@acme.com", true, None).await;
    assert_eq!(h.get(&cb).await.status, 200);
    for _ in 0..300 {
        assert_eq!(h.get(&cb).await.status, 400);
    }
    let t = h.show("acme").await;
    let added = t.events.len() - before;
    assert!(
        added <= 6,
        "{added} entries for one consent and 300 replays"
    );
    assert_eq!(t.refused_signins, 300);
    assert_eq!(t.status, TenantStatus::Consented);
}

#[tokio::test]
async fn the_whole_flow_works_under_a_public_url_with_a_path_prefix() {
    let h = common::harness_behind_proxy("/onboard").await;
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    assert!(link.url.contains("/onboard/c/"), "{}", link.url);
    let page = h.get(&link.url).await;
    assert!(
        page.body.contains(r#"action="/onboard/c/"#),
        "the form posts under the prefix: {}",
        page.body
    );
    let auth = h.start(&link).await;
    let redirect = auth
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert!(redirect.ends_with("/onboard/oauth/callback"), "{redirect}");
    let cb = h.consent(&auth, "ann@acme.com", true, None).await;
    assert!(cb.contains("/onboard/oauth/callback?"), "{cb}");
    let done = h.get(&cb).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(h.show("acme").await.status, TenantStatus::Consented);
}
