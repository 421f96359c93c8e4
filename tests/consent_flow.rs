//! The consent flow end to end over real HTTP on loopback: link, interstitial, Continue,
//! the Google sandbox, the callback, and what is stored.

mod common;

use common::pg::Backend;
use common::*;
use mcp_onboard::engine::model::{EventKind, TenantStatus};
use rstest::rstest;

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn customer_consents_and_the_refresh_token_is_stored_encrypted(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", Some("ann@acme.com"), None).await;
    let link = h.link("acme").await;
    assert!(link.url.starts_with(h.base.as_str()), "{}", link.url);
    assert_eq!(h.show("acme").await.status, TenantStatus::LinkIssued);

    // The interstitial: tenant name, what is asked, a Continue form; opening records only.
    let page = h.get(&link.url).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("acme Ltd"));
    assert!(page.body.contains("Send email as you"));
    assert!(page.body.contains("ann@acme.com"));
    assert!(page.body.contains(r#"method="post""#));
    assert!(!page.body.contains("<script"));
    let t = h.show("acme").await;
    assert_eq!(t.status, TenantStatus::LinkOpened);
    assert_eq!(t.links[0].open_count, 1);
    assert_eq!(h.google.exchanges(), 0);

    // Continue: a redirect to the authorize URL with every parameter Google needs.
    let auth = h.start(&link).await;
    let q: std::collections::HashMap<String, String> = auth.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], format!("{}oauth/callback", h.base));
    assert_eq!(q["response_type"], "code");
    assert_eq!(
        q["scope"],
        "openid email profile https://www.googleapis.com/auth/gmail.send"
    );
    assert_eq!(q["access_type"], "offline");
    assert_eq!(q["prompt"], "consent");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert!(q["state"].len() >= 22, "state carries at least 128 bits");
    assert_eq!(q["login_hint"], "ann@acme.com");
    assert_eq!(q["hl"], "en", "Google speaks the page's language");

    let cb = h.consent(&auth, "ann@acme.com", true, None).await;
    let page = h.get(&cb).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("You&#x27;re connected") || page.body.contains("You're connected"),
        "{}",
        page.body
    );
    assert!(page.body.contains("ann@acme.com"));

    let t = h.show("acme").await;
    assert_eq!(t.status, TenantStatus::Consented);
    assert_eq!(t.google_email.as_deref(), Some("ann@acme.com"));
    assert!(t.consented_at.is_some());
    let kinds: Vec<EventKind> = t.events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::TenantAdded,
            EventKind::LinkIssued,
            // Opened twice, on the timeline once: the second open is counted on the link.
            EventKind::LinkOpened,
            EventKind::ConsentStarted,
            EventKind::Consented
        ]
    );
    assert_eq!(t.links[0].open_count, 2);

    // The refresh token Google issued is what we stored, and only encrypted.
    let issued = h.google.live_refresh_tokens();
    assert_eq!(issued.len(), 1);
    let stored = h.token("acme").unwrap();
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(&stored),
        issued[0].as_str()
    );
    h.engine.sync().await.unwrap();
    let bytes = h.stored_bytes();
    assert!(
        !contains(&bytes, issued[0].as_bytes()),
        "refresh token in plain text on disk"
    );
    assert!(
        !contains(&bytes, CLIENT_SECRET.as_bytes()),
        "client secret on disk"
    );
    assert!(
        contains(&bytes, b"ann@acme.com"),
        "sanity: the scan does see stored data"
    );
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_replayed_callback_is_refused_and_the_consent_kept(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    let auth = h.start(&link).await;
    let cb = h.consent(&auth, "ann@acme.com", true, None).await;
    assert_eq!(h.get(&cb).await.status, 200);
    let again = h.get(&cb).await;
    assert_eq!(again.status, 400);
    assert!(again.body.contains("already used"), "{}", again.body);
    let t = h.show("acme").await;
    assert_eq!(t.status, TenantStatus::Consented);
    assert_eq!(t.events.last().unwrap().kind, EventKind::CallbackRefused);
    assert_eq!(h.google.exchanges(), 1, "a replay never reaches Google");
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn two_racing_callbacks_for_one_state_exactly_one_wins(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    let auth = h.start(&link).await;
    let cb = h.consent(&auth, "ann@acme.com", true, None).await;
    let (a, b) = tokio::join!(h.get(&cb), h.get(&cb));
    let mut statuses = vec![a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, vec![200, 400]);
    assert_eq!(h.google.exchanges(), 1);
    let t = h.show("acme").await;
    assert!(
        t.events
            .iter()
            .any(|e| e.kind == EventKind::CallbackRefused),
        "the loser is recorded as a refused replay: {:?}",
        t.events
    );
    assert_eq!(h.show("acme").await.status, TenantStatus::Consented);
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn reconsent_replaces_the_stored_token(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    let first = h.token("acme").unwrap();
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    let second = h.token("acme").unwrap();
    use secrecy::ExposeSecret;
    assert_ne!(first.expose_secret(), second.expose_secret());
    assert_eq!(h.show("acme").await.status, TenantStatus::Consented);
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_used_link_cannot_connect_another_account_later(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    // Two tabs press Continue on the same link before either finishes.
    let first = h.start(&link).await;
    let second = h.start(&link).await;
    let cb = h.consent(&first, "ann@acme.com", true, None).await;
    assert_eq!(h.get(&cb).await.status, 200);
    let cb2 = h.consent(&second, "mallory@evil.example", true, None).await;
    let page = h.get(&cb2).await;
    assert_eq!(page.status, 410, "{}", page.body);
    assert!(page.body.contains("already used"), "{}", page.body);
    assert_eq!(
        h.google.exchanges(),
        1,
        "the second sign-in never reached Google"
    );
    // The link itself is spent, too.
    let page = h.get(&link.url).await;
    assert_eq!(page.status, 410);
    let t = h.show("acme").await;
    assert_eq!(t.google_email.as_deref(), Some("ann@acme.com"));
    assert_eq!(t.status, TenantStatus::Consented);
    assert_eq!(t.links[0].state.as_str(), "used");
    assert_eq!(t.events.last().unwrap().kind, EventKind::CallbackRefused);
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn withdrawn_links_stop_working_and_a_new_one_still_can(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    let old = h.link("acme").await;
    let reply = h
        .engine
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            mcp_onboard::engine::Command::RevokeLinks {
                slug: "acme".into(),
            },
        )
        .await
        .unwrap();
    let mcp_onboard::engine::Reply::Tenant(t) = reply else {
        panic!()
    };
    assert_eq!(t.links[0].state.as_str(), "revoked");
    assert_eq!(t.events.last().unwrap().kind, EventKind::LinksRevoked);
    let page = h.get(&old.url).await;
    assert_eq!(page.status, 410);
    assert!(page.body.contains("withdrawn"));
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_browser_that_goes_away_mid_callback_still_gets_its_consent_recorded(
    #[case] backend: Backend,
) {
    use tokio::io::AsyncWriteExt;
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    h.google.set_knobs(mcp_onboard::sandbox::google::Knobs {
        exchange_delay: std::time::Duration::from_millis(600),
        ..Default::default()
    });
    let auth = h.start(&h.link("acme").await).await;
    let cb = url::Url::parse(&h.consent(&auth, "ann@acme.com", true, None).await).unwrap();
    let mut s = tokio::net::TcpStream::connect(h.base.socket_addrs(|| None).unwrap()[0])
        .await
        .unwrap();
    let cookie = h.jar.lock().unwrap().clone().expect("the browser's cookie");
    let req = format!(
        "GET {}?{} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\r\n",
        cb.path(),
        cb.query().unwrap()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    drop(s); // the browser is gone before Google has answered
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while h.show("acme").await.status != TenantStatus::Consented {
        assert!(
            std::time::Instant::now() < deadline,
            "the consent was lost with the connection"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(h.has_token("acme"));
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_new_link_may_switch_the_account_once_the_operator_approves_and_the_timeline_says_so(
    #[case] backend: Backend,
) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    assert_eq!(h.onboard("acme", "bob@acme.com").await.status, 200);
    let t = h.show("acme").await;
    // Another account than before: it waits for the operator (the identity gate).
    assert_eq!(t.status, TenantStatus::AwaitingApproval);
    assert_eq!(t.google_email.as_deref(), Some("ann@acme.com"));
    let waiting = t
        .events
        .iter()
        .rev()
        .find(|e| e.kind == EventKind::ApprovalRequested)
        .unwrap();
    assert!(
        waiting
            .detail
            .contains("consent by bob@acme.com, not ann@acme.com"),
        "{}",
        waiting.detail
    );
    h.engine
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            mcp_onboard::engine::Command::Approve {
                slug: "acme".into(),
            },
        )
        .await
        .unwrap();
    let t = h.show("acme").await;
    assert_eq!(t.google_email.as_deref(), Some("bob@acme.com"));
    let last = t
        .events
        .iter()
        .rev()
        .find(|e| e.kind == EventKind::Approved)
        .unwrap();
    assert!(
        last.detail.contains("(was ann@acme.com)"),
        "{}",
        last.detail
    );
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn pressing_continue_again_gives_a_flow_that_completes(#[case] backend: Backend) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    let _first = h.start(&link).await;
    let second = h.start(&link).await;
    let cb = h.consent(&second, "ann@acme.com", true, None).await;
    let page = h.get(&cb).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let t = h.show("acme").await;
    assert_eq!(t.status, TenantStatus::Consented);
    assert_eq!(t.links[0].continue_count, 2);
    assert_eq!(
        t.events
            .iter()
            .filter(|e| e.kind == EventKind::ConsentStarted)
            .count(),
        1,
        "the second Continue is counted, not appended"
    );
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn offboarding_withdraws_the_tenants_live_links(#[case] backend: Backend) {
    use mcp_onboard::engine::model::LinkState;
    use mcp_onboard::engine::{Actor, Command, Worker};
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.com").await.status, 200);
    // A link for a re-consent, never opened.
    let again = h.link("acme").await;
    h.engine
        .run(
            Actor::System(Worker::Owner),
            Command::Offboard {
                slugs: vec!["acme".into()],
            },
        )
        .await
        .unwrap();
    let t = h.show("acme").await;
    assert_eq!(t.status, TenantStatus::Offboarding);
    let states: Vec<LinkState> = t.links.iter().map(|l| l.state).collect();
    assert_eq!(
        states,
        [LinkState::Used, LinkState::Revoked],
        "{:?}",
        t.links
    );
    let page = h.get(&again.url).await;
    assert_eq!(page.status, 410, "{}", page.body);
    assert!(page.body.contains("withdrawn"), "{}", page.body);
}
