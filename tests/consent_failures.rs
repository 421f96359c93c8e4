//! Every way the callback can go wrong ends on a clear page for the customer and a clear
//! reason on the tenant for the operator.

mod common;

use common::*;
use mcp_onboard::engine::model::{EventKind, FailureKind, PendingFlow, TenantStatus};
use mcp_onboard::engine::token::sha256;
use mcp_onboard::sandbox::google::Knobs;
use mcp_onboard::time::now_ms;
use rstest::rstest;
use secrecy::SecretString;

async fn failed_with(h: &Harness, slug: &str, kind: FailureKind) -> String {
    let t = h.show(slug).await;
    assert_eq!(t.status, TenantStatus::Failed, "{t:?}");
    assert_eq!(t.failure, Some(kind), "{t:?}");
    assert_eq!(t.events.last().unwrap().kind, EventKind::ConsentFailed);
    t.summary.reason.unwrap()
}

#[tokio::test]
async fn customer_denies() {
    let h = harness().await;
    h.add("acme", None, None).await;
    let auth = h.start(&h.link("acme").await).await;
    let cb = h.consent(&auth, "ann@acme.com", false, None).await;
    assert!(cb.contains("error=access_denied"));
    let page = h.get(&cb).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("Access not granted"), "{}", page.body);
    assert!(
        failed_with(&h, "acme", FailureKind::ConsentDenied)
            .await
            .contains("declined")
    );
    assert_eq!(h.google.exchanges(), 0);
}

/// After Deny the customer's page says to open the link again; the operator is told the same:
/// no retry (nothing exists at Google or Blaxel), the link works until it expires, and how to
/// issue a new one. The stored status stays `failed` (scripts and webhooks see no change).
#[tokio::test]
async fn a_denied_tenant_is_not_retried_and_the_refusal_says_its_link_still_works() {
    use mcp_onboard::engine::api::Command;
    use mcp_onboard::engine::model::LinkState;
    let h = harness().await;
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    let auth = h.start(&link).await;
    let cb = h.consent(&auth, "ann@acme.com", false, None).await;
    h.get(&cb).await;
    failed_with(&h, "acme", FailureKind::ConsentDenied).await;

    let err = h
        .engine
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            Command::Retry {
                slug: "acme".into(),
            },
        )
        .await
        .unwrap_err();
    let msg = err.to_string();
    let until = &link.expires_at;
    let until = format!("{} {} UTC", &until[..10], &until[11..16]);
    assert_eq!(
        msg,
        format!(
            "tenant acme declined at Google: nothing to retry; their link works until {until}; \
             `mcp-onboard link acme` issues a new one"
        )
    );
    assert_eq!(
        mcp_onboard::engine::ApiError::from(err).code,
        mcp_onboard::engine::ErrorCode::Conflict
    );
    let t = h.show("acme").await;
    assert_eq!(t.status, TenantStatus::Failed);
    assert_eq!(t.links[0].state, LinkState::Active, "the link still works");
    // And it does: the customer opens it again and consents this time.
    let page = h.onboard_through(&link, "ann@acme.com").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(h.has_token("acme"));
}

#[tokio::test]
async fn google_reports_another_error() {
    let h = harness().await;
    h.add("acme", None, None).await;
    let state = h.started_state("acme").await;
    let page = h
        .get(&format!(
            "{}oauth/callback?state={state}&error=server_error&error_description=try+later",
            h.base
        ))
        .await;
    assert_eq!(page.status, 400);
    // A passing fault of Google's: the customer is told to wait and try again.
    assert!(
        page.body.contains("Google is temporarily unavailable"),
        "{}",
        page.body
    );
    assert!(page.body.contains("server_error"), "{}", page.body);
    let reason = failed_with(&h, "acme", FailureKind::ConsentError).await;
    assert!(
        reason.contains("server_error") && reason.contains("try later"),
        "{reason}"
    );
}

#[tokio::test]
async fn outside_text_cannot_reach_the_operators_terminal_raw() {
    let h = harness().await;
    h.add("acme", None, None).await;
    let state = h.started_state("acme").await;
    let page = h
        .get(&format!(
            "{}oauth/callback?state={state}&error=x&error_description=%1b]52;c;ZXZpbA==%07%1b[2J%0afake",
            h.base
        ))
        .await;
    assert_eq!(page.status, 400);
    let t = h.show("acme").await;
    let reason = t.summary.reason.unwrap();
    assert!(reason.contains("52;c;ZXZpbA=="), "{reason}");
    assert!(!reason.chars().any(char::is_control), "{reason:?}");
    assert!(
        t.events
            .iter()
            .all(|e| !e.detail.chars().any(char::is_control))
    );
}

#[tokio::test]
async fn missing_code() {
    let h = harness().await;
    h.add("acme", None, None).await;
    let state = h.started_state("acme").await;
    let page = h
        .get(&format!("{}oauth/callback?state={state}", h.base))
        .await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("incomplete"));
    assert!(
        failed_with(&h, "acme", FailureKind::MissingCode)
            .await
            .contains("no authorization code")
    );
}

#[rstest]
#[case::no_state("oauth/callback?code=abc")]
#[case::malformed_state("oauth/callback?state=short&code=abc")]
#[case::unknown_state("oauth/callback?state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&code=abc")]
#[case::duplicated_state("oauth/callback?state=a&state=b&code=abc")]
#[case::nothing("oauth/callback")]
#[tokio::test]
async fn unknown_or_malformed_state_is_refused(#[case] path: &str) {
    let h = harness().await;
    let page = h.get(&format!("{}{path}", h.base)).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.body.contains("Open the link you were sent again"),
        "{}",
        page.body
    );
    assert_eq!(h.google.exchanges(), 0);
}

#[tokio::test]
async fn expired_state_is_refused() {
    let h = harness().await;
    h.add("acme", None, None).await;
    h.link("acme").await;
    let state = "B".repeat(43);
    // Started in this browser, which comes back with its cookie.
    let cookie = "C".repeat(43);
    *h.jar.lock().unwrap() = Some(format!("mcp-onboard={cookie}"));
    let flow = PendingFlow {
        tenant: "acme".into(),
        link_id: "x".into(),
        link_hash: String::new(),
        redirect_uri: format!("{}oauth/callback", h.base),
        created_at: now_ms() - 700_000,
        expires_at: now_ms() - 100_000,
        browser: mcp_onboard::domain::consent::browser_hash(&cookie),
        integration: None,
        lang: None,
    };
    let hash = sha256(&state);
    h.engine
        .commit_for_tests(move |tx| {
            tx.put_flow(&hash, flow.clone(), &SecretString::from("v".repeat(43)))?;
            Ok(())
        })
        .await
        .unwrap();
    let page = h
        .get(&format!("{}oauth/callback?state={state}&code=abc", h.base))
        .await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("expired"), "{}", page.body);
    assert!(
        failed_with(&h, "acme", FailureKind::FlowExpired)
            .await
            .contains("10-minute")
    );
    assert_eq!(h.google.exchanges(), 0);
    // Deleted on first use: the same state is now a replay.
    let again = h
        .get(&format!("{}oauth/callback?state={state}&code=abc", h.base))
        .await;
    assert!(again.body.contains("already used"));
}

#[tokio::test]
async fn exchange_failure_shows_googles_error_to_the_operator() {
    let h = harness().await;
    h.add("acme", None, None).await;
    h.google.set_knobs(Knobs {
        fail_exchange: Some("invalid_grant".into()),
        ..Default::default()
    });
    let page = h.onboard("acme", "ann@acme.com").await;
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("Sign-in not accepted by Google"),
        "{}",
        page.body
    );
    assert!(
        failed_with(&h, "acme", FailureKind::ExchangeFailed)
            .await
            .contains("invalid_grant")
    );
}

#[tokio::test]
async fn no_refresh_token() {
    let h = harness().await;
    h.add("acme", None, None).await;
    h.google.set_knobs(Knobs {
        omit_refresh_token: true,
        ..Default::default()
    });
    let page = h.onboard("acme", "ann@acme.com").await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("Lasting access not granted"));
    assert!(
        failed_with(&h, "acme", FailureKind::NoRefreshToken)
            .await
            .contains("no refresh token")
    );
    assert!(!h.has_token("acme"));
}

#[tokio::test]
async fn gmail_send_unticked_is_refused_and_the_grant_revoked() {
    let h = harness().await;
    h.add("acme", None, None).await;
    let auth = h.start(&h.link("acme").await).await;
    let partial = vec![
        "openid".to_owned(),
        "email".to_owned(),
        "profile".to_owned(),
    ];
    let cb = h.consent(&auth, "ann@acme.com", true, Some(partial)).await;
    let page = h.get(&cb).await;
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("permission was not ticked"),
        "{}",
        page.body
    );
    assert!(
        failed_with(&h, "acme", FailureKind::ScopeMissing)
            .await
            .contains("gmail.send")
    );
    assert_eq!(
        h.google.revoked_count(),
        1,
        "the partial grant is revoked, not kept"
    );
    assert!(!h.has_token("acme"));
}

#[tokio::test]
async fn wrong_email_account() {
    let h = harness().await;
    h.add("acme", Some("ann@acme.com"), None).await;
    let page = h.onboard("acme", "bob@acme.com").await;
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("bob@acme.com") && page.body.contains("ann@acme.com"),
        "{}",
        page.body
    );
    let reason = failed_with(&h, "acme", FailureKind::WrongAccount).await;
    assert!(
        reason.contains("bob@acme.com") && reason.contains("expected ann@acme.com"),
        "{reason}"
    );
    assert_eq!(h.google.revoked_count(), 1);
}

#[tokio::test]
async fn wrong_workspace_domain() {
    let h = harness().await;
    h.add("acme", None, Some("acme.com")).await;
    let page = h.onboard("acme", "someone@gmail.com").await;
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("an account of acme.com"),
        "{}",
        page.body
    );
    assert!(
        failed_with(&h, "acme", FailureKind::WrongAccount)
            .await
            .contains("not a Workspace account")
    );
    // The right domain then succeeds, from the failed state.
    let page = h.onboard("acme", "it@acme.com").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(h.show("acme").await.status, TenantStatus::Consented);
}

#[tokio::test]
async fn a_failed_retry_does_not_undo_an_earlier_consent() {
    let h = harness().await;
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    let auth = h.start(&h.link("acme").await).await;
    let cb = h.consent(&auth, "ann@acme.com", false, None).await;
    assert_eq!(h.get(&cb).await.status, 400);
    let t = h.show("acme").await;
    assert_eq!(t.status, TenantStatus::Consented);
    assert!(
        t.events
            .last()
            .unwrap()
            .detail
            .contains("earlier consent kept")
    );
    assert!(h.has_token("acme"));
}

#[tokio::test]
async fn bad_links() {
    let h = harness().await;
    h.add("acme", None, None).await;
    for path in [
        "c/short",
        "c/AAAAAAAAAAAAAAAAAAAAAA",
        "c/%ff%fe",
        "c/AAAAAAAAAAAAAAAAAAAAAA/continue",
    ] {
        let page = if path.ends_with("continue") {
            h.post_form(&format!("{}{path}", h.base), &[]).await
        } else {
            h.get(&format!("{}{path}", h.base)).await
        };
        assert_eq!(page.status, 404, "{path}: {}", page.body);
        assert!(page.body.contains("not valid"), "{path}");
    }
    let page = h.get(&format!("{}nowhere", h.base)).await;
    assert_eq!(page.status, 404);
}

#[tokio::test]
async fn expired_link_is_gone() {
    let h = harness().await;
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    let code = link.url.rsplit('/').next().unwrap().to_owned();
    let hash = sha256(&code);
    h.engine
        .commit_for_tests(move |tx| {
            let mut stored = tx.link(&hash)?.unwrap();
            stored.expires_at = now_ms() - 1;
            tx.put_link(&hash, stored)?;
            Ok(())
        })
        .await
        .unwrap();
    let page = h.get(&link.url).await;
    assert_eq!(page.status, 410);
    assert!(page.body.contains("expired"));
}
