//! The Blaxel client against hand-written answers the sandbox never gives: unknown status
//! values, `code` as a string or a number, non-JSON error bodies, a bare-array function
//! list, HTTP-date `Retry-After`, and a success body that does not parse.

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use mcp_onboard::blaxel::{BlaxelClient, BlaxelError, Status};
use secrecy::SecretString;
use url::Url;

async fn serve(app: Router) -> BlaxelClient {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let base = Url::parse(&format!("http://{addr}/v0")).unwrap();
    BlaxelClient::new(
        base,
        "ws".into(),
        SecretString::from("k"),
        reqwest::Client::new(),
    )
}

fn json(status: StatusCode, body: &'static str) -> impl IntoResponse {
    (status, [("content-type", "application/json")], body)
}

#[tokio::test]
async fn unknown_status_values_are_kept() {
    let app = Router::new().route(
        "/v0/functions/{name}",
        get(|| async {
            json(StatusCode::OK, r#"{"metadata":{"name":"f","url":"https://mcp-f-ws.eu.bl.run/"},"spec":{},"status":"HIBERNATING","revisionCount":3}"#)
        }),
    );
    let f = serve(app).await.get_function("f").await.unwrap();
    assert_eq!(f.status, Some(Status::Other("HIBERNATING".into())));
    assert!(!f.status.unwrap().is_terminal_failure());
    assert_eq!(f.extra["revisionCount"], 3);
    assert_eq!(
        f.metadata.url.as_deref(),
        Some("https://mcp-f-ws.eu.bl.run/")
    );
}

#[tokio::test]
async fn error_code_may_be_a_string_or_a_number() {
    let app = Router::new()
        .route("/v0/functions/{name}", get(|| async { json(StatusCode::FORBIDDEN, r#"{"error":"FORBIDDEN","message":"Insufficient permissions to view this function","code":"PERMISSION_DENIED"}"#) }))
        .route("/v0/integrations/connections/{name}", get(|| async { json(StatusCode::CONFLICT, r#"{"error":"Integration connection is in use","code":409}"#) }));
    let client = serve(app).await;
    let forbidden = client.get_function("f").await.unwrap_err();
    assert!(
        matches!(&forbidden, BlaxelError::Api { status: 403, code: Some(c), .. } if c == "PERMISSION_DENIED")
    );
    assert_eq!(
        forbidden.to_string(),
        "Blaxel rejected the request (403 FORBIDDEN): Insufficient permissions to view this function"
    );
    let conflict = client.get_connection("c").await.unwrap_err();
    assert!(
        matches!(&conflict, BlaxelError::Api { code: Some(c), message: None, .. } if c == "409")
    );
    assert!(conflict.is_conflict());
}

#[tokio::test]
async fn a_non_json_error_body_is_kept_as_text() {
    let app = Router::new().route(
        "/v0/integrations/connections",
        get(|| async {
            (
                StatusCode::BAD_GATEWAY,
                "upstream connect error or disconnect/reset before headers",
            )
        }),
    );
    let err = serve(app).await.list_connections().await.unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(
        err.to_string(),
        "Blaxel failed to handle the request (502 Bad Gateway): upstream connect error or disconnect/reset before headers"
    );
}

#[tokio::test]
async fn a_bare_array_function_list_is_accepted() {
    let app = Router::new().route(
        "/v0/functions",
        get(|| async {
            json(
                StatusCode::OK,
                r#"[{"metadata":{"name":"a"}},{"metadata":{"name":"b"},"status":"DEPLOYED"}]"#,
            )
        }),
    );
    let all = serve(app).await.list_functions().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].status, Some(Status::Deployed));
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_parsed() {
    let app = Router::new().route(
        "/v0/functions",
        get(|| async {
            let at =
                httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(120));
            let mut headers = HeaderMap::new();
            headers.insert("retry-after", at.parse().unwrap());
            (StatusCode::SERVICE_UNAVAILABLE, headers, "")
        }),
    );
    let err = serve(app).await.list_functions().await.unwrap_err();
    let wait = err.retry_after().unwrap();
    assert!(
        wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
        "{wait:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_success_body_that_does_not_parse_is_a_decode_error() {
    let app = Router::new().route(
        "/v0/functions/{name}",
        get(|| async { json(StatusCode::OK, r#"{"metadata":{"displayName":"no name"}}"#) }),
    );
    let err = serve(app).await.get_function("f").await.unwrap_err();
    assert!(
        matches!(err, BlaxelError::Decode { status: 200, .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_refused_connection_is_a_retryable_transport_error() {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let base = Url::parse(&format!("http://{addr}/v0")).unwrap();
    let client = BlaxelClient::new(
        base,
        "ws".into(),
        SecretString::from("k"),
        reqwest::Client::new(),
    );
    let err = client.list_connections().await.unwrap_err();
    assert!(
        matches!(err, BlaxelError::Transport { timeout: false, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());
}
