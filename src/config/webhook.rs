//! `[[webhook]]`: the receivers of tenant events (Standard Webhooks signing), each with its
//! URL, signing secret, the events it wants and the id its deliveries are recorded under.
//! Read from the file only: a secret per receiver has no place in one environment variable.

use serde::Deserialize;
use url::Url;

use super::ConfigError;
use super::source::{Source, is_loopback_host};
use super::webhook_id::webhook_id;

/// The event types a webhook can receive.
pub const WEBHOOK_EVENTS: [&str; 8] = [
    "tenant.consented",
    "tenant.deployed",
    "tenant.failed",
    "tenant.needs_reconsent",
    "tenant.offboarded",
    crate::domain::mcp_events::MCP_UNREACHABLE,
    crate::domain::mcp_events::MCP_RECOVERED,
    "tenant.recovered",
];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWebhook {
    /// How deliveries to it are recorded (else a keyed hash of its URL).
    id: Option<String>,
    url: String,
    secret: String,
    events: Option<Vec<String>>,
}

/// A receiver of tenant events (Standard Webhooks signing).
#[derive(Clone)]
pub struct WebhookConfig {
    /// The operator's name for it (`[[webhook]] id`): deliveries are recorded under it, so
    /// they stay its own if its URL changes. Without one, under a keyed hash of the URL.
    pub id: Option<String>,
    pub url: Url,
    /// The signing key: the base64 after `whsec_`, decoded.
    pub key: zeroize::Zeroizing<Vec<u8>>,
    /// The event types it wants (all when `None`).
    pub events: Option<Vec<String>>,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("id", &self.id)
            .field("url", &self.url.as_str())
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

impl WebhookConfig {
    pub fn wants(&self, event_type: &str) -> bool {
        self.events
            .as_ref()
            .is_none_or(|e| e.iter().any(|x| x == event_type))
    }
}

pub(super) fn resolve(src: &Source) -> Result<Vec<WebhookConfig>, ConfigError> {
    let file: Vec<FileWebhook> = src.section("webhook")?;
    let mut webhooks: Vec<WebhookConfig> = Vec::new();
    for (i, w) in file.into_iter().enumerate() {
        let from = format!("{}, webhook {}", src.label(), i + 1);
        let url = Url::parse(w.url.trim())
            .ok()
            .filter(|u| u.scheme() == "https" || (u.scheme() == "http" && is_loopback_host(u)))
            .ok_or_else(|| ConfigError::Invalid {
                key: "webhook.url",
                value: w.url.clone(),
                from: from.clone(),
                detail: "expected an https:// URL (plain http:// only on a loopback address)"
                    .into(),
            })?;
        use base64::Engine as _;
        let decoded = w
            .secret
            .trim()
            .strip_prefix("whsec_")
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .filter(|k| (24..=64).contains(&k.len()))
            .ok_or_else(|| ConfigError::Invalid {
                key: "webhook.secret",
                value: "(hidden)".into(),
                from: from.clone(),
                detail: "expected whsec_ followed by base64 of 24 to 64 bytes (e.g. `echo whsec_$(head -c 32 /dev/urandom | base64)`)".into(),
            })?;
        if let Some(bad) = w
            .events
            .iter()
            .flatten()
            .find(|e| !WEBHOOK_EVENTS.contains(&e.as_str()))
        {
            return Err(ConfigError::Invalid {
                key: "webhook.events",
                value: bad.clone(),
                from,
                detail: format!("expected some of {}", WEBHOOK_EVENTS.join(", ")),
            });
        }
        let taken: Vec<&str> = webhooks.iter().filter_map(|w| w.id.as_deref()).collect();
        let id = webhook_id(w.id, &taken, &from)?;
        webhooks.push(WebhookConfig {
            id,
            url,
            key: zeroize::Zeroizing::new(decoded),
            events: w.events,
        });
    }
    Ok(webhooks)
}
