//! The one writer: a dedicated thread that owns every write to sled, fed by a channel.
//!
//! Why: sled 0.34 deadlocks when several asynchronous flushes overlap (spacejam/sled
//! issue 1308) and every sled call blocks the thread it runs on; on a two-core box two
//! blocked tokio workers are the whole runtime. So the async side only sends operations
//! here and awaits their replies.
//!
//! How (see `batch`): the thread takes whatever is queued (a batch), runs each operation
//! against an overlay of the batch's earlier writes, commits the whole batch in one sled
//! transaction, updates the in-memory index, and then:
//! - replies to operations that need not be durable (a link opened, a pending flow, an
//!   idempotent provisioning step) at once;
//! - if any operation in the batch must be durable (a consent's token, an operator's
//!   command), calls `flush()` once, which covers every write of the batch, and only then
//!   replies to those (group commit; nothing else flushes while the writer runs);
//! - publishes the batch's changes, in sequence order, after that flush.
//!
//! Writes that were not flushed at once are flushed within [`LAZY_FLUSH`]. sled's own
//! background flusher is off: this thread is the only one that flushes.

use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use super::batch::Loop;
use super::overlay::SeqState;
use super::queue::{BatchResult, Completion, Msg, Run, Shared};
use super::tx::SledTx;
use crate::domain::audit::Operator;
use crate::store::{BoxFuture, Durability, StoreError, TxOp};

/// Operations queued or in progress at once; more wait (asynchronously) for room.
const MAX_QUEUED: usize = 8192;

/// The sending half: the only way to change the database.
pub(super) struct Writer {
    tx: Mutex<Option<Sender<Msg>>>,
    permits: Arc<Semaphore>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    failed: Arc<Mutex<Option<String>>>,
}

fn closed() -> StoreError {
    StoreError::Closed("the store is shutting down".into())
}

impl Writer {
    pub fn start(shared: Shared, seq: SeqState) -> Result<Self, StoreError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let failed = shared.failed.clone();
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || Loop::new(shared, seq, rx).run())
            .map_err(|e| StoreError::Closed(format!("cannot start the store writer: {e}")))?;
        Ok(Self {
            tx: Mutex::new(Some(tx)),
            permits: Arc::new(Semaphore::new(MAX_QUEUED)),
            thread: Mutex::new(Some(thread)),
            failed,
        })
    }

    fn sender(&self) -> Result<Sender<Msg>, StoreError> {
        self.tx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(closed)
    }

    /// Run `op` on the writer thread inside the next batch, for `actor` (see
    /// [`crate::store::Backend::submit`]). It is queued at once, when this is called
    /// (unless the queue is full: then when the future is first polled), and runs to its
    /// end even if the future is dropped.
    pub fn submit(
        &self,
        actor: Option<Operator>,
        durability: Durability,
        op: TxOp,
    ) -> BoxFuture<'static, Result<(), StoreError>> {
        let run: Run = Box::new(move |tx: &mut SledTx<'_>| -> Completion {
            if op(tx).is_err() {
                tx.discard();
            }
            Box::new(|_| {})
        });
        self.queue(durability == Durability::Durable, actor, run)
    }

    /// Run `f` on the writer thread between operations of a batch (it sees what the batch
    /// wrote before it) and answer with what it returns.
    pub fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&SledTx<'_>) -> Result<R, StoreError> + Send + 'static,
    ) -> BoxFuture<'static, Result<R, StoreError>> {
        let (out_tx, out_rx) = oneshot::channel();
        let run: Run = Box::new(move |tx: &mut SledTx<'_>| -> Completion {
            let _ = out_tx.send(f(tx));
            Box::new(|_| {})
        });
        let queued = self.queue(false, None, run);
        Box::pin(async move {
            queued.await?;
            out_rx.await.map_err(|_| {
                StoreError::Closed("the store writer stopped before answering".into())
            })?
        })
    }

    /// Queue `run`; the future resolves once its batch has ended (committed, and flushed
    /// when `durable`).
    fn queue(
        &self,
        durable: bool,
        actor: Option<Operator>,
        run: Run,
    ) -> BoxFuture<'static, Result<(), StoreError>> {
        let sender = self.sender();
        let permits = self.permits.clone();
        let queued = match (&sender, permits.clone().try_acquire_owned()) {
            (Ok(s), Ok(permit)) => Ok(send(s, durable, actor, permit, run)),
            _ => Err((actor, run)),
        };
        Box::pin(async move {
            let reply = match queued {
                Ok(reply) => reply?,
                Err((actor, run)) => {
                    let sender = sender?;
                    let permit = permits.acquire_owned().await.map_err(|_| closed())?;
                    send(&sender, durable, actor, permit, run)?
                }
            };
            reply.await.map_err(|_| {
                StoreError::Closed("the store writer stopped before answering".into())
            })?
        })
    }

    /// Why the store stopped taking writes (a disk error), if it has: the owner should stop.
    pub fn failure(&self) -> Option<String> {
        self.failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Resolve once everything submitted before is on disk.
    pub fn sync(&self) -> BoxFuture<'static, Result<(), StoreError>> {
        let (tx, rx) = oneshot::channel();
        let sent = self.sender().and_then(|s| {
            s.send(Msg::Barrier(Box::new(move |r| {
                let _ = tx.send(r);
            })))
            .map_err(|_| closed())
        });
        Box::pin(async move {
            sent?;
            rx.await
                .map_err(|_| StoreError::Closed("the store writer stopped".into()))?
                .map_err(StoreError::Write)
        })
    }

    /// Tests: make the writer stop answering for `d`, as a stuck disk would.
    pub fn stall_for_tests(&self, d: Duration) {
        if let Ok(s) = self.sender() {
            let _ = s.send(Msg::Stall(d));
        }
    }

    /// Finish what is queued, flush, and stop the thread. Waits at most `grace`; what was
    /// acknowledged as durable is on disk whatever happens, since its reply came after
    /// its flush.
    pub async fn stop(&self, grace: Duration) -> Result<(), StoreError> {
        let Some(sender) = self.tx.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return Ok(());
        };
        let (tx, rx) = oneshot::channel();
        let _ = sender.send(Msg::Stop(Box::new(move |r| {
            let _ = tx.send(r);
        })));
        drop(sender);
        let res = match tokio::time::timeout(grace, rx).await {
            Ok(Ok(r)) => r.map_err(StoreError::Write),
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

/// Queue one operation; the receiver gets how its batch ended.
fn send(
    sender: &Sender<Msg>,
    durable: bool,
    actor: Option<Operator>,
    permit: OwnedSemaphorePermit,
    run: Run,
) -> Result<oneshot::Receiver<Result<(), StoreError>>, StoreError> {
    let (reply_tx, reply_rx) = oneshot::channel();
    let run: Run = Box::new(move |tx: &mut SledTx<'_>| -> Completion {
        let inner = run(tx);
        Box::new(move |res: BatchResult| {
            let _permit = permit;
            inner(res.clone());
            let _ = reply_tx.send(res.map_err(StoreError::Write));
        })
    });
    sender
        .send(Msg::Op {
            durable,
            actor,
            run,
        })
        .map_err(|_| closed())?;
    Ok(reply_rx)
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Without an explicit stop, closing the channel lets the thread finish the queue,
        // flush and end on its own.
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}
