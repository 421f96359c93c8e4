//! Request bodies we send to Blaxel: a Google-OAuth integration connection and an MCP
//! function bound to it.
//!
//! Invariant: secret values are exposed only by `Serialize` (straight into the HTTP
//! body); `Debug` shows secret keys, never values. Bodies use only fields of the spec's
//! `IntegrationConnection` / `Function` schemas, plus `spec.runtime.type`, which the
//! spec lacks but the official CLI and docs send for MCP servers.

use std::collections::BTreeMap;
use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::names::{self, InvalidSlug};

/// Integration name of Blaxel's Gmail MCP server.
pub const GMAIL_INTEGRATION: &str = "gmail";
/// `spec.runtime.type` of an MCP server.
pub const MCP_RUNTIME_TYPE: &str = "mcp";

/// The keys of a connection's secret map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretNames {
    pub client_id: &'static str,
    pub client_secret: &'static str,
    pub refresh_token: &'static str,
}

/// The secret keys Blaxel documents for its Google OAuth integrations.
pub const GOOGLE_OAUTH_SECRETS: SecretNames = SecretNames {
    client_id: "CLIENT_ID",
    client_secret: "CLIENT_SECRET",
    refresh_token: "REFRESH_TOKEN",
};

/// `metadata` of a request: only the fields we own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestMetadata {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub labels: BTreeMap<String, String>,
}

impl RequestMetadata {
    /// Metadata for a tenant's resource: its name, a display name clamped to 63 chars and
    /// the tenant labels.
    pub fn for_tenant(name: String, display_name: &str, slug: &str) -> Self {
        let display_name = names::clamp_display_name(display_name.trim());
        RequestMetadata {
            name,
            display_name: (!display_name.is_empty()).then_some(display_name),
            labels: names::tenant_labels(slug),
        }
    }
}

/// OAuth credentials a Google-backed integration (`gmail`, `google-drive`) needs.
#[derive(Clone)]
pub struct GoogleOAuthSecret {
    pub client_id: String,
    pub client_secret: SecretString,
    pub refresh_token: SecretString,
}

impl fmt::Debug for GoogleOAuthSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoogleOAuthSecret")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("refresh_token", &"[REDACTED]")
            .finish()
    }
}

/// Body of `POST`/`PUT /integrations/connections[/{name}]`.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionRequest {
    pub metadata: RequestMetadata,
    pub spec: ConnectionRequestSpec,
}

/// `spec` of a [`ConnectionRequest`].
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionRequestSpec {
    pub integration: String,
    pub secret: SecretMap,
}

/// Secret key/value pairs; the values leave the process only inside a request body.
#[derive(Clone, Default)]
pub struct SecretMap(pub BTreeMap<String, SecretString>);

impl fmt::Debug for SecretMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|k| (k, "[REDACTED]")))
            .finish()
    }
}

impl Serialize for SecretMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value.expose_secret())?;
        }
        map.end()
    }
}

impl ConnectionRequest {
    /// A connection for a Google OAuth integration, its secret under the keys `keys`.
    pub fn google_oauth(
        integration: &str,
        keys: &SecretNames,
        metadata: RequestMetadata,
        secret: &GoogleOAuthSecret,
    ) -> Self {
        let secret = SecretMap(BTreeMap::from([
            (
                keys.client_id.to_owned(),
                SecretString::from(secret.client_id.clone()),
            ),
            (keys.client_secret.to_owned(), secret.client_secret.clone()),
            (keys.refresh_token.to_owned(), secret.refresh_token.clone()),
        ]));
        ConnectionRequest {
            metadata,
            spec: ConnectionRequestSpec {
                integration: integration.to_owned(),
                secret,
            },
        }
    }

    /// The Gmail connection of tenant `slug`, named `gmail-{slug}` (or the integration's
    /// equivalent).
    pub fn for_tenant(
        integration: &str,
        slug: &str,
        display_name: &str,
        secret: &GoogleOAuthSecret,
    ) -> Result<Self, InvalidSlug> {
        let names = names::resource_names(integration, slug)?;
        let metadata = RequestMetadata::for_tenant(names.connection, display_name, slug);
        Ok(Self::google_oauth(
            integration,
            &GOOGLE_OAUTH_SECRETS,
            metadata,
            secret,
        ))
    }

    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// Every value of the secret map, to take out of whatever comes back.
    pub(crate) fn secret_values(&self) -> Vec<&str> {
        self.spec
            .secret
            .0
            .values()
            .map(|v| v.expose_secret())
            .collect()
    }
}

/// Body of `POST`/`PUT /functions[/{name}]` for an MCP server bound to connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionRequest {
    pub metadata: RequestMetadata,
    pub spec: FunctionRequestSpec,
}

/// `spec` of a [`FunctionRequest`]. `enabled: true` is sent explicitly so that a `PUT`
/// also re-enables a function someone disabled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionRequestSpec {
    pub enabled: bool,
    pub integration_connections: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
    pub runtime: FunctionRequestRuntime,
}

/// `spec.runtime` of a [`FunctionRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionRequestRuntime {
    #[serde(rename = "type")]
    pub runtime_type: String,
    /// `mk2` or `mk3`; left to Blaxel when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<String>,
}

impl FunctionRequest {
    /// An MCP server (`runtime.type: "mcp"`) bound to `connection`.
    pub fn mcp(metadata: RequestMetadata, connection: String) -> Self {
        FunctionRequest {
            metadata,
            spec: FunctionRequestSpec {
                enabled: true,
                integration_connections: vec![connection],
                region: None,
                policies: Vec::new(),
                runtime: FunctionRequestRuntime {
                    runtime_type: MCP_RUNTIME_TYPE.to_owned(),
                    generation: None,
                },
            },
        }
    }

    /// The MCP server of tenant `slug`, named `{integration}-mcp-{slug}` and bound to the
    /// tenant's `{integration}-{slug}` connection.
    pub fn for_tenant(
        integration: &str,
        slug: &str,
        display_name: &str,
    ) -> Result<Self, InvalidSlug> {
        let names = names::resource_names(integration, slug)?;
        let metadata = RequestMetadata::for_tenant(names.function, display_name, slug);
        Ok(Self::mcp(metadata, names.connection))
    }

    pub fn name(&self) -> &str {
        &self.metadata.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secret() -> GoogleOAuthSecret {
        GoogleOAuthSecret {
            client_id: "cid.apps.googleusercontent.com".into(),
            client_secret: SecretString::from("GOCSPX-very-secret"),
            refresh_token: SecretString::from("1//refresh-token"),
        }
    }

    #[test]
    fn connection_body_has_the_documented_shape() {
        let req = ConnectionRequest::for_tenant("gmail", "acme", "Acme Corp", &secret()).unwrap();
        assert_eq!(
            serde_json::to_value(&req).unwrap(),
            json!({
                "metadata": {
                    "name": "gmail-acme",
                    "displayName": "Acme Corp",
                    "labels": {"tenant": "acme", "managed-by": "mcp-onboard"}
                },
                "spec": {
                    "integration": "gmail",
                    "secret": {
                        "CLIENT_ID": "cid.apps.googleusercontent.com",
                        "CLIENT_SECRET": "GOCSPX-very-secret",
                        "REFRESH_TOKEN": "1//refresh-token"
                    }
                }
            })
        );
    }

    #[test]
    fn debug_never_shows_secret_values() {
        let req = ConnectionRequest::for_tenant("gmail", "acme", "Acme", &secret()).unwrap();
        let debug = format!("{req:?} {:?}", secret());
        assert!(!debug.contains("very-secret"), "{debug}");
        assert!(!debug.contains("refresh-token"), "{debug}");
        assert!(debug.contains("REFRESH_TOKEN"));
    }

    #[test]
    fn function_body_binds_the_tenant_connection() {
        let req = FunctionRequest::for_tenant("gmail", "acme", "  ").unwrap();
        assert_eq!(
            serde_json::to_value(&req).unwrap(),
            json!({
                "metadata": {
                    "name": "gmail-mcp-acme",
                    "labels": {"tenant": "acme", "managed-by": "mcp-onboard"}
                },
                "spec": {
                    "enabled": true,
                    "integrationConnections": ["gmail-acme"],
                    "runtime": {"type": "mcp"}
                }
            })
        );
    }
}
