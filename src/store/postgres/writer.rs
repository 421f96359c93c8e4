//! The writer: a thread of its own with a connection of its own, fed by a channel. It
//! takes what is queued (a batch) and runs it in one SERIALIZABLE transaction, each
//! operation under a savepoint of its own (an operation that fails leaves nothing, the
//! others stay), and publishes the batch's changes once it committed. Why one writer per
//! process: the batch holds the change sequence's row from its start to its commit, so the
//! numbers are handed out in commit order (across processes too: the row is theirs to wait
//! for); and many durable operations share one commit (group commit).
//!
//! A batch that lost a serialization conflict or a deadlock is run again from the start
//! (its operations are `Fn`), a few times at most; so is one whose connection broke before
//! its commit (on a new connection). A commit whose outcome is unknown (the connection
//! broke during it) stops the store: what the database holds is then unknown here.

use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, oneshot};

use super::batch::Loop;
use super::db::Target;
use super::queue::{Msg, Queued, Work};
use super::shared::Shared;
use crate::domain::audit::Operator;
use crate::store::{BoxFuture, Durability, StoreError, TxOp};

/// Operations queued or in progress at once; more wait (asynchronously) for room.
const MAX_QUEUED: usize = 8192;

pub(super) struct Writer {
    tx: Mutex<Option<Sender<Msg>>>,
    permits: Arc<Semaphore>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

fn closed() -> StoreError {
    StoreError::Closed("the store is shutting down".into())
}

fn stopped() -> StoreError {
    StoreError::Closed("the store writer stopped before answering".into())
}

impl Writer {
    pub fn start(shared: Arc<Shared>, target: Target) -> Result<Self, StoreError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || Loop::new(shared, target, rx).run())
            .map_err(|e| StoreError::Closed(format!("cannot start the store writer: {e}")))?;
        Ok(Self {
            tx: Mutex::new(Some(tx)),
            permits: Arc::new(Semaphore::new(MAX_QUEUED)),
            thread: Mutex::new(Some(thread)),
        })
    }

    fn sender(&self) -> Result<Sender<Msg>, StoreError> {
        self.tx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(closed)
    }

    /// Queue `op` (see [`crate::store::Backend::submit`]): at once when there is room,
    /// else when the future is first polled; it runs even if the future is dropped.
    pub fn submit(
        &self,
        actor: Option<Operator>,
        durability: Durability,
        op: TxOp,
    ) -> BoxFuture<'static, Result<(), StoreError>> {
        let durable = durability == Durability::Durable;
        let sender = self.sender();
        let permits = self.permits.clone();
        let (reply, answer) = oneshot::channel();
        let queued = move |permit| Queued {
            durable,
            actor,
            work: Work::Op(op),
            reply: Some(reply),
            _permit: Some(permit),
        };
        let now = match (&sender, permits.clone().try_acquire_owned()) {
            (Ok(s), Ok(permit)) => Ok(s.send(Msg::Op(queued(permit))).map_err(|_| closed())),
            _ => Err(queued),
        };
        Box::pin(async move {
            match now {
                Ok(sent) => sent?,
                Err(queued) => {
                    let sender = sender?;
                    let permit = permits.acquire_owned().await.map_err(|_| closed())?;
                    sender.send(Msg::Op(queued(permit))).map_err(|_| closed())?;
                }
            }
            answer.await.map_err(|_| stopped())?
        })
    }

    /// Resolve once everything queued before is committed (`durable`: and on disk).
    pub fn barrier(&self, durable: bool) -> BoxFuture<'static, Result<(), StoreError>> {
        let (reply, answer) = oneshot::channel();
        let sent = self
            .sender()
            .and_then(|s| s.send(Msg::Barrier(durable, reply)).map_err(|_| closed()));
        Box::pin(async move {
            sent?;
            answer.await.map_err(|_| stopped())?
        })
    }

    pub fn stall_for_tests(&self, d: Duration) {
        if let Ok(s) = self.sender() {
            let _ = s.send(Msg::Stall(d));
        }
    }

    /// Finish what is queued, write the counts noted in memory, make it all durable and
    /// stop the thread. Waits at most `grace`.
    pub async fn stop(&self, grace: Duration) -> Result<(), StoreError> {
        let Some(sender) = self.tx.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return Ok(());
        };
        let (reply, answer) = oneshot::channel();
        let _ = sender.send(Msg::Stop(reply));
        drop(sender);
        let res = match tokio::time::timeout(grace, answer).await {
            Ok(Ok(r)) => r,
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

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the channel lets the thread finish the queue and end on its own.
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}
