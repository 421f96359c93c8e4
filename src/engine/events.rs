//! Events: what every face learns about changes, in process or over the control socket.
//!
//! Each committed change becomes one [`Event`] with its sequence number (which only grows,
//! across restarts too). A subscriber that falls behind gets [`Item::Lagged`] and refetches
//! a snapshot (list and status); nothing is dropped silently. So does one whose store
//! missed changes made through other nodes sharing its database ([`Change::Lagged`]).
//! Numbers may skip values (an operation undone within its batch, a commit that changed
//! only the read model); they never go back. With `since`, stored timeline entries after
//! that number are replayed first, then live events follow without a gap or a repeat.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::api::{EventView, LinkSummary, TenantSummary};
use crate::domain::model::{ProvisionerState, TenantStatus, TimelineEntry};
use crate::store::{Change, Committed, Store, StoreError};
use crate::time::now_ms;

/// One change, numbered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    #[serde(flatten)]
    pub body: EventBody,
}

// Nearly every event is `TenantChanged`: boxing its row would cost an allocation each,
// to spare the rare small variants some bytes.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventBody {
    /// A tenant changed: its new summary, and the timeline entry when there is one (a quiet
    /// provisioning poll has none).
    TenantChanged {
        slug: String,
        status: TenantStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<TenantSummary>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entry: Option<EventView>,
    },
    TenantRemoved {
        slug: String,
    },
    /// A consent link was issued, opened, used, withdrawn or superseded.
    LinkChanged {
        slug: String,
        link: LinkSummary,
    },
    ProvisionerChanged {
        provisioner: ProvisionerState,
    },
}

impl Event {
    pub fn slug(&self) -> Option<&str> {
        match &self.body {
            EventBody::TenantChanged { slug, .. }
            | EventBody::TenantRemoved { slug }
            | EventBody::LinkChanged { slug, .. } => Some(slug),
            EventBody::ProvisionerChanged { .. } => None,
        }
    }

    pub fn kind_str(&self) -> &'static str {
        match &self.body {
            EventBody::TenantChanged { .. } => "tenant_changed",
            EventBody::TenantRemoved { .. } => "tenant_removed",
            EventBody::LinkChanged { .. } => "link_changed",
            EventBody::ProvisionerChanged { .. } => "provisioner_changed",
        }
    }

    /// The event a change is (`None`: [`Change::Lagged`], which is not one).
    pub fn of(c: &Committed) -> Option<Self> {
        let body = match &c.change {
            Change::Tenant { tenant, entry } => EventBody::TenantChanged {
                slug: tenant.slug.clone(),
                status: tenant.status,
                summary: Some(TenantSummary::of(tenant)),
                entry: entry.as_ref().map(EventView::of),
            },
            Change::TenantRemoved { slug } => EventBody::TenantRemoved { slug: slug.clone() },
            Change::Link { link } => EventBody::LinkChanged {
                slug: link.tenant.clone(),
                link: LinkSummary::of(link, now_ms()),
            },
            Change::Provisioner(p) => EventBody::ProvisionerChanged {
                provisioner: p.clone(),
            },
            Change::Lagged { .. } => return None,
        };
        Some(Self { seq: c.seq, body })
    }

    /// A stored timeline entry, replayed.
    pub fn replayed(e: &TimelineEntry) -> Self {
        Self {
            seq: e.seq,
            body: EventBody::TenantChanged {
                slug: e.tenant.clone(),
                status: e.status,
                summary: None,
                entry: Some(EventView::of(e)),
            },
        }
    }
}

/// What a subscription yields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum Item {
    Event(Box<Event>),
    /// This many events were missed: refetch a snapshot.
    Lagged {
        missed: u64,
    },
}

/// Stored entries replayed per read.
const REPLAY_CHUNK: usize = 1000;

/// A live subscription to the engine's events (in process).
pub struct Subscription {
    rx: broadcast::Receiver<Arc<Committed>>,
    queue: std::collections::VecDeque<Event>,
    /// Held only while replaying (a subscription must not keep the database open).
    store: Option<Store>,
    /// With `since`: stored entries above this, up to `hi`, are still to be replayed.
    replay_from: Option<u64>,
    /// Whether this subscription replays (then stored entries up to `hi` come from the
    /// replay, not from the live stream).
    replays: bool,
    /// The last number handed out when the subscription began.
    hi: u64,
    /// Highest sequence number handed to this subscriber.
    last: u64,
    /// The store missed changes (see [`Change::Lagged`]) while this replayed: said next,
    /// with the number it stands at and how many.
    lagged: Option<(u64, u64)>,
}

fn is_stored_entry(c: &Committed) -> bool {
    matches!(&c.change, Change::Tenant { entry: Some(_), .. })
}

impl Subscription {
    pub(super) fn new(store: &Store, since: Option<u64>) -> Self {
        // Subscribe before reading where the sequence stands, so nothing falls between.
        let rx = store.subscribe();
        let hi = store.last_seq();
        Self {
            rx,
            queue: Default::default(),
            store: since.map(|_| store.clone()),
            replay_from: since,
            replays: since.is_some(),
            hi,
            last: since.unwrap_or(0),
            lagged: None,
        }
    }

    /// After the replay: live events received meanwhile join it in sequence order (those
    /// that are stored entries up to `hi` are in the replay already).
    fn merge_received(&mut self) {
        let mut merged: Vec<Event> = self.queue.drain(..).collect();
        while let Ok(c) = self.rx.try_recv() {
            if c.seq <= self.hi && is_stored_entry(&c) {
                continue;
            }
            match (Event::of(&c), &c.change) {
                (Some(e), _) => merged.push(e),
                (None, Change::Lagged { missed }) => self.lagged = Some((c.seq, *missed)),
                (None, _) => {}
            }
        }
        merged.sort_by_key(|e| e.seq);
        merged.dedup_by_key(|e| e.seq);
        self.queue = merged.into();
    }

    /// The next item; `None` once the engine has stopped.
    pub async fn next(&mut self) -> Option<Item> {
        loop {
            if let Some((seq, missed)) = self.lagged.take() {
                // A fresh snapshot covers what came before it.
                self.queue.retain(|e| e.seq > seq);
                self.last = self.last.max(seq);
                return Some(Item::Lagged { missed });
            }
            if let Some(e) = self.queue.pop_front() {
                if e.seq <= self.last && self.last > 0 && self.replay_from.is_none() {
                    continue;
                }
                self.last = self.last.max(e.seq);
                return Some(Item::Event(Box::new(e)));
            }
            if let (Some(from), Some(store)) = (self.replay_from, self.store.clone()) {
                let hi = self.hi;
                let chunk: Result<Vec<TimelineEntry>, StoreError> = store
                    .read(move |s| s.entries_since(from, REPLAY_CHUNK))
                    .await;
                match chunk {
                    Ok(entries) => {
                        let full = entries.len() == REPLAY_CHUNK;
                        let within: Vec<Event> = entries
                            .iter()
                            .filter(|e| e.seq <= hi)
                            .map(Event::replayed)
                            .collect();
                        let done = !full || within.len() < entries.len();
                        self.replay_from = within.last().map(|e| e.seq);
                        self.queue.extend(within);
                        if done || self.replay_from.is_none() {
                            self.replay_from = None;
                            self.store = None;
                            self.merge_received();
                        }
                        continue;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "replaying stored events failed");
                        self.replay_from = None;
                        self.store = None;
                        return Some(Item::Lagged { missed: 0 });
                    }
                }
            }
            match self.rx.recv().await {
                Ok(c) => {
                    if let Change::Lagged { missed } = c.change {
                        self.last = self.last.max(c.seq);
                        return Some(Item::Lagged { missed });
                    }
                    if c.seq <= self.last {
                        continue;
                    }
                    if self.replays && c.seq <= self.hi && is_stored_entry(&c) {
                        continue;
                    }
                    let Some(e) = Event::of(&c) else { continue };
                    self.last = c.seq;
                    return Some(Item::Event(Box::new(e)));
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    return Some(Item::Lagged { missed: n });
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}
