//! Webhooks: tenant events from the durable outbox, POSTed to each configured receiver in
//! order and signed as Standard Webhooks says (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`). A receiver that is
//! down is retried with backoff and holds up only its own events; the event keeps its id
//! across retries and restarts, so a receiver deduplicates by it.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::handle::Engine;
use crate::config::WebhookConfig;
use crate::domain::model::OutboxEvent;
use crate::store::Durability;
use crate::time::{Millis, now_ms, rfc3339};

/// An event older than this is dropped undelivered (a receiver gone for good must not grow
/// the outbox without bound); it is logged.
pub const KEEP_MS: Millis = 3 * 24 * 3600 * 1000;
const IDLE: Duration = Duration::from_millis(500);
const MAX_BACKOFF_MS: Millis = 5 * 60 * 1000;

/// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes a key of any length.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The JSON body a receiver gets.
pub fn body(e: &OutboxEvent) -> String {
    serde_json::json!({
        "type": e.event_type,
        "timestamp": rfc3339(e.at),
        "data": e.data,
    })
    .to_string()
}

/// What one POST came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub url: String,
    /// The HTTP status, when the receiver answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Delivery {
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

async fn post(http: &reqwest::Client, hook: &WebhookConfig, id: &str, body: String) -> Delivery {
    let ts = now_ms() / 1000;
    let sig = sign(&hook.key, id, ts, &body);
    let res = http
        .post(hook.url.clone())
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .body(body)
        .send()
        .await;
    match res {
        Ok(r) => Delivery {
            url: hook.url.to_string(),
            status: Some(r.status().as_u16()),
            error: None,
        },
        Err(e) => Delivery {
            url: hook.url.to_string(),
            status: None,
            error: Some(e.to_string()),
        },
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default()
}

impl Engine {
    /// `webhook test`: a sample event to every configured receiver, now.
    pub(super) async fn webhook_test(&self) -> Vec<Delivery> {
        let http = client();
        let sample = OutboxEvent {
            id: format!("msg_test_{}", super::handle::random_token(8)),
            event_type: "webhook.test".into(),
            at: now_ms(),
            data: serde_json::json!({"message": "a test event from mcp-onboard webhook test"}),
            delivered: Vec::new(),
        };
        let mut out = Vec::new();
        for hook in &self.config.webhooks {
            out.push(post(&http, hook, &sample.id, body(&sample)).await);
        }
        out
    }
}

/// Deliver the outbox until the task is aborted.
pub async fn run(engine: Arc<Engine>) {
    let hooks = engine.config().webhooks.clone();
    let http = client();
    // Per receiver: failed attempts in a row, and when to try again.
    let mut backoff: Vec<(u32, Millis)> = vec![(0, 0); hooks.len()];
    loop {
        let events = match engine.store().read(|s| s.outbox(200)).await {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, "reading the webhook outbox failed");
                tokio::time::sleep(IDLE).await;
                continue;
            }
        };
        let now = now_ms();
        let mut progressed = false;
        for (key, e) in &events {
            let wanted = hooks.iter().any(|h| h.wants(&e.event_type));
            if !wanted || now - e.at > KEEP_MS {
                if wanted {
                    tracing::warn!(id = %e.id, kind = %e.event_type, "webhook event dropped undelivered after 3 days");
                }
                let k = key.clone();
                let _ = engine
                    .commit_outbox(move |tx| {
                        tx.outbox_drop(&k);
                        Ok(())
                    })
                    .await;
                progressed = true;
            }
        }
        for (i, hook) in hooks.iter().enumerate() {
            if backoff[i].1 > now {
                continue;
            }
            let url = hook.url.to_string();
            // In order: this receiver's next event, then the next, until one fails.
            for (key, e) in &events {
                if !hook.wants(&e.event_type) || e.delivered.contains(&url) || now - e.at > KEEP_MS
                {
                    continue;
                }
                let d = post(&http, hook, &e.id, body(e)).await;
                if !d.ok() {
                    let (n, _) = backoff[i];
                    let delay = (1000i64 << n.min(9)).min(MAX_BACKOFF_MS);
                    backoff[i] = (n + 1, now_ms() + delay);
                    tracing::info!(url = %hook.url, id = %e.id, status = ?d.status, error = ?d.error, delay_ms = delay, "webhook not taken; trying again later");
                    break;
                }
                backoff[i] = (0, 0);
                let (k, u) = (key.clone(), url.clone());
                let all: Vec<(String, bool)> = hooks
                    .iter()
                    .map(|h| (h.url.to_string(), h.wants(&e.event_type)))
                    .collect();
                let res = engine
                    .commit_outbox(move |tx| {
                        tx.outbox_delivered(&k, &u, |ev| {
                            all.iter()
                                .filter(|(_, wants)| *wants)
                                .all(|(url, _)| ev.delivered.contains(url))
                        })?;
                        Ok(())
                    })
                    .await;
                if let Err(err) = res {
                    tracing::warn!(error = %err, "could not note a webhook delivery");
                    break;
                }
                progressed = true;
            }
        }
        if !progressed {
            let next = backoff
                .iter()
                .map(|(_, at)| *at)
                .filter(|at| *at > now_ms())
                .min()
                .map(|at| Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0)));
            tokio::time::sleep(next.map_or(IDLE, |n| n.min(IDLE))).await;
        }
    }
}

impl Engine {
    /// The outbox's bookkeeping goes through the commit point too; it need not wait for a
    /// flush (a delivery noted twice after a crash is a duplicate the id lets a receiver
    /// drop).
    pub(super) async fn commit_outbox<F>(&self, f: F) -> Result<(), super::EngineError>
    where
        F: FnOnce(&mut crate::store::Tx<'_>) -> Result<(), super::EngineError> + Send + 'static,
    {
        self.commit(Durability::Lazy, f).await
    }
}
