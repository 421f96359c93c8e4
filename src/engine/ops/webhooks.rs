//! Webhooks: tenant events from the durable outbox, POSTed to each configured receiver and
//! signed as Standard Webhooks says (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`). The event keeps
//! its id across retries and restarts, so a receiver deduplicates by it. Here: signing and
//! sending, `webhook test`, and what the delivery worker (see `owner::webhooks`) asks of
//! the engine.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::WebhookConfig;
use crate::domain::actor::Actor;
use crate::domain::outbox::OutboxEvent;
use crate::engine::api::{Delivery, Reply};
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::operation::Operation;
use crate::engine::token::random_token;
use crate::store::Durability;
use crate::time::{Millis, now_ms, rfc3339};

/// An event older than this is dropped undelivered (a receiver gone for good must not grow
/// the outbox without bound); it is logged.
pub const KEEP_MS: Millis = 3 * 24 * 3600 * 1000;

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

/// Where a receiver's URL may be shown: scheme, host and port (a path or query may carry
/// a token).
pub fn shown(url: &url::Url) -> String {
    format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port().map(|p| format!(":{p}")).unwrap_or_default()
    )
}

/// POST one event to one receiver.
pub async fn post(
    http: &reqwest::Client,
    hook: &WebhookConfig,
    id: &str,
    body: String,
) -> Delivery {
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
            url: shown(&hook.url),
            status: Some(r.status().as_u16()),
            error: None,
        },
        Err(e) => Delivery {
            url: shown(&hook.url),
            status: None,
            error: Some(e.without_url().to_string()),
        },
    }
}

/// The HTTP client deliveries go out with (no redirects followed, a time limit).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default()
}

/// `webhook test`: a sample event to every configured receiver, now.
pub async fn test(core: &Core) -> Result<Reply, EngineError> {
    if core.config().webhooks.is_empty() {
        return Err(EngineError::BadRequest(
            "no webhook is configured: add a [[webhook]] with url and secret to the config file"
                .into(),
        ));
    }
    let http = client();
    let sample = OutboxEvent {
        id: format!("msg_test_{}", random_token(8)),
        event_type: "webhook.test".into(),
        at: now_ms(),
        data: serde_json::json!({"message": "a test event from mcp-onboard webhook test"}),
        delivered: Vec::new(),
    };
    let mut deliveries = Vec::new();
    for hook in &core.config().webhooks {
        deliveries.push(post(&http, hook, &sample.id, body(&sample)).await);
    }
    Ok(Reply::WebhookTest { deliveries })
}

/// How a receiver's deliveries are recorded in the outbox: under its `id`, else under a
/// keyed hash of its URL (the URL, which may carry a password or a token, is never
/// stored). Both stay the same when the config is reordered. Records made under the hash
/// (by the migration, or before an `id` was given) count for a receiver with an `id` too.
#[derive(Debug, Clone)]
pub struct Receiver {
    pub record: String,
    also: Option<String>,
}

impl Receiver {
    pub fn took(&self, e: &OutboxEvent) -> bool {
        e.delivered
            .iter()
            .any(|d| *d == self.record || self.also.as_ref() == Some(d))
    }
}

/// The configured receivers with how each is recorded.
pub type Hooks = Arc<Vec<(WebhookConfig, Receiver)>>;

/// Whether every receiver that wants `e` took it.
pub fn all_took(hooks: &Hooks, e: &OutboxEvent) -> bool {
    hooks
        .iter()
        .filter(|(h, _)| h.wants(&e.event_type))
        .all(|(_, r)| r.took(e))
}

/// The delivery worker: the configured receivers, with how each is recorded.
pub struct Receivers;

impl Operation for Receivers {
    type Output = Hooks;

    async fn run(self, core: &Core, _actor: &Actor) -> Hooks {
        let store = core.store();
        Arc::new(
            core.config()
                .webhooks
                .iter()
                .map(|hook| {
                    let hashed = store.webhook_receiver(hook.url.as_str());
                    let r = match &hook.id {
                        Some(id) => Receiver {
                            record: id.clone(),
                            also: Some(hashed),
                        },
                        None => Receiver {
                            record: hashed,
                            also: None,
                        },
                    };
                    (hook.clone(), r)
                })
                .collect(),
        )
    }
}

/// The delivery worker: up to `limit` events of the outbox after `after` (from the oldest
/// when `None`), in order, with their keys.
pub struct OutboxPage {
    pub after: Option<Vec<u8>>,
    pub limit: usize,
}

impl Operation for OutboxPage {
    type Output = Result<Vec<(Vec<u8>, OutboxEvent)>, EngineError>;

    async fn run(self, core: &Core, _actor: &Actor) -> Self::Output {
        Ok(core
            .store()
            .read(move |s| s.outbox_after(self.after.as_deref(), self.limit))
            .await?)
    }
}

/// The delivery worker: the receiver recorded as `receiver` took the event under `key`.
/// The outbox's bookkeeping need not wait for a flush (a delivery noted twice after a
/// crash is a duplicate the id lets a receiver drop).
pub struct NoteDelivered {
    pub key: Vec<u8>,
    pub receiver: String,
    pub hooks: Hooks,
}

impl Operation for NoteDelivered {
    type Output = Result<(), EngineError>;

    async fn run(self, core: &Core, actor: &Actor) -> Self::Output {
        core.commit(actor, Durability::Lazy, move |tx| {
            let hooks = &self.hooks;
            tx.outbox_delivered(&self.key, &self.receiver, &|ev| all_took(hooks, ev))?;
            Ok(())
        })
        .await
    }
}

/// The delivery worker: drop these events from the outbox.
pub struct DropEvents {
    pub keys: Vec<Vec<u8>>,
}

impl Operation for DropEvents {
    type Output = Result<(), EngineError>;

    async fn run(self, core: &Core, actor: &Actor) -> Self::Output {
        core.commit(actor, Durability::Lazy, move |tx| {
            for k in &self.keys {
                tx.outbox_drop(k)?;
            }
            Ok(())
        })
        .await
    }
}
