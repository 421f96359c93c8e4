//! Connections with no request in progress, idle longest first: new ones that have not
//! sent a whole request yet (headers, and the body to its end), and kept-alive ones between
//! requests. When the listener is full, the one idle longest is closed to make room for a
//! new one, so a flood of idle or slow connections pushes out its own, and never a request
//! being answered.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::sync::Notify;

/// A connection is never closed for room before it was idle this long: time for a new one
/// to send its request (a TLS handshake over a slow network included), or for a client to
/// send its next one.
pub const MIN_AGE: Duration = Duration::from_secs(1);

const IDLE: u8 = 0;
const BUSY: u8 = 1;
const SHED: u8 = 2;

type Table = BTreeMap<u64, (Instant, Arc<Flag>)>;

/// The connections with no request in progress, by when they became idle.
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

/// What [`Idle::shed_oldest`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shed {
    /// The one idle longest was told to close; its slot is free soon.
    Closed,
    /// It has not been idle long enough: try again then.
    NotBefore(Instant),
    /// No connection is idle: every one has a request in progress.
    Nobody,
}

impl Idle {
    /// A new connection, idle until it has sent a whole request.
    pub fn enter(self: &Arc<Self>) -> Arc<Ticket> {
        let flag = Arc::new(Flag::default());
        let key = self.insert(&mut self.lock(), &flag);
        Arc::new(Ticket {
            key: AtomicU64::new(key),
            table: self.clone(),
            flag,
        })
    }

    fn insert(&self, t: &mut Table, flag: &Arc<Flag>) -> u64 {
        let key = self.next.fetch_add(1, Ordering::Relaxed);
        t.insert(key, (Instant::now(), flag.clone()));
        key
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Close the connection idle longest, if it has been idle at least `min_age`.
    pub fn shed_oldest(&self, min_age: Duration) -> Shed {
        let mut t = self.lock();
        let Some(entry) = t.first_entry() else {
            return Shed::Nobody;
        };
        let (since, flag) = entry.get();
        let ready = *since + min_age;
        if ready > Instant::now() {
            return Shed::NotBefore(ready);
        }
        let flag = flag.clone();
        entry.remove();
        flag.state.store(SHED, Ordering::Release);
        flag.shed.notify_one();
        Shed::Closed
    }

    /// Connections idle now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One connection's place among the idle ones, left while a request is in progress and
/// when dropped.
pub struct Ticket {
    /// Its key in the table (a new one each time it becomes idle); changed under the lock.
    key: AtomicU64,
    table: Arc<Idle>,
    flag: Arc<Flag>,
}

impl Ticket {
    /// A whole request came: never closed for room until it is answered.
    pub fn busy(&self) {
        let mut t = self.table.lock();
        if self.flag.state.load(Ordering::Acquire) == IDLE {
            self.flag.state.store(BUSY, Ordering::Release);
            t.remove(&self.key.load(Ordering::Relaxed));
        }
    }

    /// The request was answered: idle again, from now.
    pub fn answered(&self) {
        let mut t = self.table.lock();
        if self.flag.state.load(Ordering::Acquire) == BUSY {
            self.flag.state.store(IDLE, Ordering::Release);
            let key = self.table.insert(&mut t, &self.flag);
            self.key.store(key, Ordering::Relaxed);
        }
    }

    /// Resolves once the connection is to be closed to make room.
    pub async fn shed(&self) {
        self.flag.shed.notified().await;
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
        self.table.lock().remove(&self.key.load(Ordering::Relaxed));
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

    #[tokio::test]
    async fn the_connection_idle_longest_is_shed_and_never_one_with_a_request_in_progress() {
        let idle = Arc::new(Idle::default());
        let first = idle.enter();
        let second = idle.enter();
        let third = idle.enter();
        assert!(matches!(idle.shed_oldest(MIN_AGE), Shed::NotBefore(_)));
        first.busy();
        assert_eq!(idle.len(), 2);
        assert_eq!(idle.shed_oldest(Duration::ZERO), Shed::Closed);
        // The second was told; the third was not.
        tokio::time::timeout(Duration::from_secs(1), second.shed())
            .await
            .expect("the second is shed");
        assert!(
            tokio::time::timeout(Duration::from_millis(50), third.shed())
                .await
                .is_err()
        );
        // A shed connection is never busy or idle again.
        second.busy();
        second.answered();
        assert_eq!(idle.len(), 1);
        // Answered, the first is idle again, after the third.
        first.answered();
        assert_eq!(idle.len(), 2);
        assert_eq!(idle.shed_oldest(Duration::ZERO), Shed::Closed);
        tokio::time::timeout(Duration::from_secs(1), third.shed())
            .await
            .expect("the third was idle longer");
        drop(first);
        assert!(idle.is_empty());
        assert_eq!(idle.shed_oldest(Duration::ZERO), Shed::Nobody);
    }
}
