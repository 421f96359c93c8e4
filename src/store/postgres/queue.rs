//! What the store's callers queue for the writer thread (see `writer`), and how it answers.

use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, oneshot};

use super::fence::Fenced;
use crate::domain::audit::Operator;
use crate::store::{StoreError, TxOp};

pub(super) type Reply = oneshot::Sender<Result<(), StoreError>>;

/// What an operation runs: the caller's, or writing out the counts noted in memory.
pub(super) enum Work {
    Op(TxOp),
    Counts,
}

pub(super) struct Queued {
    pub durable: bool,
    pub actor: Option<Operator>,
    /// Leader-only work: the lease it was submitted under (see `fence`).
    pub fence: Option<Fenced>,
    pub work: Work,
    pub reply: Option<Reply>,
    pub _permit: Option<OwnedSemaphorePermit>,
}

pub(super) enum Msg {
    Op(Queued),
    /// Answer once everything queued before is committed (`true`: and on disk).
    Barrier(bool, Reply),
    /// Tests: the database stops answering for this long.
    Stall(Duration),
    Stop(Reply),
}
