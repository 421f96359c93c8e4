//! The writer: a thread of its own with a connection of its own, fed by a channel. It
//! takes what is queued (a batch) and runs it in one SERIALIZABLE transaction, each
//! operation under a savepoint of its own (an operation that fails leaves nothing, the
//! others stay), and publishes the batch's changes once it committed (in change-number
//! order with the other nodes' commits, see `feed`). Why one writer per process: the batch
//! holds the change sequence's row from its start to its commit, so the numbers are handed
//! out in commit order (across processes too: the row is theirs to wait for); and many
//! durable operations share one commit (group commit).
//!
//! A batch that lost a serialization conflict or a deadlock is run again from the start
//! (its operations are `Fn`), a few times at most; so is one whose connection broke before
//! its commit (on a new connection). A commit whose outcome is unknown (the connection
//! broke during it) stops the store: what the database holds is then unknown here.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use super::batch::Loop;
use super::db::Target;
use super::fence::Fenced;
use super::queue::{Msg, Queued, Work};
use super::shared::Shared;
use crate::domain::audit::Operator;
use crate::store::inbox::{Inbox, stopped};
use crate::store::{BoxFuture, Durability, StoreError, TxOp};

pub(super) struct Writer {
    inbox: Inbox<Msg>,
}

impl Writer {
    pub fn start(shared: Arc<Shared>, target: Target) -> Result<Self, StoreError> {
        let inbox = Inbox::start(move |rx| Loop::new(shared, target, rx).run())?;
        Ok(Self { inbox })
    }

    /// Queue `op` (see [`crate::store::Backend::submit`] and [`Inbox::enqueue`]).
    pub fn submit(
        &self,
        actor: Option<Operator>,
        fence: Option<Fenced>,
        durability: Durability,
        op: TxOp,
    ) -> BoxFuture<'static, Result<(), StoreError>> {
        let durable = durability == Durability::Durable;
        let (reply, answer) = oneshot::channel();
        let queued = self.inbox.enqueue(move |permit| {
            Msg::Op(Queued {
                durable,
                actor,
                fence,
                work: Work::Op(op),
                reply: Some(reply),
                _permit: Some(permit),
            })
        });
        Box::pin(async move {
            queued.await?;
            answer.await.map_err(|_| stopped())?
        })
    }

    /// Resolve once everything queued before is committed (`durable`: and on disk).
    pub fn barrier(&self, durable: bool) -> BoxFuture<'static, Result<(), StoreError>> {
        let (reply, answer) = oneshot::channel();
        let sent = self.inbox.send(Msg::Barrier(durable, reply));
        Box::pin(async move {
            sent?;
            answer.await.map_err(|_| stopped())?
        })
    }

    pub fn stall_for_tests(&self, d: Duration) {
        let _ = self.inbox.send(Msg::Stall(d));
    }

    /// Finish what is queued, write the counts noted in memory, make it all durable and
    /// stop the thread. Waits at most `grace`.
    pub async fn stop(&self, grace: Duration) -> Result<(), StoreError> {
        self.inbox.stop(grace, Msg::Stop).await?.unwrap_or(Ok(()))
    }
}
