//! The Blaxel sandbox over raw HTTP: what it checks (auth, workspace, version, names,
//! required fields, bindings), asynchronous deletion, listing filters, mounting its router
//! elsewhere, and graceful shutdown.

use std::time::Duration;

use mcp_onboard::sandbox::blaxel::{
    BlaxelSandboxConfig, BlaxelSandboxHandle, BlaxelSandboxState, SECRET_MASK, router, spawn,
};
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};

const KEY: &str = "bl_raw";

async fn sandbox(delete_delay: Duration) -> BlaxelSandboxHandle {
    spawn(BlaxelSandboxConfig {
        workspace: "ws".into(),
        api_key: SecretString::from(KEY),
        deploy_delay: Duration::ZERO,
        delete_delay,
        ..BlaxelSandboxConfig::default()
    })
    .await
    .unwrap()
}

/// Sends a request with the right key, workspace and version unless `headers` overrides.
async fn call(
    sb: &BlaxelSandboxHandle,
    method: Method,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().request(method, format!("{}/{path}", sb.base_url()));
    let defaults = [
        ("authorization", "Bearer bl_raw"),
        ("x-blaxel-workspace", "ws"),
        ("blaxel-version", "2026-04-28"),
    ];
    for (name, value) in defaults {
        if !headers.iter().any(|(n, _)| *n == name) {
            request = request.header(name, value);
        }
    }
    for (name, value) in headers.iter().filter(|(_, v)| !v.is_empty()) {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn connection(name: &str) -> Value {
    json!({"metadata": {"name": name}, "spec": {"integration": "gmail",
           "secret": {"CLIENT_ID": "id", "CLIENT_SECRET": "cs", "REFRESH_TOKEN": "rt"}}})
}

fn function(name: &str, conn: &str) -> Value {
    json!({"metadata": {"name": name}, "spec": {"integrationConnections": [conn], "runtime": {"type": "mcp"}}})
}

#[tokio::test]
async fn auth_workspace_and_version_are_checked() {
    let sb = sandbox(Duration::ZERO).await;
    let path = "integrations/connections";
    assert_eq!(
        call(&sb, Method::GET, path, None, &[("authorization", "")])
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(
            &sb,
            Method::GET,
            path,
            None,
            &[("authorization", "Bearer nope")]
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
    let alt = [
        ("authorization", ""),
        ("x-blaxel-authorization", "Bearer bl_raw"),
    ];
    assert_eq!(
        call(&sb, Method::GET, path, None, &alt).await.0,
        StatusCode::OK
    );
    let (status, body) = call(&sb, Method::GET, path, None, &[("x-blaxel-workspace", "")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("X-Blaxel-Workspace"),
        "{body}"
    );
    let query = call(
        &sb,
        Method::GET,
        "integrations/connections?workspace=ws",
        None,
        &[("x-blaxel-workspace", "")],
    )
    .await;
    assert_eq!(query.0, StatusCode::OK);
    assert_eq!(
        call(
            &sb,
            Method::GET,
            path,
            None,
            &[("x-blaxel-workspace", "other")]
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = call(
        &sb,
        Method::GET,
        path,
        None,
        &[("blaxel-version", "2026-99-99")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_api_version"))
    );
    assert_eq!(
        call(&sb, Method::GET, "nothing/here", None, &[]).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn bodies_and_names_are_validated() {
    let sb = sandbox(Duration::ZERO).await;
    let post = |body: Value| {
        call(
            &sb,
            Method::POST,
            "integrations/connections",
            Some(body),
            &[],
        )
    };
    let cases = [
        (
            json!({"spec": {"integration": "gmail"}}),
            "metadata is required",
        ),
        (
            json!({"metadata": {}, "spec": {}}),
            "metadata.name is required",
        ),
        (connection("Gmail_Acme"), "invalid name"),
        (connection(&"a".repeat(50)), "max 49"),
        (connection("gmail-acme-"), "invalid name"),
        (json!({"metadata": {"name": "c"}}), "spec is required"),
        (
            json!({"metadata": {"name": "c"}, "spec": {"integration": "gmail", "secret": {"CLIENT_ID": "i"}}}),
            "CLIENT_SECRET",
        ),
        (
            json!({"metadata": {"name": "c", "displayName": "x".repeat(64)}, "spec": {"integration": "x"}}),
            "displayName",
        ),
        (json!([1]), "JSON object"),
    ];
    for (body, needle) in cases {
        let (status, answer) = post(body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(needle),
            "{needle:?} not in {answer} for {body}"
        );
        assert_eq!(answer["code"], 400);
    }
    assert!(sb.connections().is_empty());

    assert_eq!(post(connection("gmail-acme")).await.0, StatusCode::OK);
    let (status, body) = call(
        &sb,
        Method::POST,
        "functions",
        Some(function("f", "missing")),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("\"missing\" does not exist"),
        "{body}"
    );
    let mut masked = connection("gmail-acme");
    masked["spec"]["secret"]["REFRESH_TOKEN"] = json!(SECRET_MASK);
    let (status, _) = call(
        &sb,
        Method::PUT,
        "integrations/connections/gmail-acme",
        Some(masked),
        &[],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "writing the mask back is refused"
    );
    let (status, _) = call(
        &sb,
        Method::PUT,
        "integrations/connections/gmail-acme",
        Some(connection("renamed")),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "names are immutable");
    assert_eq!(sb.connections()[0].secret["REFRESH_TOKEN"], "rt");
}

#[tokio::test]
async fn secrets_are_masked_in_every_answer() {
    let sb = sandbox(Duration::ZERO).await;
    let (_, created) = call(
        &sb,
        Method::POST,
        "integrations/connections",
        Some(connection("c1")),
        &[],
    )
    .await;
    let (_, got) = call(&sb, Method::GET, "integrations/connections/c1", None, &[]).await;
    let (_, listed) = call(&sb, Method::GET, "integrations/connections", None, &[]).await;
    for answer in [&created, &got, &listed[0]] {
        assert_eq!(
            answer["spec"]["secret"]["REFRESH_TOKEN"], SECRET_MASK,
            "{answer}"
        );
        assert!(!answer.to_string().contains("\"rt\""), "{answer}");
    }
    assert!(format!("{:?}", sb.connections()).contains("REFRESH_TOKEN"));
    assert!(
        !format!("{:?}", sb.connections()).contains("\"rt\""),
        "Debug hides secret values"
    );
}

#[tokio::test]
async fn deletion_takes_time_and_keeps_the_connection_in_use() {
    let sb = sandbox(Duration::from_millis(300)).await;
    call(
        &sb,
        Method::POST,
        "integrations/connections",
        Some(connection("c1")),
        &[],
    )
    .await;
    call(
        &sb,
        Method::POST,
        "functions",
        Some(function("f1", "c1")),
        &[],
    )
    .await;
    let (status, deleted) = call(&sb, Method::DELETE, "functions/f1", None, &[]).await;
    assert_eq!(
        (status, deleted["status"].as_str()),
        (StatusCode::OK, Some("DELETING"))
    );
    assert_eq!(
        call(&sb, Method::GET, "functions/f1", None, &[]).await.1["status"],
        "DELETING"
    );
    assert_eq!(
        call(
            &sb,
            Method::DELETE,
            "integrations/connections/c1",
            None,
            &[]
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        call(
            &sb,
            Method::POST,
            "functions",
            Some(function("f1", "c1")),
            &[]
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    let mut gone = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if call(&sb, Method::GET, "functions/f1", None, &[]).await.0 == StatusCode::NOT_FOUND {
            gone = true;
            break;
        }
    }
    assert!(gone, "the function was never removed");
    assert_eq!(
        call(
            &sb,
            Method::DELETE,
            "integrations/connections/c1",
            None,
            &[]
        )
        .await
        .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn function_listing_shapes_and_filters() {
    let sb = sandbox(Duration::ZERO).await;
    call(
        &sb,
        Method::POST,
        "integrations/connections",
        Some(connection("c1")),
        &[],
    )
    .await;
    for name in ["gmail-mcp-acme", "gmail-mcp-beta", "drive-mcp-acme"] {
        let mut body = function(name, "c1");
        body["metadata"]["labels"] = json!({"tenant": name.rsplit('-').next().unwrap()});
        call(&sb, Method::POST, "functions", Some(body), &[]).await;
    }
    let (_, bare) = call(
        &sb,
        Method::GET,
        "functions",
        None,
        &[("blaxel-version", "")],
    )
    .await;
    assert_eq!(
        bare.as_array().map(Vec::len),
        Some(3),
        "no version header: a bare array"
    );
    let (_, acme) = call(
        &sb,
        Method::GET,
        "functions?q=ACME&sort=name:asc",
        None,
        &[],
    )
    .await;
    let names: Vec<&str> = acme["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["drive-mcp-acme", "gmail-mcp-acme"]);
    assert_eq!(acme["meta"]["total"], 3);
    let (_, deployed) = call(&sb, Method::GET, "functions?status=deployed", None, &[]).await;
    assert_eq!(deployed["data"].as_array().map(Vec::len), Some(3));
    for bad in [
        "functions?status=SLEEPING",
        "functions?limit=0",
        "functions?cursor=bogus",
        "functions?sort=size:asc",
    ] {
        assert_eq!(
            call(&sb, Method::GET, bad, None, &[]).await.0,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn the_router_can_be_mounted_elsewhere() {
    let state = BlaxelSandboxState::new(BlaxelSandboxConfig {
        api_key: SecretString::from(KEY),
        ..BlaxelSandboxConfig::default()
    });
    let app = axum::Router::new().nest("/blaxel", router(state.clone()));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/blaxel/v0/integrations/connections"))
        .bearer_auth(KEY)
        .header("x-blaxel-workspace", "demo")
        .json(&connection("c1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(state.connections()[0].name, "c1");
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let sb = sandbox(Duration::ZERO).await;
    let base = sb.base_url();
    assert_eq!(
        call(&sb, Method::GET, "functions", None, &[]).await.0,
        StatusCode::OK
    );
    assert_eq!(sb.request_log()[0].status, 200);
    sb.shutdown().await.unwrap();
    let after = reqwest::Client::new()
        .get(format!("{base}/functions"))
        .send()
        .await;
    assert!(after.is_err(), "still answering after shutdown");
}
