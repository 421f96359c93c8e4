//! Stored objects as the API shows them: secrets masked as [`SECRET_MASK`], the server's
//! metadata added, and a function's status and deployment event computed for now.

use std::time::Instant;

use serde_json::{Value, json};

use super::settings::SECRET_MASK;
use super::state::{Inner, StoredConnection, StoredFunction};
use crate::blaxel::Status;

pub(super) fn connection_view(inner: &Inner, stored: &StoredConnection) -> Value {
    let mut body = stored.body.clone();
    if let Some(secret) = body
        .pointer_mut("/spec/secret")
        .and_then(Value::as_object_mut)
    {
        for value in secret.values_mut() {
            *value = json!(SECRET_MASK);
        }
    }
    add_server_metadata(
        &mut body,
        inner,
        &stored.created_at,
        &stored.updated_at,
        None,
    );
    body
}

pub(super) fn function_view(
    inner: &Inner,
    name: &str,
    stored: &StoredFunction,
    now: Instant,
) -> Value {
    let mut body = stored.body.clone();
    let url = inner.function_url(name);
    add_server_metadata(
        &mut body,
        inner,
        &stored.created_at,
        &stored.updated_at,
        Some(url),
    );
    if let Some(spec) = body.get_mut("spec").and_then(Value::as_object_mut) {
        spec.entry("enabled").or_insert(json!(true));
    }
    let status = inner.status_of(name, stored, now);
    let message = match status {
        Status::Deployed => "Deployment successful",
        Status::Failed => "Deployment failed: the MCP server did not start",
        Status::Deleting => "Deletion in progress",
        _ => "Deployment in progress",
    };
    if let Some(object) = body.as_object_mut() {
        object.insert("status".into(), json!(status.as_str()));
        object.insert(
            "events".into(),
            json!([{"type": "deployment", "status": status.as_str(), "message": message,
                    "revision": format!("rev-{}", stored.deployments), "time": stored.updated_at}]),
        );
    }
    body
}

fn add_server_metadata(
    body: &mut Value,
    inner: &Inner,
    created: &str,
    updated: &str,
    url: Option<String>,
) {
    if let Some(metadata) = body.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.insert("workspace".into(), json!(inner.settings.workspace));
        metadata.insert("createdAt".into(), json!(created));
        metadata.insert("updatedAt".into(), json!(updated));
        metadata.insert("createdBy".into(), json!("sandbox"));
        metadata.insert("updatedBy".into(), json!("sandbox"));
        if let Some(url) = url {
            metadata.insert("url".into(), json!(url));
        }
    }
}
