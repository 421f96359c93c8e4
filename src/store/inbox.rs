//! The sending side of a backend's writer thread, whichever the backend: a channel whose
//! operations are bounded by permits (a full queue makes callers wait, asynchronously, for
//! room), the thread itself, and stopping it within a grace period.

use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::store::{BoxFuture, StoreError};

/// Operations queued or in progress at once; more wait (asynchronously) for room.
const MAX_QUEUED: usize = 8192;

pub(in crate::store) fn closed() -> StoreError {
    StoreError::Closed("the store is shutting down".into())
}

pub(in crate::store) fn stopped() -> StoreError {
    StoreError::Closed("the store writer stopped before answering".into())
}

pub(in crate::store) struct Inbox<M> {
    tx: Mutex<Option<Sender<M>>>,
    permits: Arc<Semaphore>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl<M: Send + 'static> Inbox<M> {
    /// Start the writer thread, `body` reading what is sent.
    pub fn start(body: impl FnOnce(Receiver<M>) + Send + 'static) -> Result<Self, StoreError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || body(rx))
            .map_err(|e| StoreError::Closed(format!("cannot start the store writer: {e}")))?;
        Ok(Self {
            tx: Mutex::new(Some(tx)),
            permits: Arc::new(Semaphore::new(MAX_QUEUED)),
            thread: Mutex::new(Some(thread)),
        })
    }

    fn sender(&self) -> Result<Sender<M>, StoreError> {
        self.tx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(closed)
    }

    /// Send `m` outside the bound (a barrier, a test's stall).
    pub fn send(&self, m: M) -> Result<(), StoreError> {
        self.sender()?.send(m).map_err(|_| closed())
    }

    /// Queue the operation `make` builds around its permit (which it holds until it is
    /// answered): at once when there is room, so that it runs even if the future is
    /// dropped; else once the future, polled, finds room.
    pub fn enqueue(
        &self,
        make: impl FnOnce(OwnedSemaphorePermit) -> M + Send + 'static,
    ) -> BoxFuture<'static, Result<(), StoreError>> {
        let sender = self.sender();
        let permits = self.permits.clone();
        let now = match (&sender, permits.clone().try_acquire_owned()) {
            (Ok(s), Ok(permit)) => Ok(s.send(make(permit)).map_err(|_| closed())),
            _ => Err(make),
        };
        Box::pin(async move {
            match now {
                Ok(sent) => sent,
                Err(make) => {
                    let sender = sender?;
                    let permit = permits.acquire_owned().await.map_err(|_| closed())?;
                    sender.send(make(permit)).map_err(|_| closed())
                }
            }
        })
    }

    /// Send the stop `make` builds around its reply, close the channel, wait at most
    /// `grace` for the reply, then for the thread. `None`: stopped already.
    pub async fn stop<R>(
        &self,
        grace: Duration,
        make: impl FnOnce(oneshot::Sender<R>) -> M,
    ) -> Result<Option<R>, StoreError> {
        let Some(sender) = self.tx.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return Ok(None);
        };
        let (reply, answer) = oneshot::channel();
        let _ = sender.send(make(reply));
        drop(sender);
        let res = match tokio::time::timeout(grace, answer).await {
            Ok(Ok(r)) => Ok(Some(r)),
            Ok(Err(_)) => Err(StoreError::Closed("the store writer ended early".into())),
            Err(_) => {
                return Err(StoreError::Closed(format!(
                    "the store writer did not finish within {grace:?}"
                )));
            }
        };
        let handle = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle {
            let _ = tokio::task::spawn_blocking(move || h.join()).await;
        }
        res
    }
}

impl<M> Drop for Inbox<M> {
    fn drop(&mut self) {
        // Closing the channel lets the thread finish the queue and end on its own.
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that keeps every operation (and its permit) until told to let one go.
    enum M {
        Op(u32, OwnedSemaphorePermit),
        Release,
        Stop(oneshot::Sender<usize>),
    }

    #[tokio::test]
    async fn a_full_queue_takes_the_next_operation_once_one_is_answered() {
        let inbox = Inbox::start(|rx| {
            let mut held = Vec::new();
            for m in rx {
                match m {
                    M::Op(n, permit) => held.push((n, permit)),
                    M::Release => {
                        drop(held.remove(0));
                    }
                    M::Stop(reply) => {
                        let _ = reply.send(held.len());
                        return;
                    }
                }
            }
        })
        .unwrap();
        for n in 0..MAX_QUEUED as u32 {
            inbox.enqueue(move |p| M::Op(n, p)).await.unwrap();
        }
        let mut next = inbox.enqueue(|p| M::Op(u32::MAX, p));
        let waiting = tokio::time::timeout(Duration::from_millis(100), &mut next).await;
        assert!(waiting.is_err(), "no room: the operation waits");
        inbox.send(M::Release).unwrap();
        tokio::time::timeout(Duration::from_secs(10), next)
            .await
            .expect("queued once one was answered")
            .unwrap();
        let held = inbox.stop(Duration::from_secs(10), M::Stop).await.unwrap();
        assert_eq!(held, Some(MAX_QUEUED));
        assert_eq!(
            inbox.stop(Duration::from_secs(1), M::Stop).await.unwrap(),
            None
        );
        assert!(matches!(inbox.send(M::Release), Err(StoreError::Closed(_))));
    }
}
