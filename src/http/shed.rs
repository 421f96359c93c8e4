//! The open connections and where each stands (new, a request in progress, kept alive
//! between requests), for making room: when the listener is full, one is chosen (see
//! [`super::victim`]) and told to close, at once, or after the answer in progress. A
//! flood of idle, slow or chatty connections pushes out its own, and never a first
//! request being answered.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::sync::Notify;

use super::victim::{self, Candidate, Choice, Class};

/// A connection is never closed for room before it is this old (counted from accept, so
/// no client can restart it): time for a new one to send its request, a TLS handshake over
/// a slow network included, and its next ones.
pub const MIN_AGE: Duration = Duration::from_secs(1);

/// No whole request yet.
const NEW: u8 = 0;
const BUSY: u8 = 1;
/// Answered, no request in progress.
const KEPT: u8 = 2;
/// Told to close now.
const SHED: u8 = 3;
/// Told to close once its answer in progress is sent.
const CLOSING: u8 = 4;

struct Entry {
    flag: Arc<Flag>,
    accepted: Instant,
    /// When its last answer went out; `None` until the first.
    answered: Option<Instant>,
    network: IpAddr,
    client: IpAddr,
}

#[derive(Default)]
struct Table {
    open: HashMap<u64, Entry>,
    per_network: HashMap<IpAddr, usize>,
    per_client: HashMap<IpAddr, usize>,
}

fn count(map: &mut HashMap<IpAddr, usize>, key: IpAddr, up: bool) {
    if up {
        *map.entry(key).or_insert(0) += 1;
    } else if let Some(n) = map.get_mut(&key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            map.remove(&key);
        }
    }
}

/// Every open connection of the listener and where each stands; those with no request in
/// progress (idle), or kept alive, are the ones it may close.
#[derive(Default)]
pub struct Idle {
    table: Mutex<Table>,
    next: AtomicU64,
}

#[derive(Default)]
struct Flag {
    /// Changed only under the table's lock.
    state: AtomicU8,
    shed: Notify,
}

/// What [`Idle::shed_one`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shed {
    /// One was told to close now; its slot is free soon.
    Closed,
    /// One was told to close once its answer in progress is sent.
    Closing,
    /// None may go yet: try again then.
    NotBefore(Instant),
    /// None may go: each is answering its first request (or closing already).
    Nobody,
}

impl Idle {
    /// A new connection from `peer`, new until it has sent a whole request.
    pub fn enter(self: &Arc<Self>, peer: IpAddr) -> Arc<Ticket> {
        let flag = Arc::new(Flag::default());
        let key = self.next.fetch_add(1, Ordering::Relaxed);
        let (network, client) = (
            super::limits::network_key_of(peer),
            super::limits::client_key_of(peer),
        );
        let mut t = self.lock();
        count(&mut t.per_network, network, true);
        count(&mut t.per_client, client, true);
        t.open.insert(
            key,
            Entry {
                flag: flag.clone(),
                accepted: Instant::now(),
                answered: None,
                network,
                client,
            },
        );
        Arc::new(Ticket {
            key,
            table: self.clone(),
            flag,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Close the connection that should make room (see [`super::victim`]), only one open
    /// for `min_age` at least.
    pub fn shed_one(&self, min_age: Duration) -> Shed {
        let t = self.lock();
        let candidates = t.open.iter().map(|(k, e)| {
            let class = match (e.flag.state.load(Ordering::Acquire), e.answered) {
                (NEW, _) => Class::New,
                (KEPT, _) => Class::Kept,
                (BUSY, Some(_)) => Class::Reused,
                _ => Class::Untouchable,
            };
            let holds = |m: &HashMap<IpAddr, usize>, k| m.get(k).copied().unwrap_or(0);
            let candidate = Candidate {
                class,
                accepted: e.accepted,
                answered: e.answered,
                network_holds: holds(&t.per_network, &e.network),
                client_holds: holds(&t.per_client, &e.client),
            };
            (*k, candidate)
        });
        match victim::choose(candidates, Instant::now(), min_age) {
            Choice::Take(k) => {
                let Some(e) = t.open.get(&k) else {
                    return Shed::Nobody;
                };
                let busy = e.flag.state.load(Ordering::Acquire) == BUSY;
                e.flag
                    .state
                    .store(if busy { CLOSING } else { SHED }, Ordering::Release);
                e.flag.shed.notify_one();
                if busy { Shed::Closing } else { Shed::Closed }
            }
            Choice::NotBefore(at) => Shed::NotBefore(at),
            Choice::Nobody => Shed::Nobody,
        }
    }

    /// Connections open now.
    pub fn len(&self) -> usize {
        self.lock().open.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One open connection's place in the table, left when dropped.
pub struct Ticket {
    key: u64,
    table: Arc<Idle>,
    flag: Arc<Flag>,
}

impl Ticket {
    fn moved(&self, from: &[u8], to: u8, answered: bool) {
        let mut t = self.table.lock();
        if from.contains(&self.flag.state.load(Ordering::Acquire)) {
            self.flag.state.store(to, Ordering::Release);
            if answered && let Some(e) = t.open.get_mut(&self.key) {
                e.answered = Some(Instant::now());
            }
        }
    }

    /// A whole request came: its answer is never cut for room.
    pub fn busy(&self) {
        self.moved(&[NEW, KEPT], BUSY, false);
    }

    /// The request was answered: kept alive, idle from now.
    pub fn answered(&self) {
        self.moved(&[BUSY], KEPT, true);
    }

    /// Resolves once the connection is to make room: close it at once, or, when
    /// [`Ticket::after_answer`], once its answer in progress is sent.
    pub async fn shed(&self) {
        self.flag.shed.notified().await;
    }

    /// Told to close after the answer in progress rather than at once.
    pub fn after_answer(&self) -> bool {
        self.flag.state.load(Ordering::Acquire) == CLOSING
    }
    /// The request with its body watched: the connection is busy once the body has been
    /// read to its end (at once when there is none).
    pub fn watch(
        self: &Arc<Self>,
        req: hyper::Request<Incoming>,
    ) -> hyper::Request<axum::body::Body> {
        if req.body().is_end_stream() {
            self.busy();
            return req.map(axum::body::Body::new);
        }
        let ticket = Some(self.clone());
        req.map(|inner| axum::body::Body::new(Watched { inner, ticket }))
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut t = self.table.lock();
        if let Some(e) = t.open.remove(&self.key) {
            count(&mut t.per_network, e.network, false);
            count(&mut t.per_client, e.client, false);
        }
    }
}

/// A request body that marks its connection busy when it ends.
struct Watched {
    inner: Incoming,
    ticket: Option<Arc<Ticket>>,
}

impl Body for Watched {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let res = Pin::new(&mut self.inner).poll_frame(cx);
        if (matches!(res, Poll::Ready(None)) || self.inner.is_end_stream())
            && let Some(t) = self.ticket.take()
        {
            t.busy();
        }
        res
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn told(t: &Ticket) -> bool {
        tokio::time::timeout(Duration::from_millis(50), t.shed())
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn room_is_made_by_a_kept_alive_connection_first_and_never_by_a_first_request() {
        let idle = Arc::new(Idle::default());
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let first = idle.enter(ip);
        let second = idle.enter(ip);
        let third = idle.enter(ip);
        // New ones only once they are old enough.
        assert!(matches!(idle.shed_one(MIN_AGE), Shed::NotBefore(_)));
        // A first request in progress is never chosen; the new one accepted first is.
        first.busy();
        assert_eq!(idle.shed_one(Duration::ZERO), Shed::Closed);
        assert!(told(&second).await && !told(&third).await);
        // A connection told to close is neither busy nor kept alive again.
        second.busy();
        second.answered();
        assert_eq!(idle.len(), 3);
        // Answered, the first is kept alive: young, it may not go yet; once old enough it
        // goes before the new one, however recently it was answered.
        first.answered();
        assert!(matches!(idle.shed_one(MIN_AGE), Shed::NotBefore(_)));
        assert_eq!(idle.shed_one(Duration::ZERO), Shed::Closed);
        assert!(told(&first).await && !told(&third).await);
        // One answered before whose next request is in progress closes after its answer.
        third.busy();
        assert_eq!(idle.shed_one(Duration::ZERO), Shed::Nobody);
        third.answered();
        third.busy();
        assert_eq!(idle.shed_one(Duration::ZERO), Shed::Closing);
        assert!(told(&third).await && third.after_answer());
        drop((first, second, third));
        assert!(idle.is_empty());
        assert_eq!(idle.shed_one(Duration::ZERO), Shed::Nobody);
    }

    #[tokio::test]
    async fn the_network_holding_the_most_connections_makes_room_first() {
        let idle = Arc::new(Idle::default());
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // A customer kept alive since long, a crowd of one /24 answered just now.
        let customer = idle.enter(ip("198.51.100.7"));
        customer.busy();
        customer.answered();
        let crowd: Vec<_> = (1..=3)
            .map(|i| idle.enter(ip(&format!("203.0.113.{i}"))))
            .collect();
        for c in &crowd {
            c.busy();
            c.answered();
        }
        assert_eq!(idle.shed_one(Duration::ZERO), Shed::Closed);
        assert!(!told(&customer).await);
        let mut shed = 0;
        for c in &crowd {
            shed += usize::from(told(c).await);
        }
        assert_eq!(shed, 1, "one of the crowd made room");
    }
}
