//! Google's errors over HTTP against the Google stand-in: an error that comes back to the
//! callback or from the token endpoint ends on the customer's page saying what they can do,
//! with the tenant's reason naming the code and the operator's fix; one Google shows on
//! its own page leaves the customer there, and the flows' sweep notes that no callback came
//! back, with the likely causes and their fixes.

mod common;

use common::pg::Backend;
use common::*;
use mcp_onboard::domain::google_errors::{GoogleCode, Stage};
use mcp_onboard::engine::api::TenantView;
use mcp_onboard::engine::model::{ConsentLink, EventKind, FailureKind, PendingFlow, TenantStatus};
use mcp_onboard::engine::ops::admin::Sweep;
use mcp_onboard::engine::token::{hex, sha256};
use mcp_onboard::engine::{Actor, Command, Reply, Worker};
use mcp_onboard::sandbox::google::Knobs;
use mcp_onboard::store::{Durability, StoreError};
use mcp_onboard::time::now_ms;
use rstest::rstest;
use secrecy::SecretString;

fn fix_of(t: &TenantView) -> String {
    assert_eq!(t.google_fixes.len(), 1, "{:?}", t.google_fixes);
    t.google_fixes[0].fix.clone()
}

/// The customer walks from the link to Google, which answers the authorization itself.
async fn to_google(h: &Harness, slug: &str) -> Page {
    let auth = h.start(&h.link(slug).await).await;
    h.get(auth.as_str()).await
}

#[tokio::test]
async fn invalid_scope_at_the_callback_tells_the_customer_to_ask_and_the_operator_which_api() {
    let h = harness().await;
    h.add("acme", None, None).await;
    h.google.set_knobs(Knobs {
        authorize_error: Some(GoogleCode::new(Stage::Authorization, "invalid_scope")),
        ..Default::default()
    });
    let at_google = to_google(&h, "acme").await;
    assert_eq!(at_google.status, 303, "Google sends the error back");
    let cb = at_google.location.unwrap();
    assert!(cb.contains("error=invalid_scope"), "{cb}");
    let page = h.get(&cb).await;
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("A setting needs fixing"),
        "{}",
        page.body
    );
    assert!(page.body.contains("invalid_scope"), "{}", page.body);
    let t = h.show("acme").await;
    assert_eq!(t.status, TenantStatus::Failed);
    assert_eq!(t.failure, Some(FailureKind::ConsentError));
    let reason = t.reason.clone().unwrap();
    assert!(reason.contains("invalid_scope"), "{reason}");
    let fix = fix_of(&t);
    assert!(fix.contains("Enable the Gmail API"), "{fix}");
    assert!(fix.contains("Data access"), "{fix}");
    assert!(fix.contains("gmail.send"), "{fix}");
    assert_eq!(h.google.exchanges(), 0);
    // In the JSON for scripts (`tenant show --json`).
    let json = serde_json::to_value(&t).unwrap();
    assert_eq!(json["google_fixes"][0]["code"], "invalid_scope", "{json}");
}

#[rstest]
#[case::client("invalid_client", "google.client_secret", "A setting needs fixing")]
#[case::grant("invalid_grant", "clock", "Sign-in not accepted by Google")]
#[tokio::test]
async fn a_token_endpoint_error_gives_its_page_its_reason_and_its_fix(
    #[case] code: &str,
    #[case] in_fix: &str,
    #[case] heading: &str,
) {
    let h = harness().await;
    h.add("acme", None, None).await;
    h.google.set_knobs(Knobs {
        fail_exchange: Some(code.into()),
        ..Default::default()
    });
    let page = h.onboard("acme", "ann@acme.com").await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains(heading), "{}", page.body);
    assert!(page.body.contains(code), "{}", page.body);
    let t = h.show("acme").await;
    assert_eq!(t.failure, Some(FailureKind::ExchangeFailed));
    assert!(t.reason.as_deref().unwrap().contains(code), "{t:?}");
    assert_eq!(t.google_fixes[0].at, Stage::Token);
    let fix = fix_of(&t);
    assert!(fix.contains(in_fix), "{fix}");
    if code == "invalid_grant" {
        let redirect = h.engine.config().redirect_uri().to_string();
        assert!(fix.contains(&redirect), "{fix}");
    }
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn an_error_on_googles_own_page_is_noted_once_per_link_after_its_flows_expire(
    #[case] backend: Backend,
) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    h.google.set_knobs(Knobs {
        authorize_error: Some(GoogleCode::new(Stage::GooglePage, "admin_policy_enforced")),
        ..Default::default()
    });
    let link = h.link("acme").await;
    for _ in 0..2 {
        let auth = h.start(&link).await;
        let at_google = h.get(auth.as_str()).await;
        assert_eq!(
            at_google.status, 400,
            "Google keeps the customer on its page"
        );
        assert!(at_google.location.is_none());
        assert!(
            at_google.body.contains("admin_policy_enforced"),
            "{}",
            at_google.body
        );
    }
    // A second link, through which the customer went to Google once.
    let other = h.link("acme").await;
    h.get(h.start(&other).await.as_str()).await;
    // While the flows are within their sign-in window: nothing to say yet.
    sweep_as_owner(&h, now_ms() - 1).await;
    assert!(h.show("acme").await.no_callback.is_none());
    // Once they expired (the sweep drops them): one entry for the link, not one per flow.
    let later = now_ms() + 11 * 60_000;
    sweep_as_owner(&h, later).await;
    sweep_as_owner(&h, later).await;
    let t = h.show("acme").await;
    let noted: Vec<_> = t
        .events
        .iter()
        .filter(|e| e.kind == EventKind::NoCallback)
        .collect();
    assert_eq!(noted.len(), 2, "one per link: {:?}", t.events);
    let of = |id: &str| {
        noted
            .iter()
            .find(|e| e.detail.contains(id))
            .unwrap_or_else(|| panic!("nothing noted of link {id}: {noted:?}"))
            .detail
            .clone()
    };
    assert!(of(&link.id).contains("(2 times)"), "{}", of(&link.id));
    assert!(of(&other.id).contains("(once)"), "{}", of(&other.id));
    let signal = t.no_callback.clone().expect("the signal is on the tenant");
    let cause = |code: &str| {
        signal
            .causes
            .iter()
            .find(|c| c.code == code)
            .unwrap_or_else(|| panic!("{code} not among {:?}", signal.causes))
            .fix
            .clone()
    };
    let admin = cause("admin_policy_enforced");
    assert!(
        admin.contains("Workspace admin") && admin.contains(CLIENT_ID),
        "{admin}"
    );
    let redirect = h.engine.config().redirect_uri().to_string();
    assert!(cause("redirect_uri_mismatch").contains(&redirect));
    for c in ["org_internal", "disallowed_useragent", "access_denied"] {
        cause(c);
    }
    let json = serde_json::to_value(&t).unwrap();
    assert!(
        json["no_callback"]["causes"].as_array().unwrap().len() >= 5,
        "{json}"
    );
    // The tenant's status is not changed by a signal.
    assert_eq!(t.status, TenantStatus::LinkOpened);
}

#[tokio::test]
async fn a_customer_who_came_back_later_is_not_signalled() {
    let h = harness().await;
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    // A first Continue whose flow is left, then one that comes back (the customer denies).
    h.start(&link).await;
    let auth = h.start(&link).await;
    let cb = h.consent(&auth, "ann@acme.com", false, None).await;
    h.get(&cb).await;
    sweep_as_owner(&h, now_ms() + 11 * 60_000).await;
    let t = h.show("acme").await;
    assert!(t.no_callback.is_none(), "{:?}", t.no_callback);
    assert!(t.events.iter().all(|e| e.kind != EventKind::NoCallback));
}

const HOUR: i64 = 3_600_000;

/// Run the sweeper's round as the owner does, once this node leads the background work (on
/// PostgreSQL it takes the lease first: the sweeper's writes are fenced).
async fn sweep_as_owner(h: &Harness, before: i64) -> usize {
    let mut leadership = h.engine.leadership();
    tokio::time::timeout(std::time::Duration::from_secs(30), leadership.until(true))
        .await
        .expect("this node leads within 30 s");
    h.engine
        .run(Actor::System(Worker::Sweeper), Sweep { before })
        .await
        .unwrap()
}

/// A flow of the link `link_id` (code hash `hash`) for `acme`, started at `created_at`,
/// in its sign-in window for ten minutes.
fn flow_of(link_id: &str, hash: &[u8], created_at: i64) -> PendingFlow {
    PendingFlow {
        tenant: "acme".into(),
        link_id: link_id.into(),
        link_hash: hex(hash),
        redirect_uri: String::new(),
        created_at,
        expires_at: created_at + 10 * 60_000,
        browser: String::new(),
        integration: None,
        lang: None,
    }
}

async fn put_flows(h: &Harness, link: Option<([u8; 32], ConsentLink)>, flows: Vec<PendingFlow>) {
    h.engine
        .store()
        .commit(&OWNER, Durability::Durable, move |tx| {
            if let Some((hash, l)) = link.clone() {
                tx.put_link(&hash, l)?;
            }
            let v = SecretString::from("verifier");
            for (i, f) in flows.iter().enumerate() {
                tx.put_flow(&[u8::try_from(i + 1).unwrap(); 32], f.clone(), &v)?;
            }
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
}

fn noted(t: &TenantView) -> Vec<String> {
    t.events
        .iter()
        .filter(|e| e.kind == EventKind::NoCallback)
        .map(|e| e.detail.clone())
        .collect()
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_link_that_expired_before_the_owners_sweep_is_noted_once_however_many_sweeps(
    #[case] backend: Backend,
) {
    let Some(h) = harness_on(backend).await else {
        return;
    };
    h.add("acme", None, None).await;
    let now = now_ms();
    // A link that expired twenty minutes ago; the customer went on to Google through it
    // two hours ago and forty minutes ago, and never came back.
    let hash = [7u8; 32];
    let mut link = ConsentLink::new("acme", "old1", now - 3 * HOUR, now - 20 * 60_000);
    link.continue_count = 2;
    link.continued_at = Some(now - 40 * 60_000);
    let flows = vec![
        flow_of("old1", &hash, now - 2 * HOUR),
        flow_of("old1", &hash, now - 40 * 60_000),
    ];
    put_flows(&h, Some((hash, link)), flows).await;
    // The owner's sweeper drops flows an hour after they expired: the first goes.
    sweep_as_owner(&h, now_ms() - HOUR).await;
    let t = h.show("acme").await;
    let once = noted(&t);
    assert_eq!(once.len(), 1, "{:?}", t.events);
    assert!(once[0].contains("link old1 (once)"), "{once:?}");
    assert!(t.no_callback.is_some());
    // The second is still there; the sweeps that drop it do not note the link again.
    sweep_as_owner(&h, now_ms() - HOUR).await;
    sweep_as_owner(&h, now_ms() + HOUR).await;
    sweep_as_owner(&h, now_ms() + HOUR).await;
    assert_eq!(noted(&h.show("acme").await), once);
}

#[tokio::test]
async fn a_link_replaced_after_its_flow_expired_is_noted_and_one_in_its_window_is_not() {
    let h = harness().await;
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    let hash = sha256(link.url.rsplit('/').next().unwrap());
    // Continue pressed twenty minutes ago (its flow expired ten minutes ago), and now.
    put_flows(
        &h,
        None,
        vec![flow_of(&link.id, &hash, now_ms() - 20 * 60_000)],
    )
    .await;
    h.start(&link).await;
    let replaced = h
        .engine
        .run(
            OWNER,
            Command::IssueLink {
                integration: None,
                slug: "acme".into(),
                ttl_secs: 3600,
                replace: true,
            },
        )
        .await
        .unwrap();
    assert!(matches!(replaced, Reply::Link(_)), "{replaced:?}");
    let t = h.show("acme").await;
    let noted = noted(&t);
    assert_eq!(noted.len(), 1, "{:?}", t.events);
    assert!(
        noted[0].contains(&format!("link {} (once)", link.id)),
        "the flow in its window is not counted: {noted:?}"
    );
}
