//! Connections that have not sent a whole request yet, oldest first. When the listener is
//! full, the oldest of them is closed to make room for a new one (so a flood of idle or
//! slow connections pushes out only its own, never a client being answered). A connection
//! leaves the table for good once it has sent a whole request: headers, and the body to
//! its end.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::sync::Notify;

/// A new connection is never shed before it had this long to send its request (a TLS
/// handshake over a slow network included).
pub const MIN_AGE: Duration = Duration::from_secs(1);

const WAITING: u8 = 0;
const SERVED: u8 = 1;
const SHED: u8 = 2;

/// The connections waiting for their first whole request.
#[derive(Default)]
pub struct Waiting {
    table: Mutex<BTreeMap<u64, (Instant, Arc<Flag>)>>,
    next: AtomicU64,
}

#[derive(Default)]
struct Flag {
    state: AtomicU8,
    shed: Notify,
}

/// What [`Waiting::shed_oldest`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shed {
    /// The oldest was told to close; its slot is free soon.
    Closed,
    /// The oldest is too young: try again then.
    NotBefore(Instant),
    /// No connection waits: every one is a client's.
    Nobody,
}

impl Waiting {
    /// A new connection, waiting until it has sent a whole request.
    pub fn enter(self: &Arc<Self>) -> Arc<Ticket> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let flag = Arc::new(Flag::default());
        self.lock().insert(id, (Instant::now(), flag.clone()));
        Arc::new(Ticket {
            id,
            table: self.clone(),
            flag,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, (Instant, Arc<Flag>)>> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Close the connection that has waited longest, if it waited at least `min_age`.
    pub fn shed_oldest(&self, min_age: Duration) -> Shed {
        let mut t = self.lock();
        while let Some(entry) = t.first_entry() {
            let (since, flag) = entry.get();
            let ready = *since + min_age;
            if ready > Instant::now() {
                return Shed::NotBefore(ready);
            }
            let flag = flag.clone();
            entry.remove();
            if flag
                .state
                .compare_exchange(WAITING, SHED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                flag.shed.notify_one();
                return Shed::Closed;
            }
        }
        Shed::Nobody
    }

    /// Connections waiting now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One connection's place in the table, left when it is served or dropped.
pub struct Ticket {
    id: u64,
    table: Arc<Waiting>,
    flag: Arc<Flag>,
}

impl Ticket {
    /// The connection sent a whole request: a client's, never shed from now on.
    pub fn served(&self) {
        if self
            .flag
            .state
            .compare_exchange(WAITING, SERVED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.table.lock().remove(&self.id);
        }
    }

    /// Resolves once the connection is to be closed to make room.
    pub async fn shed(&self) {
        self.flag.shed.notified().await;
    }

    /// The request with its body watched: the connection counts as served once the body
    /// has been read to its end (at once when there is none).
    pub fn watch(
        self: &Arc<Self>,
        req: hyper::Request<Incoming>,
    ) -> hyper::Request<axum::body::Body> {
        if req.body().is_end_stream() {
            self.served();
            return req.map(axum::body::Body::new);
        }
        let ticket = Some(self.clone());
        req.map(|inner| axum::body::Body::new(Watched { inner, ticket }))
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.table.lock().remove(&self.id);
    }
}

/// A request body that marks its connection served when it ends.
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
            t.served();
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

    #[tokio::test]
    async fn the_oldest_waiting_connection_is_shed_and_a_served_one_never() {
        let w = Arc::new(Waiting::default());
        let first = w.enter();
        let second = w.enter();
        let third = w.enter();
        assert!(matches!(w.shed_oldest(MIN_AGE), Shed::NotBefore(_)));
        first.served();
        assert_eq!(w.len(), 2);
        assert_eq!(w.shed_oldest(Duration::ZERO), Shed::Closed);
        // The second was told; the third was not.
        tokio::time::timeout(Duration::from_secs(1), second.shed())
            .await
            .expect("the second is shed");
        assert!(
            tokio::time::timeout(Duration::from_millis(50), third.shed())
                .await
                .is_err()
        );
        // A shed connection is never served afterwards, and leaves no entry behind.
        second.served();
        assert_eq!(w.len(), 1);
        drop(third);
        assert!(w.is_empty());
        assert_eq!(w.shed_oldest(Duration::ZERO), Shed::Nobody);
    }
}
