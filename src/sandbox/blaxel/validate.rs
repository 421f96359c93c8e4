//! Body checks of the Blaxel sandbox, mirroring the spec's `IntegrationConnection` and
//! `Function` schemas plus the rules the spec states only in prose (name format and length,
//! display name length).
//!
//! Invariant: a body that passes here has `metadata.name` valid and every typed field of
//! the right type, so the stores can read it without further checks.

use axum::http::HeaderMap;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::settings::SECRET_MASK;
use crate::blaxel::names::{MAX_DISPLAY_NAME_LEN, MAX_NAME_LEN, is_valid_resource_name};

/// Secret keys a Google OAuth integration needs (documented multi-tenant flow).
const GOOGLE_SECRET_KEYS: [&str; 3] = ["CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN"];
/// The integrations it knows (and offers, see [`super::catalog`]).
pub const GOOGLE_INTEGRATIONS: [&str; 2] = ["gmail", "google-drive"];

/// Parses a JSON object body.
pub fn object_body(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request("request body must be a JSON object")),
        Err(e) => Err(ApiError::bad_request(format!("invalid JSON body: {e}"))),
    }
}

/// Checks `metadata` and returns `metadata.name`.
pub fn metadata(body: &Map<String, Value>) -> Result<String, ApiError> {
    let metadata = required_object(body, "metadata")?;
    let name = match metadata.get("name") {
        Some(Value::String(name)) => name,
        Some(_) => return Err(ApiError::bad_request("metadata.name must be a string")),
        None => return Err(ApiError::bad_request("metadata.name is required")),
    };
    if !is_valid_resource_name(name) {
        return Err(ApiError::bad_request(format!(
            "invalid name \"{name}\": must be lowercase alphanumeric with hyphens, not start or end with a hyphen, max {MAX_NAME_LEN} characters"
        )));
    }
    if let Some(display) = optional_string(metadata, "metadata.displayName", "displayName")?
        && display.chars().count() > MAX_DISPLAY_NAME_LEN
    {
        return Err(ApiError::bad_request(format!(
            "metadata.displayName is longer than {MAX_DISPLAY_NAME_LEN} characters"
        )));
    }
    string_map(metadata, "metadata.labels", "labels")?;
    if let Some(id) = optional_string(metadata, "metadata.externalId", "externalId")?
        && (id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        return Err(ApiError::bad_request(
            "metadata.externalId must be at most 64 alphanumerics or dashes",
        ));
    }
    Ok(name.clone())
}

/// Checks an `IntegrationConnection` body (after [`metadata`]).
pub fn connection_spec(body: &Map<String, Value>) -> Result<(), ApiError> {
    let spec = required_object(body, "spec")?;
    let integration = optional_string(spec, "spec.integration", "integration")?
        .filter(|i| !i.is_empty())
        .ok_or_else(|| ApiError::bad_request("spec.integration is required"))?;
    let secret = string_map(spec, "spec.secret", "secret")?;
    string_map(spec, "spec.config", "config")?;
    optional_bool(spec, "spec.sandbox", "sandbox")?;
    if let Some((key, _)) = secret.iter().find(|(_, v)| v.as_str() == Some(SECRET_MASK)) {
        return Err(ApiError::bad_request(format!(
            "spec.secret.{key} holds the masked value; send the real secret"
        )));
    }
    if GOOGLE_INTEGRATIONS.contains(&integration) {
        for key in GOOGLE_SECRET_KEYS {
            let present = secret
                .get(key)
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty());
            if !present {
                return Err(ApiError::bad_request(format!(
                    "integration {integration} requires spec.secret.{key}"
                )));
            }
        }
    }
    Ok(())
}

/// Checks a `Function` body (after [`metadata`]) and returns the bound connection names.
pub fn function_spec(body: &Map<String, Value>) -> Result<Vec<String>, ApiError> {
    let spec = required_object(body, "spec")?;
    optional_bool(spec, "spec.enabled", "enabled")?;
    optional_bool(spec, "spec.public", "public")?;
    optional_string(spec, "spec.region", "region")?;
    string_list(spec, "spec.policies", "policies")?;
    if spec.get("triggers").is_some_and(|t| !t.is_array()) {
        return Err(ApiError::bad_request("spec.triggers must be an array"));
    }
    if let Some(runtime) = spec.get("runtime") {
        let runtime = runtime
            .as_object()
            .ok_or_else(|| ApiError::bad_request("spec.runtime must be an object"))?;
        optional_string(runtime, "spec.runtime.type", "type")?;
        optional_string(runtime, "spec.runtime.image", "image")?;
        one_of(
            runtime,
            "spec.runtime.generation",
            "generation",
            &["mk2", "mk3"],
        )?;
        one_of(
            runtime,
            "spec.runtime.transport",
            "transport",
            &["websocket", "http-stream"],
        )?;
        for key in ["memory", "minScale", "maxScale"] {
            if runtime.get(key).is_some_and(|v| !v.is_i64()) {
                return Err(ApiError::bad_request(format!(
                    "spec.runtime.{key} must be an integer"
                )));
            }
        }
        for key in ["envs", "ports"] {
            if runtime.get(key).is_some_and(|v| !v.is_array()) {
                return Err(ApiError::bad_request(format!(
                    "spec.runtime.{key} must be an array"
                )));
            }
        }
    }
    string_list(
        spec,
        "spec.integrationConnections",
        "integrationConnections",
    )
}

fn required_object<'a>(
    map: &'a Map<String, Value>,
    key: &str,
) -> Result<&'a Map<String, Value>, ApiError> {
    match map.get(key) {
        Some(Value::Object(inner)) => Ok(inner),
        Some(_) => Err(ApiError::bad_request(format!("{key} must be an object"))),
        None => Err(ApiError::bad_request(format!("{key} is required"))),
    }
}

fn optional_string<'a>(
    map: &'a Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<Option<&'a str>, ApiError> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::bad_request(format!("{path} must be a string"))),
    }
}

fn optional_bool(map: &Map<String, Value>, path: &str, key: &str) -> Result<(), ApiError> {
    match map.get(key) {
        None | Some(Value::Bool(_)) => Ok(()),
        Some(_) => Err(ApiError::bad_request(format!("{path} must be a boolean"))),
    }
}

fn one_of(
    map: &Map<String, Value>,
    path: &str,
    key: &str,
    allowed: &[&str],
) -> Result<(), ApiError> {
    match optional_string(map, path, key)? {
        Some(value) if !allowed.contains(&value) => Err(ApiError::bad_request(format!(
            "{path} must be one of {}",
            allowed.join(", ")
        ))),
        _ => Ok(()),
    }
}

fn string_map(
    map: &Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<Map<String, Value>, ApiError> {
    match map.get(key) {
        None => Ok(Map::new()),
        Some(Value::Object(inner)) if inner.values().all(Value::is_string) => Ok(inner.clone()),
        Some(_) => Err(ApiError::bad_request(format!(
            "{path} must be an object of string values"
        ))),
    }
}

fn string_list(map: &Map<String, Value>, path: &str, key: &str) -> Result<Vec<String>, ApiError> {
    match map.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str().map(str::to_owned).ok_or_else(|| {
                    ApiError::bad_request(format!("{path} must be an array of strings"))
                })
            })
            .collect(),
        Some(_) => Err(ApiError::bad_request(format!(
            "{path} must be an array of strings"
        ))),
    }
}

/// Whether `key` came as a bearer token, in `Authorization` or `X-Blaxel-Authorization`.
pub(super) fn key_presented(headers: &HeaderMap, key: &str) -> bool {
    ["authorization", "x-blaxel-authorization"]
        .iter()
        .filter_map(|name| headers.get(*name)?.to_str().ok())
        .filter_map(|value| value.strip_prefix("Bearer "))
        .any(|token| token.trim() == key)
}
