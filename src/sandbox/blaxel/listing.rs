//! `GET /functions` of the Blaxel sandbox: cursor pagination, sort, `q` and `status`
//! filters, as the spec describes them for API version 2026-04-28.
//!
//! Invariant: the cursor is opaque to clients (`off-N`) and `meta.total` counts every
//! function of the workspace, ignoring filters, as the spec says.

use std::time::Instant;

use serde_json::{Value, json};

use super::error::ApiError;
use super::state::{Inner, StoredFunction};
use super::views::function_view;
use crate::blaxel::Status;

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 200;
const SORTS: [&str; 4] = ["createdAt:desc", "createdAt:asc", "name:asc", "name:desc"];

/// `GET /functions`: `{data, meta}` pages under API version 2026-04-28, else a bare array.
pub fn list_functions(
    inner: &Inner,
    query: &[(String, String)],
    paginated: bool,
) -> Result<Value, ApiError> {
    let param = |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let now = Instant::now();
    let mut items: Vec<(&String, &StoredFunction)> = inner.functions.iter().collect();
    if !paginated {
        let all = items
            .iter()
            .map(|(n, f)| function_view(inner, n, f, now))
            .collect();
        return Ok(Value::Array(all));
    }
    let total = items.len();
    let sort = param("sort").unwrap_or("createdAt:desc");
    match sort {
        "createdAt:desc" => items.sort_by_key(|(_, f)| std::cmp::Reverse(f.seq)),
        "createdAt:asc" => items.sort_by_key(|(_, f)| f.seq),
        "name:desc" => items.reverse(),
        "name:asc" => {}
        _ => {
            return Err(ApiError::bad_request(format!(
                "invalid sort \"{sort}\": use one of {}",
                SORTS.join(", ")
            )));
        }
    }
    if let Some(q) = param("q")
        .map(|q| q.trim().to_lowercase())
        .filter(|q| q.chars().count() >= 2)
    {
        items.retain(|(name, f)| {
            name.contains(&q) || f.body.get("metadata").is_some_and(|m| matches_query(m, &q))
        });
    }
    if let Some(statuses) = param("status") {
        let wanted: Vec<Status> = statuses
            .split(',')
            .map(|s| Status::parse(&s.trim().to_uppercase()))
            .collect();
        if let Some(Status::Other(bad)) = wanted.iter().find(|s| matches!(s, Status::Other(_))) {
            return Err(ApiError::bad_request(format!("unknown status \"{bad}\"")));
        }
        items.retain(|(name, f)| wanted.contains(&inner.status_of(name, f, now)));
    }
    let limit = match param("limit") {
        None => DEFAULT_LIMIT,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if n >= 1 => n.min(MAX_LIMIT),
            _ => {
                return Err(ApiError::bad_request(format!(
                    "invalid limit \"{text}\": use 1 to {MAX_LIMIT}"
                )));
            }
        },
    };
    let offset = match param("cursor").filter(|c| !c.is_empty()) {
        None => 0,
        Some(cursor) => cursor
            .strip_prefix("off-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| ApiError::bad_request(format!("invalid cursor \"{cursor}\"")))?,
    };
    let end = (offset + limit).min(items.len());
    let data: Vec<Value> = items[offset..end]
        .iter()
        .map(|(n, f)| function_view(inner, n, f, now))
        .collect();
    let has_more = end < items.len();
    let next_cursor = if has_more {
        format!("off-{end}")
    } else {
        String::new()
    };
    Ok(
        json!({"data": data, "meta": {"hasMore": has_more, "nextCursor": next_cursor, "total": total}}),
    )
}

fn matches_query(metadata: &Value, q: &str) -> bool {
    let display = metadata
        .get("displayName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let labels = metadata.get("labels").and_then(Value::as_object);
    display.to_lowercase().contains(q)
        || labels.is_some_and(|l| {
            l.iter().any(|(k, v)| {
                k.to_lowercase().contains(q)
                    || v.as_str().is_some_and(|v| v.to_lowercase().contains(q))
            })
        })
}
