//! The Blaxel client against the Blaxel sandbox over real HTTP: CRUD of both kinds, error
//! classification (409, 404, 401, 400, 429, 500, timeout), the "applied then 500" create,
//! deployment status and pagination.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use mcp_onboard::blaxel::{
    BlaxelClient, BlaxelError, ConnectionRequest, FunctionRequest, GoogleOAuthSecret, Status,
    function_needs_update, mcp_url,
};
use mcp_onboard::sandbox::blaxel::{
    BlaxelFaults, BlaxelSandboxConfig, BlaxelSandboxHandle, SECRET_MASK, spawn,
};
use secrecy::SecretString;

const KEY: &str = "bl_test_key";

async fn sandbox() -> (BlaxelSandboxHandle, BlaxelClient) {
    let config = BlaxelSandboxConfig {
        workspace: "acme-ws".into(),
        api_key: SecretString::from(KEY),
        deploy_delay: Duration::from_millis(40),
        ..BlaxelSandboxConfig::default()
    };
    let sandbox = spawn(config).await.unwrap();
    let client = client_for(&sandbox, "acme-ws", KEY);
    (sandbox, client)
}

fn client_for(sandbox: &BlaxelSandboxHandle, workspace: &str, key: &str) -> BlaxelClient {
    BlaxelClient::new(
        sandbox.base_url(),
        workspace.into(),
        SecretString::from(key),
        reqwest::Client::new(),
    )
    .with_timeout(Duration::from_secs(5))
}

fn secret(refresh: &str) -> GoogleOAuthSecret {
    GoogleOAuthSecret {
        client_id: "cid.apps.googleusercontent.com".into(),
        client_secret: SecretString::from("GOCSPX-secret"),
        refresh_token: SecretString::from(refresh),
    }
}

fn connection(slug: &str, refresh: &str) -> ConnectionRequest {
    ConnectionRequest::for_tenant("gmail", slug, "Acme Corp", &secret(refresh)).unwrap()
}

fn function(slug: &str) -> FunctionRequest {
    FunctionRequest::for_tenant("gmail", slug, "Acme Corp").unwrap()
}

async fn wait_for_status(
    client: &BlaxelClient,
    name: &str,
    want: Status,
) -> mcp_onboard::blaxel::Function {
    for _ in 0..100 {
        let f = client.get_function(name).await.unwrap();
        if f.status.as_ref() == Some(&want) {
            return f;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{name} never reached {want}");
}

#[tokio::test]
async fn connections_create_get_update_list_delete() {
    let (sandbox, client) = sandbox().await;
    let created = client
        .create_connection(&connection("acme", "1//first"))
        .await
        .unwrap();
    assert_eq!(created.metadata.name, "gmail-acme");
    assert_eq!(created.metadata.workspace.as_deref(), Some("acme-ws"));
    let masked = created.spec.secret.unwrap();
    assert!(masked.values().all(|v| v == SECRET_MASK), "{masked:?}");

    let stored = sandbox.connections();
    assert_eq!(stored[0].secret["REFRESH_TOKEN"], "1//first");
    assert_eq!(stored[0].labels["tenant"], "acme");

    let got = client.get_connection("gmail-acme").await.unwrap();
    assert_eq!(got.spec.integration.as_deref(), Some("gmail"));

    client
        .update_connection(&connection("acme", "1//second"))
        .await
        .unwrap();
    assert_eq!(
        sandbox.connections()[0].secret["REFRESH_TOKEN"],
        "1//second"
    );

    client
        .create_connection(&connection("beta", "1//b"))
        .await
        .unwrap();
    let names: Vec<String> = client
        .list_connections()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.metadata.name)
        .collect();
    assert_eq!(names, ["gmail-acme", "gmail-beta"]);

    client.delete_connection("gmail-acme").await.unwrap();
    let gone = client.get_connection("gmail-acme").await.unwrap_err();
    assert!(gone.is_not_found() && !gone.is_retryable(), "{gone:?}");
    assert!(
        client
            .delete_connection("gmail-acme")
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        client
            .update_connection(&connection("acme", "x"))
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn functions_deploy_update_list_delete() {
    let (sandbox, client) = sandbox().await;
    client
        .create_connection(&connection("acme", "1//t"))
        .await
        .unwrap();
    let created = client.create_function(&function("acme")).await.unwrap();
    assert_eq!(created.status, Some(Status::Deploying));
    let deployed = wait_for_status(&client, "gmail-mcp-acme", Status::Deployed).await;
    let url = mcp_url(&deployed).unwrap();
    assert!(
        url.ends_with("/run/acme-ws/functions/gmail-mcp-acme/mcp"),
        "{url}"
    );
    assert!(!function_needs_update(&deployed, &function("acme")));

    let updated = client.update_function(&function("acme")).await.unwrap();
    assert_eq!(updated.status, Some(Status::Deploying));
    assert_eq!(sandbox.functions()[0].deployments, 2);

    let listed = client.list_functions().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].spec.integration_connections.as_deref(),
        Some(&["gmail-acme".to_owned()][..])
    );

    let in_use = client.delete_connection("gmail-acme").await.unwrap_err();
    assert!(in_use.is_conflict(), "{in_use:?}");
    assert!(in_use.to_string().contains("in use"), "{in_use}");

    client.delete_function("gmail-mcp-acme").await.unwrap();
    assert!(
        client
            .get_function("gmail-mcp-acme")
            .await
            .unwrap_err()
            .is_not_found()
    );
    client.delete_connection("gmail-acme").await.unwrap();
    assert!(sandbox.functions().is_empty() && sandbox.connections().is_empty());
}

#[tokio::test]
async fn duplicate_create_is_a_conflict_then_get_and_compare() {
    let (_sandbox, client) = sandbox().await;
    client
        .create_connection(&connection("acme", "1//t"))
        .await
        .unwrap();
    let dup = client
        .create_connection(&connection("acme", "1//t"))
        .await
        .unwrap_err();
    assert!(
        dup.is_conflict() && !dup.is_retryable() && !dup.is_not_found(),
        "{dup:?}"
    );

    client.create_function(&function("acme")).await.unwrap();
    let dup = client.create_function(&function("acme")).await.unwrap_err();
    assert!(dup.is_conflict(), "{dup:?}");
    let existing = client.get_function("gmail-mcp-acme").await.unwrap();
    assert!(!function_needs_update(&existing, &function("acme")));
    let mut rebound = function("acme");
    client
        .create_connection(&connection("acme2", "1//t"))
        .await
        .unwrap();
    rebound.spec.integration_connections = vec!["gmail-acme2".into()];
    assert!(function_needs_update(&existing, &rebound));
}

#[tokio::test]
async fn wrong_key_and_wrong_workspace_are_rejected() {
    let (sandbox, _) = sandbox().await;
    let err = client_for(&sandbox, "acme-ws", "bl_wrong")
        .list_connections()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(!err.is_retryable());
    assert!(
        err.to_string().contains("401") && err.to_string().contains("Invalid or missing"),
        "{err}"
    );
    let err = client_for(&sandbox, "other-ws", KEY)
        .list_connections()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn a_400_shows_blaxel_message_verbatim() {
    let (sandbox, client) = sandbox().await;
    sandbox.set_faults(BlaxelFaults {
        reject_names: BTreeMap::from([(
            "gmail-acme".into(),
            "Quota exceeded: 100 integrations per workspace".into(),
        )]),
        ..BlaxelFaults::default()
    });
    let err = client
        .create_connection(&connection("acme", "1//t"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Blaxel rejected the request (400 BAD_REQUEST): Quota exceeded: 100 integrations per workspace"
    );
    assert!(!err.is_retryable());
    assert!(matches!(&err, BlaxelError::Api { code: Some(code), .. } if code == "400"));

    let unbound = client
        .create_function(&function("nobody"))
        .await
        .unwrap_err();
    assert_eq!(unbound.status(), Some(400));
    assert!(unbound.to_string().contains("gmail-nobody"), "{unbound}");
}

#[tokio::test]
async fn rate_limit_and_server_errors_are_retryable() {
    let (sandbox, client) = sandbox().await;
    sandbox.set_faults(BlaxelFaults {
        rate_limit_every: Some(1),
        retry_after: Duration::from_millis(1500),
        ..BlaxelFaults::default()
    });
    let limited = client.list_connections().await.unwrap_err();
    assert_eq!(limited.status(), Some(429));
    assert!(limited.is_retryable());
    assert_eq!(limited.retry_after(), Some(Duration::from_millis(1500)));

    sandbox.set_faults(BlaxelFaults {
        error_every: Some(2),
        ..BlaxelFaults::default()
    });
    client.list_connections().await.unwrap();
    let failed = client
        .create_connection(&connection("acme", "1//t"))
        .await
        .unwrap_err();
    assert_eq!(failed.status(), Some(500));
    assert!(failed.is_retryable() && failed.retry_after().is_none());
    assert!(
        sandbox.connections().is_empty(),
        "a plain 500 applies nothing"
    );
}

#[tokio::test]
async fn a_hanging_request_is_classified_as_a_timeout() {
    let (sandbox, client) = sandbox().await;
    sandbox.set_faults(BlaxelFaults {
        hang_every: Some(1),
        hang_for: Duration::from_secs(2),
        ..BlaxelFaults::default()
    });
    let err = client
        .with_timeout(Duration::from_millis(100))
        .list_connections()
        .await
        .unwrap_err();
    assert!(err.is_timeout() && err.is_retryable(), "{err:?}");
    assert!(
        err.to_string().starts_with("Blaxel did not answer in time"),
        "{err}"
    );
}

#[tokio::test]
async fn applied_then_500_create_meets_a_409_on_retry() {
    let (sandbox, client) = sandbox().await;
    sandbox.set_faults(BlaxelFaults {
        apply_then_error_every: Some(1),
        ..BlaxelFaults::default()
    });
    let first = client
        .create_connection(&connection("acme", "1//t"))
        .await
        .unwrap_err();
    assert!(first.is_retryable(), "{first:?}");
    assert_eq!(sandbox.connections().len(), 1, "the create was applied");
    sandbox.set_faults(BlaxelFaults::default());
    let retry = client
        .create_connection(&connection("acme", "1//t"))
        .await
        .unwrap_err();
    assert!(retry.is_conflict(), "{retry:?}");
}

#[tokio::test]
async fn a_failing_deployment_ends_failed() {
    let (sandbox, client) = sandbox().await;
    sandbox.set_faults(BlaxelFaults {
        fail_deploy: BTreeSet::from(["gmail-mcp-acme".to_owned()]),
        ..BlaxelFaults::default()
    });
    client
        .create_connection(&connection("acme", "1//t"))
        .await
        .unwrap();
    client.create_function(&function("acme")).await.unwrap();
    let failed = wait_for_status(&client, "gmail-mcp-acme", Status::Failed).await;
    assert!(failed.status.unwrap().is_terminal_failure());
    let events = failed.events.unwrap();
    assert_eq!(events[0].status.as_deref(), Some("FAILED"));
}

#[tokio::test]
async fn list_functions_follows_the_cursor_over_pages() {
    let (sandbox, client) = sandbox().await;
    let slugs = ["a1", "b2", "c3", "d4", "e5"];
    for slug in slugs {
        client
            .create_connection(&connection(slug, "1//t"))
            .await
            .unwrap();
        client.create_function(&function(slug)).await.unwrap();
    }
    let first = client.list_functions_page(None, Some(2)).await.unwrap();
    assert_eq!(first.data.len(), 2);
    let meta = first.meta.clone().unwrap();
    assert!(meta.has_more);
    assert_eq!(meta.total, Some(5));
    assert_eq!(
        first.data[0].metadata.name, "gmail-mcp-e5",
        "newest first by default"
    );

    let before = sandbox.request_log().len();
    let all = client
        .clone()
        .with_page_size(2)
        .list_functions()
        .await
        .unwrap();
    let mut names: Vec<String> = all.into_iter().map(|f| f.metadata.name).collect();
    names.sort();
    assert_eq!(names, slugs.map(|s| format!("gmail-mcp-{s}")));
    let pages: Vec<_> = sandbox.request_log()[before..]
        .iter()
        .map(|r| r.query.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        pages,
        ["limit=2", "cursor=off-2&limit=2", "cursor=off-4&limit=2"]
    );
}

#[tokio::test]
async fn every_request_carries_auth_workspace_and_version() {
    let (sandbox, client) = sandbox().await;
    client
        .create_connection(&connection("acme", "1//t"))
        .await
        .unwrap();
    let log = sandbox.request_log();
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str(), log[0].status),
        ("POST", "/v0/integrations/connections", 200)
    );
    let body = log[0].body.as_ref().unwrap();
    assert_eq!(body["spec"]["secret"]["REFRESH_TOKEN"], "1//t");
    assert_eq!(log[0].workspace.as_deref(), Some("acme-ws"));
    assert_eq!(log[0].api_version.as_deref(), Some("2026-04-28"));
    // A 200 also means the bearer key matched: the sandbox answers 401 otherwise.
}
