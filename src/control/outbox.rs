//! What the owner holds for one control client, and for how long: its outgoing frames are
//! queued as bytes under a budget ([`ControlLimits::outbox_bytes`]; a single frame larger
//! than the budget goes alone), a call's reply waits for room, a subscription's event that
//! finds no room is counted as missed (the client is told it lagged), and a client that
//! stops reading (no room for [`ControlLimits::stalled_grace`], or one frame not taken in
//! that time) is dropped with a log line. Every client together is bounded too
//! ([`Totals`]): bytes queued (a client that cannot get room in time is dropped the same
//! way), calls running, and connections (within the descriptors kept for the control
//! socket, see [`crate::http::budget`]); connections and subscriptions are also capped per
//! uid.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::unix::OwnedWriteHalf;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};

use super::protocol::{ServerFrame, line};

/// Control connections open at once, every uid together: the owner keeps descriptors for
/// them ([`crate::http::budget::RESERVED_CONTROL`]).
pub const MAX_CONNECTIONS: usize = 192;

/// How much one control client, and every client together, may hold of the owner, and how
/// long a client may stall.
#[derive(Debug, Clone)]
pub struct ControlLimits {
    /// Bytes of frames queued for one client.
    pub outbox_bytes: usize,
    /// Bytes of frames queued for every client together.
    pub outbox_bytes_total: usize,
    /// Calls of one client running at once; its next frames wait unread until one ends.
    pub calls_in_flight: usize,
    /// Calls of every client together running at once (each holds its reply until it is
    /// queued); further ones wait unread the same way.
    pub calls_in_flight_total: usize,
    /// A client that takes nothing from its full queue for this long is dropped.
    pub stalled_grace: Duration,
    /// A client that has not said hello this long after connecting is closed.
    pub hello_within: Duration,
    /// Connections open at once, every uid together.
    pub connections: usize,
    /// Connections one uid may hold open at once (fewer than all: root, or the owner's
    /// uid, still gets in).
    pub connections_per_uid: usize,
    /// Subscriptions one uid may hold at once, over all its connections.
    pub subscriptions_per_uid: usize,
}

impl Default for ControlLimits {
    fn default() -> Self {
        Self {
            outbox_bytes: 8 << 20,
            outbox_bytes_total: 64 << 20,
            calls_in_flight: 8,
            calls_in_flight_total: 64,
            stalled_grace: Duration::from_secs(30),
            hello_within: Duration::from_secs(5),
            connections: MAX_CONNECTIONS,
            connections_per_uid: 160,
            subscriptions_per_uid: 64,
        }
    }
}

/// What every client together may hold: bytes queued, and calls running.
#[derive(Clone)]
pub(super) struct Totals {
    room: Arc<Semaphore>,
    budget: usize,
    pub(super) calls: Arc<Semaphore>,
}

impl Totals {
    pub(super) fn new(limits: &ControlLimits) -> Self {
        let budget = limits.outbox_bytes_total.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            room: Arc::new(Semaphore::new(budget)),
            budget,
            calls: Arc::new(Semaphore::new(
                limits
                    .calls_in_flight_total
                    .clamp(1, Semaphore::MAX_PERMITS),
            )),
        }
    }
}

/// What the control socket holds now, for tests and operators.
#[derive(Debug, Default)]
pub struct ControlStats {
    buffered: AtomicUsize,
    peak_buffered: AtomicUsize,
    dropped: AtomicU64,
    per_uid: Mutex<HashMap<u32, (usize, usize)>>,
}

impl ControlStats {
    /// Bytes of frames queued for every client together, now.
    pub fn buffered_bytes(&self) -> usize {
        self.buffered.load(Ordering::Relaxed)
    }

    /// The most that was ever queued at once.
    pub fn peak_buffered_bytes(&self) -> usize {
        self.peak_buffered.load(Ordering::Relaxed)
    }

    /// Clients dropped for not reading.
    pub fn dropped_clients(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Count one more connection of `uid`, unless it or every uid together has the most
    /// the limits allow already (`Err` says which); the guard gives it back.
    pub(super) fn take_connection(
        self: &Arc<Self>,
        uid: u32,
        limits: &ControlLimits,
    ) -> Result<Slot, String> {
        let mut map = self.lock_uids();
        let all: usize = map.values().map(|(c, _)| c).sum();
        if all >= limits.connections {
            return Err(format!(
                "too many control connections (at most {} in all): close some first",
                limits.connections
            ));
        }
        self.count_in(&mut map, uid, false, limits.connections_per_uid)
            .ok_or_else(|| {
                format!(
                    "too many control connections of uid {uid} (at most {}): close some first",
                    limits.connections_per_uid
                )
            })
    }

    /// Count one more connection (`subscription: false`) or subscription of `uid`, unless
    /// it has `max` already; the guard gives it back.
    pub(super) fn take(self: &Arc<Self>, uid: u32, subscription: bool, max: usize) -> Option<Slot> {
        self.count_in(&mut self.lock_uids(), uid, subscription, max)
    }

    fn lock_uids(&self) -> std::sync::MutexGuard<'_, HashMap<u32, (usize, usize)>> {
        self.per_uid.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn count_in(
        self: &Arc<Self>,
        map: &mut HashMap<u32, (usize, usize)>,
        uid: u32,
        subscription: bool,
        max: usize,
    ) -> Option<Slot> {
        let entry = map.entry(uid).or_default();
        let n = if subscription {
            &mut entry.1
        } else {
            &mut entry.0
        };
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot {
            stats: self.clone(),
            uid,
            subscription,
        })
    }
}

/// A connection or subscription counted against its uid until dropped.
pub(super) struct Slot {
    stats: Arc<ControlStats>,
    uid: u32,
    subscription: bool,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self.stats.lock_uids();
        if let Some(entry) = map.get_mut(&self.uid) {
            let n = if self.subscription {
                &mut entry.1
            } else {
                &mut entry.0
            };
            *n = n.saturating_sub(1);
            if *entry == (0, 0) {
                map.remove(&self.uid);
            }
        }
    }
}

/// One frame waiting to be written; its bytes count as buffered (in its client's room and
/// in the room of all) until it is dropped.
struct Queued {
    bytes: Vec<u8>,
    stats: Arc<ControlStats>,
    _room: (OwnedSemaphorePermit, OwnedSemaphorePermit),
}

impl Drop for Queued {
    fn drop(&mut self) {
        self.stats
            .buffered
            .fetch_sub(self.bytes.len(), Ordering::Relaxed);
    }
}

/// Why a frame was not queued: the client is being dropped (or is gone).
#[derive(Debug)]
pub(super) struct Gone;

/// What the queue's senders and its writer share.
struct Shared {
    room: Arc<Semaphore>,
    budget: usize,
    totals: Totals,
    grace: Duration,
    stats: Arc<ControlStats>,
    dropped: watch::Sender<bool>,
    uid: u32,
}

impl Shared {
    fn drop_client(&self, why: &str) {
        if !self.dropped.send_replace(true) {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            let queued = self.budget - self.room.available_permits().min(self.budget);
            tracing::warn!(
                uid = self.uid,
                grace = ?self.grace,
                queued_bytes = queued,
                "control client dropped: it stopped reading ({why})"
            );
        }
    }
}

/// The sending side of one client's queue; cheap to clone into each call and subscription.
#[derive(Clone)]
pub(super) struct Outbox {
    tx: mpsc::UnboundedSender<Queued>,
    shared: Arc<Shared>,
}

impl Outbox {
    /// The queue and its writer task, which writes to `write` until every sender is gone
    /// or the client is dropped; the receiver turns true when it is dropped.
    pub(super) fn start(
        mut write: OwnedWriteHalf,
        limits: &ControlLimits,
        (stats, totals): (Arc<ControlStats>, Totals),
        uid: u32,
    ) -> (Self, watch::Receiver<bool>, tokio::task::JoinHandle<()>) {
        let (tx, mut rx) = mpsc::unbounded_channel::<Queued>();
        let (dropped, dropped_rx) = watch::channel(false);
        let budget = limits.outbox_bytes.clamp(1, Semaphore::MAX_PERMITS);
        let shared = Arc::new(Shared {
            room: Arc::new(Semaphore::new(budget)),
            budget,
            totals,
            grace: limits.stalled_grace,
            stats,
            dropped,
            uid,
        });
        let me = shared.clone();
        let writer = tokio::spawn(async move {
            let mut stop = me.dropped.subscribe();
            loop {
                let frame = tokio::select! {
                    f = rx.recv() => f,
                    _ = stop.wait_for(|d| *d) => None,
                };
                let Some(frame) = frame else { break };
                match tokio::time::timeout(me.grace, write.write_all(&frame.bytes)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => break,
                    Err(_) => {
                        me.drop_client("it took no frame");
                        break;
                    }
                }
            }
            // Frames still queued go with the receiver; their bytes stop counting.
            rx.close();
            while rx.try_recv().is_ok() {}
            // Whoever waits for room or reads the next frame learns the client is gone.
            me.dropped.send_replace(true);
        });
        (Self { tx, shared }, dropped_rx, writer)
    }

    fn queue(
        &self,
        bytes: Vec<u8>,
        room: (OwnedSemaphorePermit, OwnedSemaphorePermit),
    ) -> Result<(), Gone> {
        let stats = &self.shared.stats;
        let n = bytes.len();
        let now = stats.buffered.fetch_add(n, Ordering::Relaxed) + n;
        stats.peak_buffered.fetch_max(now, Ordering::Relaxed);
        let queued = Queued {
            bytes,
            stats: stats.clone(),
            _room: room,
        };
        self.tx.send(queued).map_err(|_| Gone)
    }

    /// Permits for `len` bytes in a room of `budget` (a larger frame takes the whole room).
    fn permits(len: usize, budget: usize) -> u32 {
        u32::try_from(len.clamp(1, budget)).unwrap_or(u32::MAX)
    }

    /// Queue a frame, waiting for room in the client's queue, then in the room of all; a
    /// client that gets neither within the grace period is dropped.
    pub(super) async fn send(&self, frame: &ServerFrame) -> Result<(), Gone> {
        let bytes = line(frame);
        let s = &self.shared;
        let deadline = tokio::time::Instant::now() + s.grace;
        let own = s
            .room
            .clone()
            .acquire_many_owned(Self::permits(bytes.len(), s.budget));
        let own = self.within(deadline, own, "its queue stayed full").await?;
        let all = s
            .totals
            .room
            .clone()
            .acquire_many_owned(Self::permits(bytes.len(), s.totals.budget));
        let all = self
            .within(deadline, all, "the room for all clients stayed full")
            .await?;
        self.queue(bytes, (own, all))
    }

    /// Room by `deadline`, unless the client is dropped first; the client is dropped when
    /// there is none by then.
    async fn within(
        &self,
        deadline: tokio::time::Instant,
        room: impl std::future::Future<Output = Result<OwnedSemaphorePermit, tokio::sync::AcquireError>>,
        why: &str,
    ) -> Result<OwnedSemaphorePermit, Gone> {
        let s = &self.shared;
        let mut stop = s.dropped.subscribe();
        let room = tokio::select! {
            r = tokio::time::timeout_at(deadline, room) => r,
            _ = stop.wait_for(|d| *d) => return Err(Gone),
        };
        match room {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(Gone),
            Err(_) => {
                s.drop_client(why);
                Err(Gone)
            }
        }
    }

    /// Queue a frame if there is room now; `Ok(false)` when there is none (the frame is
    /// not sent: the caller counts it as missed).
    pub(super) fn try_send(&self, frame: &ServerFrame) -> Result<bool, Gone> {
        if *self.shared.dropped.borrow() {
            return Err(Gone);
        }
        let bytes = line(frame);
        let s = &self.shared;
        let own = s
            .room
            .clone()
            .try_acquire_many_owned(Self::permits(bytes.len(), s.budget));
        let all = s
            .totals
            .room
            .clone()
            .try_acquire_many_owned(Self::permits(bytes.len(), s.totals.budget));
        match (own, all) {
            (Ok(own), Ok(all)) => self.queue(bytes, (own, all)).map(|()| true),
            _ => Ok(false),
        }
    }
}
