//! Provisioning on Blaxel end to end against the Blaxel stand-in: from consent to a
//! deployed MCP server, through injected faults, 400s, failed deploys and retries. The
//! walk to deployed, through faults, and back after a re-consent, with the store on sled
//! and on PostgreSQL; the failures an operator retries (the provisioner's logic, whatever
//! the store) on sled.

mod common;
mod spec_support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use common::blaxel_rig::*;
use common::pg::Backend;
use common::*;
use mcp_onboard::blaxel::BlaxelClient;
use mcp_onboard::engine::lifecycle::Transition;
use mcp_onboard::engine::model::{EventKind, FailureKind, ProvisionStep, TenantStatus};
use mcp_onboard::engine::ops::jobs::Record;
use mcp_onboard::engine::{Actor, Command, EngineError, Reply, Worker};
use mcp_onboard::provision::ProvisionSettings;
use mcp_onboard::sandbox::blaxel::BlaxelFaults;
use rstest::rstest;
use secrecy::SecretString;
use spec_support::assert_bodies_match_the_spec;

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn consent_over_http_ends_deployed_with_the_issued_refresh_token_at_blaxel(
    #[case] backend: Backend,
) {
    let Some(r) = rig_on(backend, BlaxelFaults::default()).await else {
        return;
    };
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

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn fifty_tenants_through_500s_429s_timeouts_and_409s_all_deploy_exactly_once(
    #[case] backend: Backend,
) {
    let faults = BlaxelFaults {
        error_every: Some(7),
        rate_limit_every: Some(5),
        retry_after: Duration::from_millis(30),
        hang_every: Some(23),
        hang_for: Duration::from_millis(800),
        apply_then_error_every: Some(4),
        ..Default::default()
    };
    let Some(r) = rig_on(backend, faults).await else {
        return;
    };
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

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn reconsent_puts_the_new_token_into_the_same_connection(#[case] backend: Backend) {
    let Some(r) = rig_on(backend, BlaxelFaults::default()).await else {
        return;
    };
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
        integration: None,
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
            integration: None,
        })
        .await;
    let Reply::Retried { retried, skipped } = reply else {
        panic!("{reply:?}")
    };
    assert_eq!(retried, ["t00", "t03"], "t01 is deployed: not failed");
    assert!(skipped.is_empty(), "{skipped:?}");
    let reply = r
        .run(Command::RetryAllFailed {
            slugs: vec![],
            integration: None,
        })
        .await;
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
    let again = r
        .run(Command::RetryAllFailed {
            slugs: vec![],
            integration: None,
        })
        .await;
    assert_eq!(
        again,
        Reply::Retried {
            retried: vec![],
            skipped: vec![]
        }
    );
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_found_by_a_check_and_a_new_consent_bring_the_same_server_back(
    #[case] backend: Backend,
) {
    let Some(r) = rig_on(backend, BlaxelFaults::default()).await else {
        return;
    };
    let first = r.onboarded("acme", "it@acme.example").await;

    assert_eq!(r.h.google.revoke_account("it@acme.example"), 1);
    r.run(Command::CheckHealth {
        slug: Some("acme".into()),
        mcp: false,
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
