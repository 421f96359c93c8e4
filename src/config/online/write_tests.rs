//! `blaxel.write` against a Blaxel that answers a create with 502: the connection shows up
//! later and is deleted, or never shows and the line says where to look; the check's
//! leftovers older than a minute are deleted first, nobody else's.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::*;

#[derive(Default)]
struct Fake {
    /// `GET /integrations/connections/{name}` answers 404 this many times, then 200.
    hidden_for: u32,
    gets: u32,
    deleted: Vec<String>,
    deletes_of_new: u32,
}

type Shared = Arc<Mutex<Fake>>;

fn conn(name: &str, labels: Value, created: &str) -> Value {
    json!({"metadata": {"name": name, "labels": labels, "createdAt": created}, "spec": {}})
}

async fn list() -> Json<Value> {
    let now = jiff::Timestamp::now().to_string();
    Json(json!([
        conn(
            "mcp-onboard-check-old",
            json!({CHECK_LABEL: "old"}),
            "2020-01-01T00:00:00Z"
        ),
        conn(
            "mcp-onboard-check-fresh",
            json!({CHECK_LABEL: "fresh"}),
            &now
        ),
        conn(
            "someone-elses",
            json!({"team": "x"}),
            "2020-01-01T00:00:00Z"
        ),
    ]))
}

async fn create() -> (StatusCode, Json<Value>) {
    (
        StatusCode::BAD_GATEWAY,
        Json(json!({"error": "Bad Gateway"})),
    )
}

async fn fetch(State(s): State<Shared>, Path(name): Path<String>) -> (StatusCode, Json<Value>) {
    let mut f = s.lock().unwrap();
    f.gets += 1;
    if f.gets <= f.hidden_for {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "not found"})));
    }
    (
        StatusCode::OK,
        Json(conn(&name, json!({}), "2026-01-01T00:00:00Z")),
    )
}

async fn delete(State(s): State<Shared>, Path(name): Path<String>) -> (StatusCode, Json<Value>) {
    let mut f = s.lock().unwrap();
    if name.starts_with("mcp-onboard-check-") && !name.ends_with("-old") {
        f.deletes_of_new += 1;
        if f.deletes_of_new == 1 {
            return (StatusCode::NOT_FOUND, Json(json!({"error": "not found"})));
        }
    }
    f.deleted.push(name.clone());
    (
        StatusCode::OK,
        Json(conn(&name, json!({}), "2026-01-01T00:00:00Z")),
    )
}

async fn blaxel(hidden_for: u32) -> (BlaxelClient, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Fake {
        hidden_for,
        ..Fake::default()
    }));
    let app = Router::new()
        .route("/v0/integrations/connections", post(create).get(list))
        .route(
            "/v0/integrations/connections/{name}",
            get(fetch).delete(delete),
        )
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let at = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let url = url::Url::parse(&format!("http://{at}/v0")).unwrap();
    let client = BlaxelClient::new(
        url,
        "ws".into(),
        SecretString::from("bl_key"),
        reqwest::Client::new(),
    );
    (client, shared)
}

#[tokio::test]
async fn a_create_that_shows_up_late_is_deleted_and_old_leftovers_go_first() {
    let (client, shared) = blaxel(1).await;
    let line = line(&client, true, Duration::from_millis(10)).await;
    let f = shared.lock().unwrap();
    assert_eq!(
        f.deleted.first().map(String::as_str),
        Some("mcp-onboard-check-old")
    );
    assert!(
        !f.deleted
            .iter()
            .any(|d| d == "mcp-onboard-check-fresh" || d == "someone-elses")
    );
    let ours = f.deleted.last().unwrap();
    assert!(ours.starts_with("mcp-onboard-check-") && ours != "mcp-onboard-check-old");
    assert_eq!(f.gets, 2, "asked until it appeared");
    assert_eq!(line.level, Level::Warn, "{line:?}");
    assert!(
        line.detail.contains("yet it was there and is deleted"),
        "{line:?}"
    );
    assert!(
        line.detail
            .contains("1 left over by earlier checks deleted"),
        "{line:?}"
    );
}

#[tokio::test]
async fn a_create_that_never_shows_may_exist_and_the_line_names_its_label() {
    let (client, shared) = blaxel(u32::MAX).await;
    let line = line(&client, true, Duration::from_millis(10)).await;
    assert_eq!(shared.lock().unwrap().gets, POLLS);
    assert_eq!(line.level, Level::Fail, "{line:?}");
    assert!(line.detail.contains("may exist"), "{line:?}");
    assert!(!line.detail.contains("did not create"), "{line:?}");
    assert!(line.fix.contains("labelled mcp-onboard-check="), "{line:?}");
}
