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

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, oneshot};

use super::batch::Loop;
use super::overlay::SeqState;
use super::queue::{BatchResult, Completion, Msg, Run, Shared};
use super::tx::SledTx;
use crate::domain::audit::Operator;
use crate::store::inbox::{Inbox, stopped};
use crate::store::{BoxFuture, Durability, StoreError, TxOp};

/// The sending half: the only way to change the database.
pub(super) struct Writer {
    inbox: Inbox<Msg>,
    failed: Arc<Mutex<Option<String>>>,
}

impl Writer {
    pub fn start(shared: Shared, seq: SeqState) -> Result<Self, StoreError> {
        let failed = shared.failed.clone();
        let inbox = Inbox::start(move |rx| Loop::new(shared, seq, rx).run())?;
        Ok(Self { inbox, failed })
    }

    /// Run `op` on the writer thread inside the next batch, for `actor` (see
    /// [`crate::store::Backend::submit`] and [`Inbox::enqueue`]).
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
            out_rx.await.map_err(|_| stopped())?
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
        let (reply, answer) = oneshot::channel();
        let queued = self
            .inbox
            .enqueue(move |permit| op_msg(durable, actor, permit, run, reply));
        Box::pin(async move {
            queued.await?;
            answer.await.map_err(|_| stopped())?
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
        let sent = self.inbox.send(Msg::Barrier(answering(tx)));
        Box::pin(async move {
            sent?;
            rx.await
                .map_err(|_| StoreError::Closed("the store writer stopped".into()))?
                .map_err(StoreError::Write)
        })
    }

    /// Tests: make the writer stop answering for `d`, as a stuck disk would.
    pub fn stall_for_tests(&self, d: Duration) {
        let _ = self.inbox.send(Msg::Stall(d));
    }

    /// Finish what is queued, flush, and stop the thread. Waits at most `grace`; what was
    /// acknowledged as durable is on disk whatever happens, since its reply came after
    /// its flush.
    pub async fn stop(&self, grace: Duration) -> Result<(), StoreError> {
        let stopped = self
            .inbox
            .stop(grace, |tx| Msg::Stop(answering(tx)))
            .await?;
        stopped.unwrap_or(Ok(())).map_err(StoreError::Write)
    }
}

/// A completion that sends how its batch ended to `tx`.
fn answering(tx: oneshot::Sender<BatchResult>) -> Completion {
    Box::new(move |r| {
        let _ = tx.send(r);
    })
}

/// One operation as queued: its permit is held, and `reply` told how its batch ended, once
/// the batch has.
fn op_msg(
    durable: bool,
    actor: Option<Operator>,
    permit: OwnedSemaphorePermit,
    run: Run,
    reply: oneshot::Sender<Result<(), StoreError>>,
) -> Msg {
    let run: Run = Box::new(move |tx: &mut SledTx<'_>| -> Completion {
        let inner = run(tx);
        Box::new(move |res: BatchResult| {
            let _permit = permit;
            inner(res.clone());
            let _ = reply.send(res.map_err(StoreError::Write));
        })
    });
    Msg::Op {
        durable,
        actor,
        run,
    }
}
