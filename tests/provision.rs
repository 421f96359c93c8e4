//! Provisioning on Blaxel end to end against the Blaxel stand-in: from consent to a
//! deployed MCP server, through injected faults, 400s, failed deploys and retries.

mod common;
mod spec_support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use common::blaxel_rig::*;
use common::*;
use mcp_onboard::blaxel::BlaxelClient;
use mcp_onboard::engine::lifecycle::Transition;
use mcp_onboard::engine::model::{EventKind, FailureKind, ProvisionStep, TenantStatus};
use mcp_onboard::engine::ops::jobs::Record;
use mcp_onboard::engine::{Actor, Command, EngineError, Reply, Worker};
use mcp_onboard::provision::{OAuthClient, ProvisionSettings, Provisioner};
use mcp_onboard::sandbox::blaxel::{BlaxelFaults, BlaxelSandboxHandle};
use secrecy::SecretString;

/// Every body the provisioner sent validates against the real Blaxel spec.
fn assert_bodies_match_the_spec(blaxel: &BlaxelSandboxHandle) {
    let spec = spec_support::Spec::load();
    let mut checked = 0;
    for req in blaxel.request_log() {
        let schema = match (
            req.method.as_str(),
            req.path.contains("/integrations/connections"),
        ) {
            ("POST" | "PUT", true) => "IntegrationConnection",
            ("POST" | "PUT", false) => "Function",
            _ => continue,
        };
        let body = req.body.clone().expect("a write has a body");
        let errors = spec_support::full_check(&spec, schema, &body);
        assert!(errors.is_empty(), "{} {}: {errors:?}", req.method, req.path);
        checked += 1;
    }
    assert!(checked >= 2, "bodies were captured");
}

/// Issue a link of an hour for `slug`.
fn an_hours_link(slug: &str) -> Command {
    Command::IssueLink {
        slug: slug.into(),
        ttl_secs: 3600,
        replace: false,
    }
}

#[tokio::test]
async fn consent_over_http_ends_deployed_with_the_issued_refresh_token_at_blaxel() {
    let r = rig(BlaxelFaults::default()).await;
    r.h.add("acme", None, None).await;
    let t = r.onboard_again("acme", "ann@acme.com").await;

    let conns = r.blaxel.connections();
    let funcs = r.blaxel.functions();
    assert_eq!((conns.len(), funcs.len()), (1, 1));
    let issued = r.h.google.live_refresh_tokens();
    assert_eq!(conns[0].secret.get("REFRESH_TOKEN"), Some(&issued[0]));
    assert_eq!(
        conns[0].secret.get("CLIENT_ID").map(String::as_str),
        Some(CLIENT_ID)
    );
    assert_eq!(
        conns[0].secret.get("CLIENT_SECRET").map(String::as_str),
        Some(CLIENT_SECRET)
    );
    assert_eq!(conns[0].integration.as_deref(), Some("gmail"));
    assert_eq!(
        conns[0].labels.get("tenant").map(String::as_str),
        Some("acme")
    );
    assert_eq!(
        conns[0].labels.get("managed-by").map(String::as_str),
        Some("mcp-onboard")
    );
    assert_eq!(
        funcs[0].integration_connections,
        vec![conns[0].name.clone()]
    );
    assert_eq!(funcs[0].body["spec"]["runtime"]["type"], "mcp");

    assert_eq!(
        t.mcp_url.as_deref(),
        Some(format!("{}/mcp", funcs[0].url).as_str())
    );
    let p = t.provisioning.unwrap();
    assert_eq!(
        (p.step, p.connection_name.as_str(), p.function_name.as_str()),
        (ProvisionStep::Done, "gmail-acme", "gmail-mcp-acme")
    );
    assert_eq!(p.blaxel_status.as_deref(), Some("DEPLOYED"));
    assert!(p.blaxel_status_at.is_some());
    let kinds: Vec<EventKind> = t.events.iter().map(|e| e.kind).collect();
    for k in [
        EventKind::Consented,
        EventKind::ConnectionReady,
        EventKind::ServerCreated,
        EventKind::Deployed,
    ] {
        assert!(kinds.contains(&k), "{k:?} missing from {kinds:?}");
    }
    assert_bodies_match_the_spec(&r.blaxel);
    // Each request carried the headers the real API needs.
    for req in r.blaxel.request_log() {
        assert_eq!(req.workspace.as_deref(), Some(WS));
        assert_eq!(req.api_version.as_deref(), Some("2026-04-28"));
    }
}

#[tokio::test]
async fn fifty_tenants_through_500s_429s_timeouts_and_409s_all_deploy_exactly_once() {
    let faults = BlaxelFaults {
        error_every: Some(7),
        rate_limit_every: Some(5),
        retry_after: Duration::from_millis(30),
        hang_every: Some(23),
        hang_for: Duration::from_millis(800),
        apply_then_error_every: Some(4),
        ..Default::default()
    };
    let r = rig(faults).await;
    for i in 0..50 {
        r.h.add(&format!("t{i:02}"), None, None).await;
    }
    // One tenant's connection already exists at Blaxel (an earlier life): create gets 409.
    let http = reqwest::Client::new();
    let direct = BlaxelClient::new(
        r.blaxel.base_url(),
        WS.into(),
        SecretString::from(KEY),
        http,
    );
    let stale = mcp_onboard::blaxel::GoogleOAuthSecret {
        client_id: CLIENT_ID.into(),
        client_secret: SecretString::from(CLIENT_SECRET),
        refresh_token: SecretString::from("1//stale"),
    };
    let body =
        mcp_onboard::blaxel::ConnectionRequest::for_tenant("gmail", "t00", "t00", &stale).unwrap();
    for _ in 0..5 {
        if direct.create_connection(&body).await.is_ok()
            || direct.get_connection("gmail-t00").await.is_ok()
        {
            break;
        }
    }
    for i in 0..50 {
        consent_directly(&r.h, &format!("t{i:02}"), &format!("1//token-{i:02}")).await;
    }
    for i in 0..50 {
        wait_for(
            &r.h,
            &format!("t{i:02}"),
            TenantStatus::Deployed,
            Duration::from_secs(120),
        )
        .await;
    }
    let conns = r.blaxel.connections();
    let funcs = r.blaxel.functions();
    assert_eq!(conns.len(), 50, "exactly one connection per tenant");
    assert_eq!(funcs.len(), 50, "exactly one function per tenant");
    let by_name: BTreeMap<_, _> = conns.iter().map(|c| (c.name.clone(), c)).collect();
    for i in 0..50 {
        let c = by_name[&format!("gmail-t{i:02}")];
        assert_eq!(
            c.secret["REFRESH_TOKEN"],
            format!("1//token-{i:02}"),
            "fresh secret, never the stale one"
        );
    }
    assert_bodies_match_the_spec(&r.blaxel);
    let log = r.blaxel.request_log();
    assert!(log.iter().any(|q| q.status == 429), "faults were injected");
    assert!(log.iter().any(|q| q.status == 409), "a create met a 409");
    let retries: usize = {
        let mut n = 0;
        for i in 0..50 {
            n +=
                r.h.show(&format!("t{i:02}"))
                    .await
                    .events
                    .iter()
                    .filter(|e| e.kind == EventKind::ProvisionRetry)
                    .count();
        }
        n
    };
    assert!(retries > 0, "retries are on the timelines");
}

#[tokio::test]
async fn a_400_stops_the_job_with_blaxels_message_and_retry_runs_it_again() {
    let message = "MCP server quota reached for workspace acme-ws (12 of 12)";
    let faults = BlaxelFaults {
        reject_names: BTreeMap::from([("gmail-mcp-acme".to_owned(), message.to_owned())]),
        ..Default::default()
    };
    let r = rig(faults).await;
    r.consented("acme", "1//t").await;
    let t = r.reaches("acme", TenantStatus::Failed).await;
    assert_eq!(t.failure, Some(FailureKind::BlaxelRejected));
    let reason = t.summary.reason.clone().unwrap();
    assert!(
        reason.contains(message) && reason.contains("400"),
        "{reason}"
    );
    assert!(reason.starts_with("function step failed"), "{reason}");
    let p = t.provisioning.unwrap();
    assert_eq!(
        (p.step, p.failed_step),
        (ProvisionStep::Stopped, Some(ProvisionStep::Function))
    );
    let calls = r.blaxel.request_log().len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        r.blaxel.request_log().len(),
        calls,
        "a 400 is not retried by itself"
    );

    let t = r.retry_until_deployed("acme").await;
    assert!(t.reason.is_none());
    assert!(t.events.iter().any(|e| e.kind == EventKind::RetryRequested));
    assert_eq!(r.blaxel.functions().len(), 1);
}

#[tokio::test]
async fn a_failed_deploy_is_reported_and_retry_redeploys() {
    let faults = BlaxelFaults {
        fail_deploy: ["gmail-mcp-acme".to_owned()].into(),
        ..Default::default()
    };
    let r = rig(faults).await;
    r.consented("acme", "1//t").await;
    let t = r.reaches("acme", TenantStatus::Failed).await;
    assert_eq!(t.failure, Some(FailureKind::DeployFailed));
    assert!(t.reason.as_deref().unwrap().contains("FAILED"));
    assert_eq!(
        t.provisioning.unwrap().blaxel_status.as_deref(),
        Some("DEPLOYING")
    );
    r.retry_until_deployed("acme").await;
    let f = &r.blaxel.functions()[0];
    assert_eq!(f.deployments, 2, "the retry sent the function again");
}

#[tokio::test]
async fn reconsent_puts_the_new_token_into_the_same_connection() {
    let r = rig(BlaxelFaults::default()).await;
    r.consented("acme", "1//first").await;
    r.reaches("acme", TenantStatus::Deployed).await;
    consent_directly(&r.h, "acme", "1//second").await;
    poll_until(SOON, async || {
        let at_blaxel = r.blaxel.connections()[0].secret["REFRESH_TOKEN"].clone();
        match at_blaxel.as_str() {
            "1//second" => Ok(()),
            _ => Err(format!("new token never reached Blaxel: {at_blaxel}")),
        }
    })
    .await;
    r.reaches("acme", TenantStatus::Deployed).await;
    assert_eq!(
        (r.blaxel.connections().len(), r.blaxel.functions().len()),
        (1, 1)
    );
    assert_eq!(
        r.blaxel.functions()[0].deployments,
        2,
        "a re-consent redeploys the server so it runs with the new token"
    );
    let t = r.h.show("acme").await;
    assert!(
        !t.events
            .iter()
            .any(|e| e.detail.contains("Google account changed")),
        "the same account consented again"
    );
}

#[tokio::test]
async fn retry_is_refused_when_there_is_nothing_to_retry() {
    let r = rig(BlaxelFaults::default()).await;
    r.h.add("acme", None, None).await;
    let err = r
        .refused(Command::Retry {
            slug: "acme".into(),
        })
        .await;
    assert!(matches!(err, EngineError::Transition(_)));
    assert!(err.to_string().contains("no consent yet"), "{err}");
    let _ = Arc::clone(&r.h.engine);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_consents_at_once_never_exceed_the_concurrency_bound() {
    let faults = BlaxelFaults {
        latency: Duration::from_millis(15),
        ..Default::default()
    };
    let r = rig_with(
        faults,
        ProvisionSettings {
            concurrency: 4,
            ..fast()
        },
    )
    .await;
    let slugs: Vec<String> = (0..200).map(|i| format!("c{i:03}")).collect();
    for s in &slugs {
        r.consented(s, "1//t").await;
    }
    for s in &slugs {
        wait_for(&r.h, s, TenantStatus::Deployed, Duration::from_secs(180)).await;
    }
    let max = r.blaxel.max_in_flight();
    assert!(max <= 4, "{max} calls in flight at once, bound is 4");
    assert!(max >= 2, "the work did run in parallel ({max})");
    assert_eq!(r.blaxel.functions().len(), 200);
}

#[tokio::test]
async fn a_deploy_that_never_finishes_fails_after_the_deploy_timeout() {
    let settings = ProvisionSettings {
        deploy_timeout: Duration::from_millis(400),
        ..fast()
    };
    let r = rig_with(BlaxelFaults::default(), settings).await;
    r.blaxel.set_deploy_delay(Duration::from_secs(600));
    r.consented("acme", "1//t").await;
    let t = r.reaches("acme", TenantStatus::Failed).await;
    assert_eq!(t.failure, Some(FailureKind::DeployFailed));
    let reason = t.summary.reason.clone().unwrap();
    assert!(reason.contains("still DEPLOYING after"), "{reason}");
    let p = t.provisioning.unwrap();
    assert_eq!(p.failed_step, Some(ProvisionStep::Deploy));
    assert!(
        p.attempts >= 2,
        "it polled before giving up ({})",
        p.attempts
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_all_failed_runs_every_stopped_job_again_and_leaves_failures_before_consent() {
    let fail: std::collections::BTreeSet<String> = (0..12)
        .filter(|i| i % 3 == 0)
        .map(|i| format!("gmail-mcp-t{i:02}"))
        .collect();
    let r = rig(BlaxelFaults {
        fail_deploy: fail.clone(),
        ..Default::default()
    })
    .await;
    for i in 0..12 {
        r.consented(&format!("t{i:02}"), "1//t").await;
    }
    // One that failed before consent: nothing to run again.
    r.h.add("early", None, None).await;
    let failed = Record {
        slug: "early".into(),
        transition: Transition::ConsentFailed {
            kind: FailureKind::ConsentDenied,
            reason: "the customer declined".into(),
        },
        durability: mcp_onboard::store::Durability::Durable,
    };
    r.h.engine
        .run(Actor::System(Worker::Owner), failed)
        .await
        .unwrap();
    for i in 0..12 {
        let want = if i % 3 == 0 {
            TenantStatus::Failed
        } else {
            TenantStatus::Deployed
        };
        wait_for(&r.h, &format!("t{i:02}"), want, Duration::from_secs(30)).await;
    }

    r.blaxel.set_faults(BlaxelFaults::default());
    // Only those confirmed, when named; then all the others.
    let reply = r
        .run(Command::RetryAllFailed {
            slugs: vec!["t03".into(), "t00".into(), "t01".into()],
        })
        .await;
    let Reply::Retried { retried, skipped } = reply else {
        panic!("{reply:?}")
    };
    assert_eq!(retried, ["t00", "t03"], "t01 is deployed: not failed");
    assert!(skipped.is_empty(), "{skipped:?}");
    let reply = r.run(Command::RetryAllFailed { slugs: vec![] }).await;
    let Reply::Retried {
        retried: rest,
        skipped,
    } = reply
    else {
        panic!("{reply:?}")
    };
    assert!(skipped.is_empty(), "{skipped:?}");
    // t00 and t03 may have deployed already or still be under way: not failed either way.
    assert_eq!(rest, ["t06", "t09"]);
    let retried = ["t00", "t03", "t06", "t09"];
    for slug in retried {
        let t = wait_for(&r.h, slug, TenantStatus::Deployed, Duration::from_secs(30)).await;
        assert!(t.events.iter().any(|e| e.kind == EventKind::RetryRequested));
    }
    let early = r.h.show("early").await;
    assert_eq!(early.status, TenantStatus::Failed, "left as it was");
    assert!(
        !early
            .events
            .iter()
            .any(|e| e.kind == EventKind::RetryRequested),
        "{:?}",
        early.events
    );

    // Nothing failed now: nothing retried, and asking again is harmless.
    let again = r.run(Command::RetryAllFailed { slugs: vec![] }).await;
    assert_eq!(
        again,
        Reply::Retried {
            retried: vec![],
            skipped: vec![]
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_found_by_a_check_and_a_new_consent_bring_the_same_server_back() {
    let r = rig(BlaxelFaults::default()).await;
    let first = r.onboarded("acme", "it@acme.example").await;

    assert_eq!(r.h.google.revoke_account("it@acme.example"), 1);
    r.run(Command::CheckHealth {
        slug: Some("acme".into()),
    })
    .await;
    let t = r.h.show("acme").await;
    assert_eq!(t.status, TenantStatus::NeedsReconsent);

    r.onboard_again("acme", "it@acme.example").await;
    let second = r.h.token("acme").unwrap();
    use secrecy::ExposeSecret;
    assert_ne!(first, second.expose_secret());
    assert_eq!(
        (r.blaxel.connections().len(), r.blaxel.functions().len()),
        (1, 1),
        "the same connection and server"
    );
    assert_eq!(
        r.blaxel.connections()[0].secret["REFRESH_TOKEN"],
        second.expose_secret(),
        "the connection holds the new token"
    );
    assert_eq!(
        r.h.google.live_refresh_tokens(),
        [second.expose_secret().to_owned()]
    );
    assert_bodies_match_the_spec(&r.blaxel);
}

mod identity_gate {
    use super::*;
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
            page.body.contains("Almost done")
                && page.body.contains("waits for a check by the administrator"),
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
}

mod offboarding {
    use super::*;
    use secrecy::ExposeSecret;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn offboarding_revokes_deletes_wipes_and_keeps_the_record() {
        let r = rig_full(BlaxelFaults::default(), fast(), Duration::from_millis(400)).await;
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
        // The store: no secret of acme, and its token nowhere in the files.
        assert!(r.h.token("acme").is_none());
        r.h.engine.sync().await.unwrap();
        assert!(!contains(&r.h.data_bytes(), token.as_bytes()));
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
            steps[4].contains("connection gmail-acme deleted")
                && steps[4].contains("secrets wiped")
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn offboarding_through_500s_429s_and_a_slow_server_deletion_completes() {
        let faults = BlaxelFaults {
            error_every: Some(3),
            rate_limit_every: Some(5),
            retry_after: Duration::from_millis(50),
            ..Default::default()
        };
        let r = rig_full(BlaxelFaults::default(), fast(), Duration::from_millis(700)).await;
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_tenant_that_never_consented_is_removed_not_offboarded_and_links_die_at_once() {
        let r = rig(BlaxelFaults::default()).await;
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_grant_another_tenant_still_uses_is_kept_at_google() {
        let r = rig(BlaxelFaults::default()).await;
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn offboarding_resumes_where_it_was_after_the_provisioner_stops_mid_way() {
        let mut r = rig_full(BlaxelFaults::default(), fast(), Duration::from_secs(2)).await;
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
}

mod drift {
    use super::*;
    use mcp_onboard::blaxel::{FunctionRequest, RequestMetadata};

    fn kinds(r: &Reply) -> Vec<(String, String)> {
        let Reply::Findings { findings } = r else {
            panic!("{r:?}")
        };
        findings
            .iter()
            .map(|f| (f.kind.clone(), format!("{}/{}", f.resource, f.name)))
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reconcile_finds_a_server_deleted_behind_our_back_and_an_orphan_and_fixes_only_on_request()
     {
        let r = rig(BlaxelFaults::default()).await;
        for slug in ["acme", "beta"] {
            r.onboarded(slug, &format!("it@{slug}.example")).await;
        }
        assert!(kinds(&r.run(Command::Reconcile).await).is_empty());
        let http = reqwest::Client::builder().build().unwrap();
        let other = BlaxelClient::new(
            r.blaxel.base_url(),
            WS.into(),
            SecretString::from(KEY),
            http,
        );
        other.delete_function("gmail-mcp-acme").await.unwrap();
        let ghost = FunctionRequest::mcp(
            RequestMetadata::for_tenant("gmail-mcp-ghost".into(), "Ghost", "ghost"),
            "gmail-beta".into(),
        );
        other.create_function(&ghost).await.unwrap();

        let found = kinds(&r.run(Command::Reconcile).await);
        assert!(
            found.contains(&("missing_server".into(), "function/gmail-mcp-acme".into())),
            "{found:?}"
        );
        assert!(
            found.contains(&("orphan".into(), "function/gmail-mcp-ghost".into())),
            "{found:?}"
        );
        assert_eq!(found.len(), 2, "{found:?}");
        // Nothing is changed by looking.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            r.blaxel
                .functions()
                .iter()
                .all(|f| f.name != "gmail-mcp-acme")
        );

        r.run(Command::ReconcileFix {
            slugs: vec!["acme".into()],
        })
        .await;
        poll_until(SOON, async || {
            let t = r.h.show("acme").await;
            let back = r
                .blaxel
                .functions()
                .iter()
                .any(|f| f.name == "gmail-mcp-acme");
            match (t.status, back) {
                (TenantStatus::Deployed, true) => Ok(()),
                _ => Err(t.provisioning),
            }
        })
        .await;
        let found = kinds(&r.run(Command::Reconcile).await);
        assert_eq!(
            found,
            [("orphan".to_owned(), "function/gmail-mcp-ghost".to_owned())]
        );

        // Only an orphan is deleted, and only when named.
        let err = r
            .refused(Command::DeleteOrphan {
                what: "function/gmail-mcp-beta".into(),
            })
            .await;
        assert!(err.to_string().contains("not an orphan"), "{err}");
        assert!(
            r.blaxel
                .functions()
                .iter()
                .any(|f| f.name == "gmail-mcp-beta")
        );
        let after = r
            .run(Command::DeleteOrphan {
                what: "function/gmail-mcp-ghost".into(),
            })
            .await;
        assert!(kinds(&after).is_empty(), "{after:?}");
        assert!(
            r.blaxel
                .functions()
                .iter()
                .all(|f| f.name != "gmail-mcp-ghost")
        );
        assert_bodies_match_the_spec(&r.blaxel);
    }
}
