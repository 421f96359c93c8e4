//! What the batch under way has written so far, and where the sequence stands.

use std::collections::BTreeMap;

use super::layout::T;

/// The batch's writes so far: tree and key to the new value (`None`: removed).
pub(super) type Overlay = BTreeMap<(T, Vec<u8>), Option<Vec<u8>>>;

/// Sequence numbers reserved on disk ahead of use, so a number once published is never
/// handed out again after a crash.
pub const SEQ_RESERVE: u64 = 1000;

/// Where the sequence stands: `next` is handed out next; numbers up to `reserved` are
/// covered by the reservation on disk.
#[derive(Debug, Clone, Copy)]
pub(super) struct SeqState {
    pub next: u64,
    pub reserved: u64,
}
