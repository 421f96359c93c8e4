//! Response types of the Blaxel control plane (`IntegrationConnection`, `Function`, lists).
//!
//! Invariant: parsing is lenient. Only `metadata.name` is required; every other field is
//! optional, unknown fields are kept in `extra`, and an unknown `status` value is kept as
//! [`Status::Other`], so a newer API never breaks an older client.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// `Metadata` shared by all Blaxel resources (spec: `Metadata`, `TimeFields`, `OwnerFields`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// Unique, immutable name within the workspace.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// Endpoint URL of the resource (functions: append `/mcp` for the MCP endpoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `IntegrationConnection` as returned by the API. Secrets come back masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrationConnection {
    pub metadata: Metadata,
    #[serde(default)]
    pub spec: IntegrationConnectionSpec,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `IntegrationConnectionSpec` as returned by the API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IntegrationConnectionSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<BTreeMap<String, String>>,
    /// Secret keys as the API shows them: values are masked, never write them back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<BTreeMap<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `Function` (an MCP server) as returned by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Function {
    pub metadata: Metadata,
    #[serde(default)]
    pub spec: FunctionSpec,
    /// Deployment status; top-level, not in `metadata`. Absent means "not known yet".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<CoreEvent>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `FunctionSpec` as returned by the API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_connections: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<FunctionRuntime>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `FunctionRuntime` as returned by the API. `type` is not in the spec but is what the
/// official tools send (`"mcp"`); it is kept if the API echoes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionRuntime {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub runtime_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_scale: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_scale: Option<i64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `CoreEvent`: one deployment event, useful detail when a function fails.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoreEvent {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Deployment status (spec `Status`), plus [`Status::Other`] for values added later.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Status {
    Deleting,
    Terminated,
    Failed,
    Deactivated,
    Deactivating,
    Uploading,
    Building,
    Deploying,
    Deployed,
    Built,
    /// A value this client does not know; treat it as "still in progress".
    Other(String),
}

const KNOWN_STATUSES: [(&str, Status); 10] = [
    ("DELETING", Status::Deleting),
    ("TERMINATED", Status::Terminated),
    ("FAILED", Status::Failed),
    ("DEACTIVATED", Status::Deactivated),
    ("DEACTIVATING", Status::Deactivating),
    ("UPLOADING", Status::Uploading),
    ("BUILDING", Status::Building),
    ("DEPLOYING", Status::Deploying),
    ("DEPLOYED", Status::Deployed),
    ("BUILT", Status::Built),
];

impl Status {
    /// The wire value, e.g. `"DEPLOYED"`.
    pub fn as_str(&self) -> &str {
        match self {
            Status::Other(s) => s,
            known => KNOWN_STATUSES
                .iter()
                .find(|(_, status)| status == known)
                .map_or("", |(text, _)| text),
        }
    }

    /// Parses a wire value; unknown values become [`Status::Other`].
    pub fn parse(value: &str) -> Status {
        KNOWN_STATUSES
            .iter()
            .find(|(text, _)| *text == value)
            // Unknown text from outside is kept without control characters: it reaches
            // an operator's terminal.
            .map_or_else(
                || Status::Other(crate::text::clean(value)),
                |(_, s)| s.clone(),
            )
    }

    /// True for `DEPLOYED`.
    pub fn is_deployed(&self) -> bool {
        *self == Status::Deployed
    }

    /// True for states a deployment will not leave by itself
    /// (`FAILED`, `DEACTIVATED`, `TERMINATED`).
    pub fn is_terminal_failure(&self) -> bool {
        matches!(
            self,
            Status::Failed | Status::Deactivated | Status::Terminated
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(Status::parse(&text))
    }
}

/// `PaginationMeta` of a paginated listing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaginationMeta {
    #[serde(default)]
    pub has_more: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

/// One page of `GET /functions`. A bare-array answer (API versions before 2026-04-28)
/// becomes a single page with no `meta`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FunctionPage {
    pub data: Vec<Function>,
    pub meta: Option<PaginationMeta>,
}

impl FunctionPage {
    /// The cursor for the next page, if there is one.
    pub fn next_cursor(&self) -> Option<&str> {
        let meta = self.meta.as_ref()?;
        let cursor = meta.next_cursor.as_deref().filter(|c| !c.is_empty())?;
        meta.has_more.then_some(cursor)
    }
}

impl<'de> Deserialize<'de> for FunctionPage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Bare(Vec<Function>),
            Paged {
                #[serde(default)]
                data: Vec<Function>,
                #[serde(default)]
                meta: Option<PaginationMeta>,
            },
        }
        Ok(match Wire::deserialize(deserializer)? {
            Wire::Paged { data, meta } => FunctionPage { data, meta },
            Wire::Bare(data) => FunctionPage { data, meta: None },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn function_parses_leniently_and_keeps_unknown_fields() {
        let f: Function = serde_json::from_value(json!({
            "metadata": {"name": "gmail-mcp-acme", "url": "https://x/fn", "plan": "base"},
            "spec": {"integrationConnections": ["gmail-acme"], "runtime": {"type": "mcp", "dockerConfig": {}}},
            "status": "WARMING_UP",
            "newTopLevel": 1
        }))
        .unwrap();
        assert_eq!(f.status, Some(Status::Other("WARMING_UP".into())));
        assert_eq!(f.metadata.extra["plan"], json!("base"));
        assert_eq!(f.extra["newTopLevel"], json!(1));
        let runtime = f.spec.runtime.unwrap();
        assert_eq!(runtime.runtime_type.as_deref(), Some("mcp"));
        assert!(runtime.extra.contains_key("dockerConfig"));
    }

    #[test]
    fn only_metadata_name_is_required() {
        let f: Function = serde_json::from_value(json!({"metadata": {"name": "f"}})).unwrap();
        assert_eq!(f.status, None);
        assert!(serde_json::from_value::<Function>(json!({"metadata": {}})).is_err());
        let c: IntegrationConnection =
            serde_json::from_value(json!({"metadata": {"name": "c"}})).unwrap();
        assert_eq!(c.spec.integration, None);
    }

    #[test]
    fn statuses_round_trip() {
        for (text, status) in KNOWN_STATUSES {
            assert_eq!(Status::parse(text), status);
            assert_eq!(serde_json::to_value(&status).unwrap(), json!(text));
        }
        assert!(Status::Failed.is_terminal_failure());
        assert!(!Status::Other("NEW".into()).is_terminal_failure());
    }

    #[test]
    fn function_page_accepts_paged_and_bare_shapes() {
        let paged: FunctionPage = serde_json::from_value(json!({
            "data": [{"metadata": {"name": "a"}}],
            "meta": {"hasMore": true, "nextCursor": "c1", "total": 3}
        }))
        .unwrap();
        assert_eq!(paged.next_cursor(), Some("c1"));
        let bare: FunctionPage = serde_json::from_value(
            json!([{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]),
        )
        .unwrap();
        assert_eq!(bare.data.len(), 2);
        assert_eq!(bare.next_cursor(), None);
    }
}
