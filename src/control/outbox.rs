//! What the owner holds for one control client, and for how long: its outgoing frames are
//! queued as bytes under a budget ([`ControlLimits::outbox_bytes`]; a single frame larger
//! than the budget goes alone), a call's reply waits for room, a subscription's event that
//! finds no room is counted as missed (the client is told it lagged), and a client that
//! stops reading (no room for [`ControlLimits::stalled_grace`], or one frame not taken in
//! that time) is dropped with a log line. Connections and subscriptions are capped per uid.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::unix::OwnedWriteHalf;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};

use super::protocol::{ServerFrame, line};

/// How much one control client may hold of the owner, and how long it may stall.
#[derive(Debug, Clone)]
pub struct ControlLimits {
    /// Bytes of frames queued for one client.
    pub outbox_bytes: usize,
    /// Calls of one client running at once; its next frames wait unread until one ends.
    pub calls_in_flight: usize,
    /// A client that takes nothing from its full queue for this long is dropped.
    pub stalled_grace: Duration,
    /// Connections one uid may hold open at once.
    pub connections_per_uid: usize,
    /// Subscriptions one uid may hold at once, over all its connections.
    pub subscriptions_per_uid: usize,
}

impl Default for ControlLimits {
    fn default() -> Self {
        Self {
            outbox_bytes: 8 << 20,
            calls_in_flight: 8,
            stalled_grace: Duration::from_secs(30),
            connections_per_uid: 256,
            subscriptions_per_uid: 64,
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

    /// Count one more connection (`subscription: false`) or subscription of `uid`, unless
    /// it has `max` already; the guard gives it back.
    pub(super) fn take(self: &Arc<Self>, uid: u32, subscription: bool, max: usize) -> Option<Slot> {
        let mut map = self.per_uid.lock().ok()?;
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
        if let Ok(mut map) = self.stats.per_uid.lock()
            && let Some(entry) = map.get_mut(&self.uid)
        {
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

/// One frame waiting to be written; its bytes count as buffered until it is dropped.
struct Queued {
    bytes: Vec<u8>,
    stats: Arc<ControlStats>,
    _room: OwnedSemaphorePermit,
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
        stats: Arc<ControlStats>,
        uid: u32,
    ) -> (Self, watch::Receiver<bool>, tokio::task::JoinHandle<()>) {
        let (tx, mut rx) = mpsc::unbounded_channel::<Queued>();
        let (dropped, dropped_rx) = watch::channel(false);
        let budget = limits.outbox_bytes.clamp(1, Semaphore::MAX_PERMITS);
        let shared = Arc::new(Shared {
            room: Arc::new(Semaphore::new(budget)),
            budget,
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

    fn queue(&self, bytes: Vec<u8>, room: OwnedSemaphorePermit) -> Result<(), Gone> {
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

    fn permits(&self, len: usize) -> u32 {
        u32::try_from(len.clamp(1, self.shared.budget)).unwrap_or(u32::MAX)
    }

    /// Queue a frame, waiting for room; a client that makes none within the grace period
    /// is dropped.
    pub(super) async fn send(&self, frame: &ServerFrame) -> Result<(), Gone> {
        let bytes = line(frame);
        let want = self.permits(bytes.len());
        let s = &self.shared;
        let mut stop = s.dropped.subscribe();
        let room = tokio::select! {
            r = tokio::time::timeout(s.grace, s.room.clone().acquire_many_owned(want)) => r,
            _ = stop.wait_for(|d| *d) => return Err(Gone),
        };
        match room {
            Ok(Ok(permit)) => self.queue(bytes, permit),
            Ok(Err(_)) => Err(Gone),
            Err(_) => {
                s.drop_client("its queue stayed full");
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
        let want = self.permits(bytes.len());
        match self.shared.room.clone().try_acquire_many_owned(want) {
            Ok(permit) => self.queue(bytes, permit).map(|()| true),
            Err(tokio::sync::TryAcquireError::NoPermits) => Ok(false),
            Err(tokio::sync::TryAcquireError::Closed) => Err(Gone),
        }
    }
}
