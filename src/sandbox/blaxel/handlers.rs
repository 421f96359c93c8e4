//! The connection and function operations of the Blaxel sandbox on its in-memory store.
//!
//! Invariants: names are unique per kind; a function binds only existing connections; a
//! connection bound by a function (even one being deleted) cannot be deleted; answers go
//! through [`super::views`], so they never contain a secret value.

use std::time::{Instant, SystemTime};

use serde_json::{Map, Value};

use super::error::ApiError;
use super::state::{Inner, StoredConnection, StoredFunction};
use super::validate;
use super::views::{connection_view, function_view};

fn now_text() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

fn rejected(inner: &Inner, name: &str) -> Result<(), ApiError> {
    match inner.settings.faults.reject_names.get(name) {
        Some(message) => Err(ApiError::bad_request(message.clone())),
        None => Ok(()),
    }
}

fn checked_body(
    inner: &Inner,
    body: &[u8],
    is_function: bool,
) -> Result<(String, Map<String, Value>), ApiError> {
    let body = validate::object_body(body)?;
    let name = validate::metadata(&body)?;
    rejected(inner, &name)?;
    if is_function {
        let bound = validate::function_spec(&body)?;
        if let Some(missing) = bound.iter().find(|c| !inner.connections.contains_key(*c)) {
            return Err(ApiError::bad_request(format!(
                "integration connection \"{missing}\" does not exist"
            )));
        }
    } else {
        validate::connection_spec(&body)?;
    }
    Ok((name, body))
}

fn same_name(path_name: &str, body_name: &str) -> Result<(), ApiError> {
    if path_name == body_name {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "metadata.name \"{body_name}\" does not match \"{path_name}\" in the path; names cannot be changed"
        )))
    }
}

pub fn list_connections(inner: &Inner) -> Value {
    Value::Array(
        inner
            .connections
            .values()
            .map(|c| connection_view(inner, c))
            .collect(),
    )
}

pub fn create_connection(inner: &mut Inner, body: &[u8]) -> Result<Value, ApiError> {
    let (name, body) = checked_body(inner, body, false)?;
    if inner.connections.contains_key(&name) {
        return Err(ApiError::conflict(format!(
            "Integration connection {name} already exists"
        )));
    }
    let now = now_text();
    let stored = StoredConnection {
        body: Value::Object(body),
        created_at: now.clone(),
        updated_at: now,
    };
    let view = connection_view(inner, &stored);
    inner.connections.insert(name, stored);
    Ok(view)
}

pub fn get_connection(inner: &Inner, name: &str) -> Result<Value, ApiError> {
    inner
        .connections
        .get(name)
        .map(|c| connection_view(inner, c))
        .ok_or_else(|| ApiError::not_found(format!("Integration connection {name} not found")))
}

pub fn update_connection(inner: &mut Inner, name: &str, body: &[u8]) -> Result<Value, ApiError> {
    if !inner.connections.contains_key(name) {
        return Err(ApiError::not_found(format!(
            "Integration connection {name} not found"
        )));
    }
    let (body_name, body) = checked_body(inner, body, false)?;
    same_name(name, &body_name)?;
    let created_at = inner
        .connections
        .get(name)
        .map(|c| c.created_at.clone())
        .unwrap_or_default();
    let stored = StoredConnection {
        body: Value::Object(body),
        created_at,
        updated_at: now_text(),
    };
    let view = connection_view(inner, &stored);
    inner.connections.insert(name.to_owned(), stored);
    Ok(view)
}

pub fn delete_connection(inner: &mut Inner, name: &str) -> Result<Value, ApiError> {
    let users: Vec<&str> = inner
        .functions
        .iter()
        .filter(|(_, f)| {
            f.body
                .pointer("/spec/integrationConnections")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|c| c.as_str() == Some(name)))
        })
        .map(|(n, _)| n.as_str())
        .collect();
    if !inner.connections.contains_key(name) {
        return Err(ApiError::not_found(format!(
            "Integration connection {name} not found"
        )));
    }
    if !users.is_empty() {
        return Err(ApiError::conflict(format!(
            "Integration connection {name} is in use by functions: {}",
            users.join(", ")
        )));
    }
    let stored = inner.connections.remove(name);
    Ok(stored
        .map(|c| connection_view(inner, &c))
        .unwrap_or(Value::Null))
}

pub fn create_function(inner: &mut Inner, body: &[u8]) -> Result<Value, ApiError> {
    let (name, body) = checked_body(inner, body, true)?;
    if inner.functions.contains_key(&name) {
        return Err(ApiError::conflict(format!(
            "Function {name} already exists"
        )));
    }
    let now = Instant::now();
    let stamp = now_text();
    inner.next_seq += 1;
    let stored = StoredFunction {
        body: Value::Object(body),
        created_at: stamp.clone(),
        updated_at: stamp,
        seq: inner.next_seq,
        ready_at: now + inner.settings.deploy_delay,
        deleted_at: None,
        deployments: 1,
    };
    let view = function_view(inner, &name, &stored, now);
    inner.functions.insert(name, stored);
    Ok(view)
}

fn live_function<'a>(inner: &'a Inner, name: &str) -> Result<&'a StoredFunction, ApiError> {
    inner
        .functions
        .get(name)
        .ok_or_else(|| ApiError::not_found(format!("Function {name} not found")))
}

pub fn get_function(inner: &Inner, name: &str) -> Result<Value, ApiError> {
    let stored = live_function(inner, name)?;
    Ok(function_view(inner, name, stored, Instant::now()))
}

pub fn update_function(inner: &mut Inner, name: &str, body: &[u8]) -> Result<Value, ApiError> {
    let existing = live_function(inner, name)?;
    if existing.deleted_at.is_some() {
        return Err(ApiError::conflict(format!(
            "Function {name} is being deleted"
        )));
    }
    let (created_at, seq, deployments) = (
        existing.created_at.clone(),
        existing.seq,
        existing.deployments,
    );
    let (body_name, body) = checked_body(inner, body, true)?;
    same_name(name, &body_name)?;
    let now = Instant::now();
    let stored = StoredFunction {
        body: Value::Object(body),
        created_at,
        updated_at: now_text(),
        seq,
        ready_at: now + inner.settings.deploy_delay,
        deleted_at: None,
        deployments: deployments + 1,
    };
    let view = function_view(inner, name, &stored, now);
    inner.functions.insert(name.to_owned(), stored);
    Ok(view)
}

pub fn delete_function(inner: &mut Inner, name: &str) -> Result<Value, ApiError> {
    let now = Instant::now();
    live_function(inner, name)?;
    if let Some(stored) = inner.functions.get_mut(name) {
        stored.deleted_at.get_or_insert(now);
    }
    let view = live_function(inner, name).map(|f| function_view(inner, name, f, now))?;
    inner.purge(now);
    Ok(view)
}
