//! The MCP check (rmcp's client on our reqwest) against the Blaxel stand-in's MCP endpoint
//! (rmcp's streamable HTTP server): tools listed and time recorded, each fault told apart,
//! the https-or-loopback rule, no redirect followed, the concurrency limit, the key
//! redacted from errors and from the log.

mod support_log;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use mcp_onboard::blaxel::{
    BlaxelClient, ConnectionRequest, FunctionRequest, GoogleOAuthSecret, McpCheckError,
    McpCheckSettings, McpChecker, Status, mcp_url,
};
use mcp_onboard::sandbox::blaxel::{
    BlaxelSandboxConfig, BlaxelSandboxHandle, McpFaults, SANDBOX_MCP_VERSION, spawn,
};
use mcp_onboard::store::Fence;
use secrecy::SecretString;
use support_log::LogBuffer;

const KEY: &str = "bl_mcp_check_key_0123";
const WORKSPACE: &str = "acme-ws";

async fn sandbox() -> (BlaxelSandboxHandle, BlaxelClient) {
    let sandbox = spawn(BlaxelSandboxConfig {
        workspace: WORKSPACE.into(),
        api_key: SecretString::from(KEY),
        deploy_delay: Duration::ZERO,
        ..BlaxelSandboxConfig::default()
    })
    .await
    .unwrap();
    let client = BlaxelClient::new(
        sandbox.base_url(),
        WORKSPACE.into(),
        SecretString::from(KEY),
        reqwest::Client::new(),
    )
    .with_timeout(Duration::from_secs(5));
    (sandbox, client)
}

/// Deploys the tenant's server for `integration` and gives its MCP URL.
async fn deployed(client: &BlaxelClient, integration: &str, slug: &str) -> String {
    let secret = GoogleOAuthSecret {
        client_id: "cid.apps.googleusercontent.com".into(),
        client_secret: SecretString::from("GOCSPX-secret"),
        refresh_token: SecretString::from("1//refresh"),
    };
    let connection = ConnectionRequest::for_tenant(integration, slug, "Acme", &secret).unwrap();
    client.create_connection(&connection).await.unwrap();
    let function = FunctionRequest::for_tenant(integration, slug, "Acme").unwrap();
    let name = client
        .create_function(&function)
        .await
        .unwrap()
        .metadata
        .name;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let f = client.get_function(&name).await.unwrap();
        if f.status == Some(Status::Deployed) {
            return mcp_url(&f).unwrap();
        }
        assert!(Instant::now() < deadline, "{name} never deployed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn checker(key: &str, timeout: Duration, concurrency: usize) -> McpChecker {
    McpChecker::new(
        WORKSPACE,
        SecretString::from(key),
        McpCheckSettings {
            timeout,
            concurrency,
        },
    )
    .unwrap()
}

fn http_error(
    result: &Result<mcp_onboard::blaxel::McpServer, McpCheckError>,
) -> (u16, String, String) {
    match result {
        Err(McpCheckError::Http {
            status,
            code,
            message,
        }) => (
            *status,
            code.clone().unwrap_or_default(),
            message.clone().unwrap_or_default(),
        ),
        other => panic!("expected an HTTP error, got {other:?}"),
    }
}

#[tokio::test]
async fn lists_the_tools_of_each_integrations_server_and_records_the_time() {
    let (sandbox, client) = sandbox().await;
    let gmail = deployed(&client, "gmail", "acme").await;
    let drive = deployed(&client, "google-drive", "acme").await;
    let checker = checker(KEY, Duration::from_secs(10), 2);

    let check = checker.check(&gmail).await;
    let server = check.result.clone().unwrap();
    assert_eq!(server.tools, ["send_email"]);
    assert_eq!(
        (server.name.as_str(), server.version.as_str()),
        ("gmail", SANDBOX_MCP_VERSION)
    );
    assert!(!server.protocol_version.is_empty());
    assert!(
        check.elapsed > Duration::ZERO && check.elapsed < Duration::from_secs(10),
        "{check:?}"
    );
    assert!(check.is_usable());

    let drive = checker.check(&drive).await.result.unwrap();
    assert_eq!(
        drive.tools,
        ["list_files", "read_file", "create_file", "update_file"]
    );
    assert_eq!(drive.name, "google-drive");

    // initialize, the initialized notice, tools/list, the session's end; every call with
    // the key and the workspace; no standing event stream opened.
    let log: Vec<_> = sandbox
        .mcp_log()
        .into_iter()
        .filter(|r| r.function == "gmail-mcp-acme")
        .collect();
    let calls: Vec<(&str, Option<&str>)> = log
        .iter()
        .map(|r| (r.method.as_str(), r.rpc_method.as_deref()))
        .collect();
    assert_eq!(
        calls,
        [
            ("POST", Some("initialize")),
            ("POST", Some("notifications/initialized")),
            ("POST", Some("tools/list")),
            ("DELETE", None),
        ]
    );
    for r in sandbox.mcp_log() {
        assert!(r.key_presented, "{r:?}");
        assert_eq!(r.workspace.as_deref(), Some(WORKSPACE), "{r:?}");
        assert!(r.status < 300, "{r:?}");
    }
    // The server forgets a session when its DELETE is handled; wait for that, not longer.
    let deadline = Instant::now() + Duration::from_secs(5);
    while sandbox.state().mcp_sessions_open().await > 0 {
        assert!(Instant::now() < deadline, "sessions left open");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn each_fault_is_told_apart_with_blaxels_words() {
    let (sandbox, client) = sandbox().await;
    let url = deployed(&client, "gmail", "acme").await;
    let checker = checker(KEY, Duration::from_secs(5), 4);

    sandbox.set_mcp_faults(McpFaults {
        unreachable: true,
        ..McpFaults::default()
    });
    let (status, code, message) = http_error(&checker.check(&url).await.result);
    assert_eq!((status, code.as_str()), (404, "WORKLOAD_UNAVAILABLE"));
    assert!(
        message.contains("gmail-mcp-acme is not reachable"),
        "{message}"
    );

    sandbox.set_mcp_faults(McpFaults {
        server_error: true,
        ..McpFaults::default()
    });
    let (status, code, message) = http_error(&checker.check(&url).await.result);
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (500, "INTERNAL_ERROR", "injected MCP server error")
    );

    sandbox.set_mcp_faults(McpFaults {
        wrong_key: true,
        ..McpFaults::default()
    });
    let check = checker.check(&url).await;
    let (status, code, _) = http_error(&check.result);
    assert_eq!((status, code.as_str()), (401, "AUTHENTICATION_FAILED"));
    assert_eq!(
        check.result.unwrap_err().to_string(),
        "the MCP server answered HTTP 401 AUTHENTICATION_FAILED: Unauthorized - Invalid or missing authentication credentials"
    );

    sandbox.set_mcp_faults(McpFaults::default());
    let (status, ..) = http_error(
        &self::checker("bl_not_the_key", Duration::from_secs(5), 1)
            .check(&url)
            .await
            .result,
    );
    assert_eq!(status, 401, "a really wrong key");
    let elsewhere = McpChecker::new(
        "other-ws",
        SecretString::from(KEY),
        McpCheckSettings::default(),
    )
    .unwrap();
    let (status, code, _) = http_error(&elsewhere.check(&url).await.result);
    assert_eq!((status, code.as_str()), (404, "WORKSPACE_NOT_FOUND"));
    let (status, code, _) = http_error(
        &checker
            .check(&url.replace("gmail-mcp-acme", "gmail-mcp-nobody"))
            .await
            .result,
    );
    assert_eq!((status, code.as_str()), (404, "WORKLOAD_NOT_FOUND"));

    sandbox.set_mcp_faults(McpFaults {
        latency: Duration::from_secs(3),
        ..McpFaults::default()
    });
    let timeout = Duration::from_millis(300);
    let check = self::checker(KEY, timeout, 1).check(&url).await;
    assert_eq!(check.result, Err(McpCheckError::Timeout { after: timeout }));
    assert!(
        check.elapsed >= timeout && check.elapsed < Duration::from_secs(2),
        "{:?}",
        check.elapsed
    );
    sandbox.set_mcp_faults(McpFaults::default());
    assert!(checker.check(&url).await.is_usable(), "well again");
}

#[tokio::test]
async fn nothing_listening_is_a_transport_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let check = checker(KEY, Duration::from_secs(5), 1)
        .check(&format!("http://127.0.0.1:{port}/run/ws/functions/f/mcp"))
        .await;
    match &check.result {
        Err(McpCheckError::Transport { message }) => {
            assert!(message.to_lowercase().contains("refused"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

/// A listener on `ip` that answers every request with `answer` and keeps each request's
/// path and headers.
async fn responder(
    ip: &str,
    answer: impl Fn(&HeaderMap) -> axum::response::Response + Clone + Send + Sync + 'static,
) -> (SocketAddr, Arc<Mutex<Vec<(String, HeaderMap)>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri, headers: HeaderMap| {
        let answer = answer.clone();
        let kept = kept.clone();
        async move {
            kept.lock()
                .unwrap()
                .push((uri.path().to_owned(), headers.clone()));
            answer(&headers)
        }
    });
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, seen)
}

#[tokio::test]
async fn the_key_goes_over_https_or_loopback_only_and_never_through_a_redirect() {
    let checker = checker(KEY, Duration::from_secs(5), 1);
    for url in [
        "http://mcp.invalid/ws/functions/f/mcp",
        "https://user:pw@run.example/ws/functions/f/mcp",
        "ftp://run.example/mcp",
    ] {
        let check = checker.check(url).await;
        assert!(
            matches!(check.result, Err(McpCheckError::Refused { .. })),
            "{url}: {check:?}"
        );
        assert_eq!(check.elapsed, Duration::ZERO, "refused before any request");
    }

    let (same_host, same_seen) = responder("127.0.0.1", |_| StatusCode::OK.into_response()).await;
    let (other_host, other_seen) = responder("127.0.0.2", |_| StatusCode::OK.into_response()).await;
    for target in [
        format!("http://{same_host}/elsewhere/mcp"),
        format!("http://{other_host}/run/ws/functions/f/mcp"),
    ] {
        let to = target.clone();
        let (redirector, _) = responder("127.0.0.1", move |_| {
            (StatusCode::TEMPORARY_REDIRECT, [("location", to.clone())]).into_response()
        })
        .await;
        let check = checker
            .check(&format!("http://{redirector}/run/ws/functions/f/mcp"))
            .await;
        let (status, _, message) = http_error(&check.result);
        assert_eq!(status, 307);
        assert!(
            message.contains(&target) && message.contains("not followed"),
            "{message}"
        );
    }
    assert!(
        same_seen.lock().unwrap().is_empty(),
        "a redirect on the same host was followed"
    );
    assert!(
        other_seen.lock().unwrap().is_empty(),
        "a redirect to another host was followed"
    );
}

#[tokio::test]
async fn many_checks_at_once_never_exceed_the_limit() {
    let (sandbox, client) = sandbox().await;
    let url = deployed(&client, "gmail", "acme").await;
    sandbox.set_mcp_faults(McpFaults {
        latency: Duration::from_millis(60),
        ..McpFaults::default()
    });
    let checker = checker(KEY, Duration::from_secs(20), 3);
    let checks = futures_util::future::join_all((0..12).map(|_| checker.check(&url))).await;
    for check in &checks {
        assert!(check.is_usable(), "{check:?}");
        // Each check's time starts when it runs, not while it waits for its turn.
        assert!(
            check.elapsed < Duration::from_millis(60 * 4 * 3),
            "{:?}",
            check.elapsed
        );
    }
    assert_eq!(
        sandbox.state().max_mcp_in_flight(),
        3,
        "the limit, and reached"
    );
}

#[tokio::test]
async fn an_urgent_check_never_waits_behind_a_rounds_checks() {
    let (sandbox, client) = sandbox().await;
    let url = deployed(&client, "gmail", "acme").await;
    sandbox.set_mcp_faults(McpFaults {
        latency: Duration::from_millis(100),
        ..McpFaults::default()
    });
    let checker = checker(KEY, Duration::from_secs(20), 1);
    let start = Instant::now();
    let timed = |urgent: bool| {
        let (checker, url) = (checker.clone(), url.clone());
        async move {
            let check = checker.check_as(&url, urgent).await;
            assert!(check.is_usable(), "{check:?}");
            start.elapsed()
        }
    };
    // Two checks of a round, one place: the second waits for the first; the urgent one,
    // asked last, has a place of its own.
    let (_, second, urgent) = tokio::join!(timed(false), timed(false), timed(true));
    assert!(
        urgent < second,
        "urgent {urgent:?}, the round's second {second:?}"
    );
}

#[tokio::test]
async fn the_key_never_reaches_an_error_even_when_the_server_echoes_it() {
    let (addr, _) = responder("127.0.0.1", |headers| {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bare = auth.trim_start_matches("Bearer ").to_owned();
        let body = serde_json::json!({"error": {
            "code": format!("E_{bare}"),
            "message": format!("bad request; you sent {auth}, i.e. {bare}"),
        }});
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    })
    .await;
    // Everything logged while the check runs (rmcp's worker logs the transport's errors),
    // on this test's thread: the runtime is single-threaded, so rmcp's tasks log here too.
    let logged = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(logged.clone())
        .finish();
    let _log = tracing::subscriber::set_default(subscriber);
    let check = checker(KEY, Duration::from_secs(5), 1)
        .check(&format!("http://{addr}/run/ws/functions/f/mcp"))
        .await;
    let log = logged.text();
    assert!(
        log.contains("E_[redacted]"),
        "rmcp logged the failure: {log}"
    );
    assert!(!log.contains("mcp_check_key"), "{log}");
    let err = check.result.unwrap_err();
    let shown = format!("{err} {err:?} {}", serde_json::to_string(&err).unwrap());
    assert!(!shown.contains("mcp_check_key"), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
    assert!(
        matches!(err, McpCheckError::Http { status: 400, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn each_call_names_the_node_in_its_user_agent() {
    let (addr, seen) = responder("127.0.0.1", |_| {
        StatusCode::SERVICE_UNAVAILABLE.into_response()
    })
    .await;
    let check = checker(KEY, Duration::from_secs(5), 1)
        .with_fence(Fence::open("node-7"))
        .check(&format!("http://{addr}/mcp"))
        .await;
    assert!(!check.is_usable());
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty());
    for (_, headers) in seen.iter() {
        let agent = headers["user-agent"].to_str().unwrap();
        assert!(
            agent.starts_with("mcp-onboard/") && agent.ends_with("(node-7)"),
            "{agent}"
        );
    }
}

#[tokio::test]
async fn an_answer_past_the_bound_is_refused_not_buffered() {
    let (addr, _) = responder("127.0.0.1", |_| {
        let huge = format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{{\"pad\":\"{}\"}}}}",
            "x".repeat(2 << 20)
        );
        ([("content-type", "application/json")], huge).into_response()
    })
    .await;
    let check = checker(KEY, Duration::from_secs(10), 1)
        .check(&format!("http://{addr}/mcp"))
        .await;
    match check.result {
        Err(McpCheckError::Protocol { message }) => {
            assert!(message.contains("larger than"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_stand_in_answers_for_a_deployed_function_only_and_wants_the_workspace_header() {
    let (sandbox, client) = sandbox().await;
    let url = deployed(&client, "gmail", "acme").await;
    let raw = reqwest::Client::new()
        .post(&url)
        .bearer_auth(KEY)
        .header("accept", "application/json, text/event-stream")
        .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    assert_eq!(raw.headers()["x-blaxel-error-code"], "BAD_REQUEST");
    assert_eq!(raw.headers()["x-blaxel-source"], "platform");

    sandbox.set_deploy_delay(Duration::from_secs(60));
    let redeployed = FunctionRequest::for_tenant("gmail", "acme", "Acme").unwrap();
    client.update_function(&redeployed).await.unwrap();
    let check = checker(KEY, Duration::from_secs(5), 1).check(&url).await;
    let (status, code, message) = http_error(&check.result);
    assert_eq!((status, code.as_str()), (404, "WORKLOAD_UNAVAILABLE"));
    assert!(message.contains("DEPLOYING"), "{message}");
}
