//! Offboarding end to end against the Blaxel stand-in: the server and connection deleted,
//! the grant given back at Google, the links withdrawn, through faults and restarts. With
//! the store on sled and on PostgreSQL.

mod common;
mod spec_support;

use std::time::Duration;

use common::blaxel_rig::*;
use common::pg::Backend;
use common::*;
use mcp_onboard::blaxel::BlaxelClient;
use mcp_onboard::engine::Reply;
use mcp_onboard::engine::model::{EventKind, ProvisionStep, TenantStatus};
use mcp_onboard::provision::{OAuthClient, Provisioner};
use mcp_onboard::sandbox::blaxel::BlaxelFaults;
use rstest::rstest;
use secrecy::SecretString;
use spec_support::assert_bodies_match_the_spec;

use secrecy::ExposeSecret;

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offboarding_revokes_deletes_wipes_and_keeps_the_record(#[case] backend: Backend) {
    let Some(r) = rig_full_on(
        backend,
        BlaxelFaults::default(),
        fast(),
        Duration::from_millis(400),
    )
    .await
    else {
        return;
    };
    let token = r.onboarded("acme", "it@acme.example").await;
    let kept = r.onboarded("kept", "ops@kept.example").await;
    // What lies on disk of acme's token now (sled may keep such bytes around a while).
    let sealed =
        r.h.engine
            .store()
            .reader()
            .sealed_secret_for_tests("acme", "refresh_token")
            .expect("a sealed token");
    assert_eq!(
        r.h.engine
            .store()
            .reader()
            .open_sealed_for_tests("acme", "refresh_token", &sealed)
            .unwrap()
            .expose_secret(),
        token,
        "it opens while acme's data key exists"
    );
    let reply = r.offboard(&["acme", "nobody"]).await;
    let Reply::Offboarding {
        started,
        skipped,
        note,
    } = reply
    else {
        panic!("{reply:?}")
    };
    assert_eq!(started, ["acme"]);
    assert!(note.is_none(), "the provisioner runs here: {note:?}");
    assert_eq!(skipped.len(), 1);
    assert!(skipped[0].reason.contains("no tenant"), "{skipped:?}");

    let t = r.offboarded("acme").await;
    // Blaxel: nothing of acme left, kept untouched.
    let names: Vec<String> = r.blaxel.functions().into_iter().map(|f| f.name).collect();
    assert_eq!(names, ["gmail-mcp-kept"]);
    let conns: Vec<String> = r.blaxel.connections().into_iter().map(|c| c.name).collect();
    assert_eq!(conns, ["gmail-kept"]);
    // Google: acme's token revoked, kept's live.
    let live = r.h.google.live_refresh_tokens();
    assert!(!live.contains(&token) && live.contains(&kept), "{live:?}");
    // The store: no secret of acme, and its token nowhere in what it holds.
    assert!(r.h.token("acme").is_none());
    r.h.engine.sync().await.unwrap();
    assert!(!contains(&r.h.stored_bytes(), token.as_bytes()));
    // acme's data key is destroyed: its old ciphertext can never be opened again.
    assert!(
        r.h.engine
            .store()
            .reader()
            .open_sealed_for_tests("acme", "refresh_token", &sealed)
            .is_err()
    );
    // kept's still opens: every tenant has a key of its own.
    assert_eq!(r.h.token("kept").unwrap().expose_secret(), kept);
    // The record and its history stay; each step said what it did.
    let steps: Vec<&str> = t
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::OffboardRequested | EventKind::OffboardStep | EventKind::Offboarded
            )
        })
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(steps.len(), 5, "{steps:#?}");
    assert!(steps[1].contains("revoked at Google"), "{steps:#?}");
    assert!(
        steps[2].contains("MCP server gmail-mcp-acme deleted"),
        "{steps:#?}"
    );
    assert!(
        steps[4].contains("connection gmail-acme deleted") && steps[4].contains("secrets wiped")
    );
    assert!(
        t.events.iter().any(|e| e.kind == EventKind::Consented),
        "history kept"
    );
    // Nothing more can happen to it.
    let err = r.refused(an_hours_link("acme")).await;
    assert!(err.to_string().contains("offboarded"), "{err}");
    let Reply::Offboarding { started, .. } = r.offboard(&["acme"]).await else {
        panic!()
    };
    assert!(started.is_empty());
    assert_bodies_match_the_spec(&r.blaxel);
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offboarding_through_500s_429s_and_a_slow_server_deletion_completes(
    #[case] backend: Backend,
) {
    let faults = BlaxelFaults {
        error_every: Some(3),
        rate_limit_every: Some(5),
        retry_after: Duration::from_millis(50),
        ..Default::default()
    };
    let Some(r) = rig_full_on(
        backend,
        BlaxelFaults::default(),
        fast(),
        Duration::from_millis(700),
    )
    .await
    else {
        return;
    };
    for i in 0..6 {
        r.onboarded(&format!("t{i}"), &format!("it@t{i}.example"))
            .await;
    }
    r.blaxel.set_faults(faults);
    let slugs: Vec<String> = (0..6).map(|i| format!("t{i}")).collect();
    let refs: Vec<&str> = slugs.iter().map(String::as_str).collect();
    r.offboard(&refs).await;
    for s in &slugs {
        wait_for(&r.h, s, TenantStatus::Offboarded, Duration::from_secs(60)).await;
    }
    assert!(r.blaxel.functions().is_empty() && r.blaxel.connections().is_empty());
    assert!(r.h.google.live_refresh_tokens().is_empty());
    let t = r.h.show("t0").await;
    assert!(
        t.events.iter().any(|e| e.kind == EventKind::ProvisionRetry),
        "faults were met and retried: {:#?}",
        t.events
    );
    // Waiting for a slow deletion is said when the reason is new (a fault in between
    // is another), not once per check.
    let waits = t
        .events
        .iter()
        .filter(|e| e.detail.contains("still deleting"))
        .count();
    assert!(waits <= 3, "{waits} wait entries: {:#?}", t.events);
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_that_never_consented_is_removed_not_offboarded_and_links_die_at_once(
    #[case] backend: Backend,
) {
    let Some(r) = rig_on(backend, BlaxelFaults::default()).await else {
        return;
    };
    r.h.add("fresh", None, None).await;
    let Reply::Offboarding {
        started, skipped, ..
    } = r.offboard(&["fresh"]).await
    else {
        panic!()
    };
    assert!(started.is_empty());
    assert!(
        skipped[0].reason.contains("tenant remove fresh"),
        "{skipped:?}"
    );
    // A consented one: its links stop working as soon as offboarding starts.
    r.onboarded("acme", "it@acme.example").await;
    let link = r.h.link("acme").await;
    r.offboard(&["acme"]).await;
    let page = r.h.get(&link.url).await;
    assert!(page.status >= 400, "{} {}", page.status, page.body);
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_another_tenant_still_uses_is_kept_at_google(#[case] backend: Backend) {
    let Some(r) = rig_on(backend, BlaxelFaults::default()).await else {
        return;
    };
    let shared = r.onboarded("acme", "it@acme.example").await;
    let sister = r.onboarded("sister", "it@acme.example").await;
    r.offboard(&["acme"]).await;
    let t = r.offboarded("acme").await;
    let live = r.h.google.live_refresh_tokens();
    assert!(live.contains(&shared) && live.contains(&sister), "{live:?}");
    assert!(
        t.events
            .iter()
            .any(|e| e.detail.contains("kept at Google") && e.detail.contains("sister")),
        "{:#?}",
        t.events
    );
    assert_eq!(r.h.show("sister").await.status, TenantStatus::Deployed);
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offboarding_resumes_where_it_was_after_the_provisioner_stops_mid_way(
    #[case] backend: Backend,
) {
    let Some(mut r) = rig_full_on(
        backend,
        BlaxelFaults::default(),
        fast(),
        Duration::from_secs(2),
    )
    .await
    else {
        return;
    };
    r.onboarded("acme", "it@acme.example").await;
    r.offboard(&["acme"]).await;
    // Wait until the server's deletion is under way, then stop the provisioner.
    wait_until(&r.h, "acme", SOON, |t| {
        t.provisioning
            .as_ref()
            .is_some_and(|p| p.step == ProvisionStep::AwaitServerGone)
    })
    .await;
    r.worker.abort();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(r.h.show("acme").await.status, TenantStatus::Offboarding);
    // A new provisioner (as after a restart) picks the job up at its step.
    let http = reqwest::Client::builder().build().unwrap();
    let client = BlaxelClient::new(
        r.blaxel.base_url(),
        WS.into(),
        SecretString::from(KEY),
        http,
    )
    .with_timeout(Duration::from_millis(500));
    let oauth = OAuthClient {
        client_id: CLIENT_ID.into(),
        client_secret: SecretString::from(CLIENT_SECRET),
    };
    r.worker = Provisioner::new(r.h.engine.clone(), client, oauth, fast()).spawn();
    let t = r.offboarded("acme").await;
    assert!(r.blaxel.functions().is_empty() && r.blaxel.connections().is_empty());
    let deletes = r
        .blaxel
        .request_log()
        .iter()
        .filter(|q| q.method == "DELETE" && q.path.contains("/functions/"))
        .count();
    assert_eq!(
        deletes, 1,
        "the server was deleted once, not again after the restart"
    );
    assert_eq!(
        t.events
            .iter()
            .filter(|e| e.kind == EventKind::Offboarded)
            .count(),
        1
    );
}
