//! What comes back from upstream (Blaxel) cannot hurt the owner: a wild `Retry-After-Ms`
//! neither panics the provisioner nor leaves a tenant stuck, and secrets a front end echoes
//! back never reach the tenant's record, its timeline, the faces, webhooks or the disk
//! (nor the database, with the store on PostgreSQL).

mod common;

use std::time::Duration;

use common::blaxel_rig::*;
use common::pg::Backend;
use mcp_onboard::engine::Command;
use mcp_onboard::engine::model::{EventKind, FailureKind, ProvisionStep, TenantStatus};
use mcp_onboard::provision::ProvisionSettings;
use mcp_onboard::sandbox::blaxel::BlaxelFaults;
use rstest::rstest;

#[tokio::test]
async fn a_retry_after_ms_of_1e300_is_clamped_and_the_tenant_is_retried_not_stuck() {
    let faults = BlaxelFaults {
        rate_limit_every: Some(1),
        retry_after_ms_raw: Some("1e300".into()),
        ..Default::default()
    };
    let r = rig_with(
        faults,
        ProvisionSettings {
            max_retry_after: Duration::from_millis(300),
            ..fast()
        },
    )
    .await;
    r.h.add("acme", None, None).await;
    consent_directly(&r.h, "acme", "1//t").await;
    let t = wait_until(&r.h, "acme", Duration::from_secs(10), |t| {
        t.events.iter().any(|e| e.kind == EventKind::ProvisionRetry)
    })
    .await;
    let retry = t
        .events
        .iter()
        .find(|e| e.kind == EventKind::ProvisionRetry)
        .unwrap();
    assert!(retry.detail.contains("429"), "{}", retry.detail);
    r.blaxel.set_faults(BlaxelFaults::default());
    wait_for(
        &r.h,
        "acme",
        TenantStatus::Deployed,
        Duration::from_secs(20),
    )
    .await;
    assert!(!r.worker.is_finished(), "the provisioner runs on");
}

#[tokio::test]
async fn a_panic_in_a_provisioning_step_stops_the_job_as_failed_and_retry_runs_it_again() {
    let r = rig(BlaxelFaults::default()).await;
    r.provisioner.panic_on_step_for_tests(Some("acme"));
    r.consented("acme", "1//a").await;
    r.consented("beta", "1//b").await;
    let t = wait_for(&r.h, "acme", TenantStatus::Failed, Duration::from_secs(10)).await;
    assert_eq!(t.failure, Some(FailureKind::Internal));
    let reason = t.summary.reason.unwrap();
    assert!(
        reason.contains("injected panic") && reason.contains("mcp-onboard retry acme"),
        "{reason}"
    );
    let p = t.provisioning.unwrap();
    assert_eq!(
        (p.step, p.failed_step),
        (ProvisionStep::Stopped, Some(ProvisionStep::Connection))
    );
    // Another tenant is not held up, and the provisioner runs on.
    r.reaches("beta", TenantStatus::Deployed).await;
    r.provisioner.panic_on_step_for_tests(None);
    r.retry_until_deployed("acme").await;
    assert!(!r.worker.is_finished());
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn secrets_a_front_end_echoes_back_reach_no_record_face_webhook_or_file(
    #[case] backend: Backend,
) {
    let refresh = "1//0gSecretRefreshToken-ABC_def";
    let echo = BlaxelFaults {
        echo_every: Some(1),
        ..Default::default()
    };
    let Some(r) = rig_on(backend, echo).await else {
        return;
    };
    r.h.engine.store().enable_outbox();
    r.h.add("acme", None, None).await;
    consent_directly(&r.h, "acme", refresh).await;
    let t = wait_for(&r.h, "acme", TenantStatus::Failed, Duration::from_secs(10)).await;
    let reason = t.reason.clone().unwrap();
    assert!(
        reason.contains("could not process the request") && reason.contains("[redacted]"),
        "the echo is kept, its secrets are not: {reason}"
    );
    let secrets = [refresh, common::CLIENT_SECRET, KEY];
    let mut seen = vec![("show", serde_json::to_string(&t).unwrap())];
    let list =
        r.h.engine
            .run(
                mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
                Command::ListTenants {
                    query: Default::default(),
                },
            )
            .await
            .unwrap();
    seen.push(("list", serde_json::to_string(&list).unwrap()));
    let outbox =
        r.h.engine
            .store()
            .read(|s| s.outbox_after(None, 100))
            .await
            .unwrap();
    let failed: Vec<_> = outbox
        .iter()
        .filter(|(_, e)| e.event_type == "tenant.failed")
        .collect();
    assert_eq!(failed.len(), 1, "the tenant.failed webhook is waiting");
    for (_, e) in &outbox {
        seen.push(("webhook", mcp_onboard::engine::ops::webhooks::body(e)));
    }
    for (what, text) in &seen {
        for s in secrets {
            assert!(!text.contains(s), "{what} holds {s}: {text}");
        }
    }
    r.h.engine.sync().await.unwrap();
    let disk = r.h.stored_bytes();
    for s in secrets {
        assert!(
            !common::contains(&disk, s.as_bytes()),
            "the database holds {s}"
        );
    }
}

/// A token and revoke endpoint that answers every request with an OAuth error whose
/// description is the form it was sent, as a careless proxy in front of Google might.
async fn echoing_google() -> url::Url {
    let app = axum::Router::new().fallback(|body: String| async move {
        (
            axum::http::StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({
                "error": "invalid_grant",
                "error_description": format!("bad request: {body}"),
            })),
        )
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    url::Url::parse(&format!("http://{addr}/")).unwrap()
}

#[tokio::test]
async fn secrets_google_or_a_proxy_echoes_back_are_taken_out_of_every_answer() {
    use mcp_onboard::domain::health::RefreshAnswer;
    use secrecy::SecretString;
    let base = echoing_google().await;
    let secret = "GOCSPX-client/secret+value";
    let cfg = mcp_onboard::config::GoogleConfig {
        client_id: None,
        client_secret: None,
        auth_url: base.join("auth").unwrap(),
        token_url: base.join("token").unwrap(),
        revoke_url: base.join("revoke").unwrap(),
        issuer: "https://accounts.google.com".into(),
        app_in_testing: false,
        risc: false,
        risc_configuration_url: url::Url::parse(
            "https://accounts.google.com/.well-known/risc-configuration",
        )
        .unwrap(),
        risc_api_url: url::Url::parse("https://risc.googleapis.com/v1beta").unwrap(),
        risc_keys_min_refresh: std::time::Duration::from_secs(60),
    };
    let creds = mcp_onboard::config::GoogleCredentials {
        client_id: "client.apps".into(),
        client_secret: SecretString::from(secret),
    };
    let google =
        mcp_onboard::google::GoogleOAuth::new(&cfg, &creds, &base.join("cb").unwrap()).unwrap();
    let token = SecretString::from("1//0gRefresh/Token+Value=");
    let verifier = SecretString::from("pkce-verifier-value-0123456789");
    let mut said = Vec::new();
    match google.refresh(&token).await.unwrap() {
        RefreshAnswer::Refused { description, .. } => said.push(description.unwrap()),
        other => panic!("{other:?}"),
    }
    said.push(
        google
            .exchange("4/0the-one-time-code", &verifier)
            .await
            .unwrap_err()
            .to_string(),
    );
    said.push(google.revoke(&token).await.unwrap_err().to_string());
    said.push(google.revoke_status(&token).await.unwrap().1);
    for text in &said {
        assert!(
            text.contains("bad request") || text.contains("400"),
            "{text}"
        );
        for s in [
            "GOCSPX",
            "client%2Fsecret",
            "0gRefresh",
            "Token%2BValue",
            "pkce-verifier",
            "0the-one",
        ] {
            assert!(!text.contains(s), "{s} in {text}");
        }
    }
}
