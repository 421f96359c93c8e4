//! The fence on writes of leader-only work: an operation submitted for a background worker
//! (see [`crate::domain::actor::Actor::leader_only`]) carries the epoch its node led under
//! when it was submitted. The batch that runs it reads the lease row `FOR SHARE` in its
//! own transaction, sent with its `BEGIN` (no extra round trip), and only when one of its
//! operations is fenced: a takeover (an `UPDATE` of that row) then waits for the batch to
//! commit, or the batch sees it. An operation whose holder or epoch is not the lease's
//! fails alone with [`NotLeader`]; the batch's other operations go on.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use tokio_postgres::SimpleQueryMessage;

use crate::store::{NotLeader, StoreError};

const READ_LEASE: &str = "SELECT holder, epoch FROM leader_lease WHERE id = 1 FOR SHARE";

/// Who an operation was submitted under: this node, leading under `epoch`.
#[derive(Debug, Clone)]
pub(super) struct Fenced {
    pub node: Arc<str>,
    pub epoch: u64,
}

/// The lease as the batch's transaction read it: its holder and epoch.
pub(super) type Lease = Option<(Option<String>, u64)>;

/// Whether the batch (but the operations left out, `skip`) holds a fenced operation; the
/// batch's operations' fences, in order.
pub(super) fn any<'a>(
    fences: impl Iterator<Item = Option<&'a Fenced>>,
    skip: &HashMap<usize, String>,
) -> bool {
    fences
        .enumerate()
        .any(|(i, f)| f.is_some() && !skip.contains_key(&i))
}

/// The batch's `BEGIN` statements, with the lease's read after them when `fenced`.
pub(super) fn begin(begin: &str, fenced: bool) -> Cow<'_, str> {
    if fenced {
        Cow::Owned(format!("{begin}; {READ_LEASE}"))
    } else {
        Cow::Borrowed(begin)
    }
}

/// The lease row among what the `BEGIN` statements answered (the second row: the first is
/// the change sequence's); `None` when it was not asked.
pub(super) fn lease(answered: &[SimpleQueryMessage], fenced: bool) -> Lease {
    if !fenced {
        return None;
    }
    answered
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(r),
            _ => None,
        })
        .nth(1)
        .map(|r| {
            let holder = r.get(0).map(str::to_owned);
            let epoch = r.get(1).and_then(|e| e.parse().ok()).unwrap_or(0);
            (holder, epoch)
        })
}

/// `Err` when an operation is fenced (`fence`) and the lease is not held by its node under
/// its epoch.
pub(super) fn admit(fence: Option<&Fenced>, lease: &Lease) -> Result<(), StoreError> {
    let Some(f) = fence else {
        return Ok(());
    };
    match lease {
        Some((Some(holder), epoch)) if **holder == *f.node && *epoch == f.epoch => Ok(()),
        _ => Err(NotLeader.into()),
    }
}
