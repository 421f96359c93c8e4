//! The webhook events a tenant's commit puts in the outbox, with their keys, whichever
//! backend stores them (the keys are sled's layout, which a backup of either holds).

use super::sled::layout::{seq_key, u64_of};
use crate::domain::model::Tenant;
use crate::domain::outbox::OutboxEvent;
use crate::time::Millis;

/// The events of the change numbered `seq` (of `before` into `after`: one per integration
/// whose status changed, see [`OutboxEvent::of_commit`]), each with its key.
pub(in crate::store) fn queued(
    before: Option<&Tenant>,
    after: &Tenant,
    seq: u64,
    at: Millis,
) -> Vec<(Vec<u8>, OutboxEvent)> {
    OutboxEvent::of_commit(before, after, seq, at)
        .into_iter()
        .enumerate()
        .map(|(n, e)| (key(seq, n), e))
        .collect()
}

/// The key of a change's `n`th event: the change's sequence number (the order of the
/// changes, across batches and restarts, whatever the clock does), then for a second
/// event on its number, so it sorts after the first and before the next change's.
fn key(seq: u64, n: usize) -> Vec<u8> {
    let mut key = seq_key(seq).to_vec();
    if n > 0 {
        key.push(u8::try_from(n).unwrap_or(u8::MAX));
    }
    key
}

/// The sequence number of the change an outbox key belongs to.
pub(in crate::store) fn seq_of(key: &[u8]) -> Option<u64> {
    key.get(..8).and_then(u64_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changes_events_sort_in_order_between_the_changes_before_and_after_it() {
        let keys = [key(4, 0), key(5, 0), key(5, 1), key(5, 2), key(6, 0)];
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        assert_eq!(
            keys.iter().map(|k| seq_of(k)).collect::<Vec<_>>(),
            [Some(4), Some(5), Some(5), Some(5), Some(6)]
        );
        assert_eq!(seq_of(&[1, 2]), None);
    }
}
