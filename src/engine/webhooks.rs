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
use crate::domain::outbox::OutboxEvent;
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

/// How a receiver's deliveries are recorded in the outbox: under its `id`, else under a
/// keyed hash of its URL (the URL, which may carry a password or a token, is never
/// stored). Both stay the same when the config is reordered. Records made under the hash
/// (by the migration, or before an `id` was given) count for a receiver with an `id` too.
#[derive(Debug, Clone)]
struct Receiver {
    record: String,
    also: Option<String>,
}

impl Receiver {
    fn of(engine: &Engine, hook: &WebhookConfig) -> Self {
        let hashed = engine.store().webhook_receiver(hook.url.as_str());
        match &hook.id {
            Some(id) => Self {
                record: id.clone(),
                also: Some(hashed),
            },
            None => Self {
                record: hashed,
                also: None,
            },
        }
    }

    fn took(&self, e: &OutboxEvent) -> bool {
        e.delivered
            .iter()
            .any(|d| *d == self.record || self.also.as_ref() == Some(d))
    }
}

/// The configured receivers with how each is recorded.
type Hooks = Arc<Vec<(WebhookConfig, Receiver)>>;

/// Whether every receiver that wants `e` took it.
fn all_took(hooks: &Hooks, e: &OutboxEvent) -> bool {
    hooks
        .iter()
        .filter(|(h, _)| h.wants(&e.event_type))
        .all(|(_, r)| r.took(e))
}

/// Deliver the outbox until the task is aborted: one task per receiver (a slow or dead one
/// delays nobody else), each with its own place in the outbox, and one that drops what no
/// receiver needs any more.
pub async fn run(engine: Arc<Engine>) {
    let hooks: Hooks = Arc::new(
        engine
            .config()
            .webhooks
            .iter()
            .map(|h| (h.clone(), Receiver::of(&engine, h)))
            .collect(),
    );
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..hooks.len() {
        let (engine, hooks) = (engine.clone(), hooks.clone());
        tasks.spawn(restarting("webhook delivery", move || {
            receiver(engine.clone(), hooks.clone(), i)
        }));
    }
    let e = engine.clone();
    tasks.spawn(restarting("webhook outbox sweep", move || {
        sweep(e.clone(), hooks.clone())
    }));
    while tasks.join_next().await.is_some() {}
}

/// Run the task made by `make`; after a panic (logged), start it again a little later: its
/// place in the outbox is read again from what was delivered, so nothing is lost.
async fn restarting<F, Fut>(what: &str, make: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    while crate::task_guard::catch_panic(what, make()).await.is_err() {
        tokio::time::sleep(IDLE).await;
    }
}

/// Where a receiver's URL may be shown: scheme, host and port (a path or query may carry
/// a token).
fn shown(url: &url::Url) -> String {
    format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port().map(|p| format!(":{p}")).unwrap_or_default()
    )
}

async fn receiver(engine: Arc<Engine>, hooks: Hooks, me: usize) {
    let Some((hook, recorded)) = hooks.get(me) else {
        return;
    };
    let http = client();
    let mut failures = 0u32;
    // The last event this receiver has been through (taken, or not wanted).
    let mut cursor: Option<Vec<u8>> = None;
    loop {
        let after = cursor.clone();
        let page = match engine
            .store()
            .read(move |s| s.outbox_after(after.as_deref(), 100))
            .await
        {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "reading the webhook outbox failed");
                tokio::time::sleep(IDLE).await;
                continue;
            }
        };
        let mut stuck = false;
        for (key, e) in &page {
            if !hook.wants(&e.event_type) || recorded.took(e) || now_ms() - e.at > KEEP_MS {
                cursor = Some(key.clone());
                continue;
            }
            let d = post(&http, hook, &e.id, body(e)).await;
            if !d.ok() {
                stuck = true;
                break;
            }
            let (k, r, all) = (key.clone(), recorded.record.clone(), hooks.clone());
            let noted = engine
                .commit_outbox(move |tx| {
                    tx.outbox_delivered(&k, &r, &|ev| all_took(&all, ev))?;
                    Ok(())
                })
                .await;
            if let Err(err) = noted {
                tracing::warn!(error = %err, "could not note a webhook delivery");
                stuck = true;
                break;
            }
            failures = 0;
            cursor = Some(key.clone());
        }
        if stuck {
            let delay = (1000i64 << failures.min(9)).min(MAX_BACKOFF_MS);
            failures += 1;
            tracing::info!(receiver = %shown(&hook.url), delay_ms = delay, "webhook not taken; trying again later");
            tokio::time::sleep(Duration::from_millis(u64::try_from(delay).unwrap_or(1000))).await;
        } else if page.len() < 100 {
            tokio::time::sleep(IDLE).await;
        }
    }
}

/// Drop events every receiver that wants them has taken (a receiver removed from the
/// config, or its list narrowed), nobody wants, or no receiver took within [`KEEP_MS`].
async fn sweep(engine: Arc<Engine>, hooks: Hooks) {
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let Ok(page) = engine.store().read(|s| s.outbox_after(None, 1000)).await else {
            continue;
        };
        let now = now_ms();
        let gone: Vec<Vec<u8>> = page
            .iter()
            .filter(|(_, e)| {
                let done = all_took(&hooks, e);
                if !done && now - e.at > KEEP_MS {
                    tracing::warn!(id = %e.id, kind = %e.event_type, "webhook event dropped undelivered after 3 days");
                }
                done || now - e.at > KEEP_MS
            })
            .map(|(k, _)| k.clone())
            .collect();
        if gone.is_empty() {
            continue;
        }
        let res = engine
            .commit_outbox(move |tx| {
                for k in &gone {
                    tx.outbox_drop(k)?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = res {
            tracing::warn!(error = %e, "could not sweep the webhook outbox");
        }
    }
}

impl Engine {
    /// The outbox's bookkeeping goes through the commit point too; it need not wait for a
    /// flush (a delivery noted twice after a crash is a duplicate the id lets a receiver
    /// drop).
    pub(super) async fn commit_outbox<F>(&self, f: F) -> Result<(), super::EngineError>
    where
        F: Fn(&mut dyn crate::store::Tx) -> Result<(), super::EngineError> + Send + 'static,
    {
        self.commit(Durability::Lazy, f).await
    }
}
