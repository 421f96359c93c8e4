//! The webhook delivery worker: the outbox's events POSTed to each receiver in order. A
//! receiver that is down is retried with backoff and holds up only its own events; one
//! task drops what no receiver needs any more. What it reads and notes goes through the
//! engine (see `engine::ops::webhooks`).

use std::sync::Arc;
use std::time::Duration;

use crate::domain::actor::{Actor, Worker};
use crate::engine::Engine;
use crate::engine::ops::webhooks::{
    DropEvents, Hooks, KEEP_MS, NoteDelivered, OutboxPage, Receivers, all_took, body, client, post,
    shown,
};
use crate::time::{Millis, now_ms};

const IDLE: Duration = Duration::from_millis(500);
const MAX_BACKOFF_MS: Millis = 5 * 60 * 1000;
/// Events read from the outbox at once.
const PAGE: usize = 100;

const ME: Actor = Actor::System(Worker::Webhooks);

/// Deliver the outbox until the task is aborted: one task per receiver (a slow or dead one
/// delays nobody else), each with its own place in the outbox, and one that drops what no
/// receiver needs any more.
pub async fn run(engine: Arc<Engine>) {
    let hooks = engine.run(ME, Receivers).await;
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

async fn receiver(engine: Arc<Engine>, hooks: Hooks, me: usize) {
    let Some((hook, recorded)) = hooks.get(me) else {
        return;
    };
    let http = client();
    let mut failures = 0u32;
    // The last event this receiver has been through (taken, or not wanted).
    let mut cursor: Option<Vec<u8>> = None;
    loop {
        let read = OutboxPage {
            after: cursor.clone(),
            limit: PAGE,
        };
        let page = match engine.run(ME, read).await {
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
            let noted = NoteDelivered {
                key: key.clone(),
                receiver: recorded.record.clone(),
                hooks: hooks.clone(),
            };
            if let Err(err) = engine.run(ME, noted).await {
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
        } else if page.len() < PAGE {
            tokio::time::sleep(IDLE).await;
        }
    }
}

/// Drop events every receiver that wants them has taken (a receiver removed from the
/// config, or its list narrowed), nobody wants, or no receiver took within [`KEEP_MS`].
async fn sweep(engine: Arc<Engine>, hooks: Hooks) {
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let read = OutboxPage {
            after: None,
            limit: 1000,
        };
        let Ok(page) = engine.run(ME, read).await else {
            continue;
        };
        let now = now_ms();
        let keys: Vec<Vec<u8>> = page
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
        if keys.is_empty() {
            continue;
        }
        if let Err(e) = engine.run(ME, DropEvents { keys }).await {
            tracing::warn!(error = %e, "could not sweep the webhook outbox");
        }
    }
}
