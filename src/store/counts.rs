//! Opens and Continues of a link: the first of each written at once, later ones counted in
//! memory and written in bulk, so a busy link is written once per [`super::LAZY_FLUSH`],
//! not once per request (every backend counts this way).

use super::{Counted, StoreError, Tx};
use crate::domain::model::{ConsentLink, LinkState};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(in crate::store) struct Counts {
    pub opens: u32,
    pub continues: u32,
}

impl Counts {
    pub fn minus(self, other: Counts) -> Counts {
        Counts {
            opens: self.opens.saturating_sub(other.opens),
            continues: self.continues.saturating_sub(other.continues),
        }
    }

    pub fn apply(self, l: &mut ConsentLink) {
        l.open_count = l.open_count.saturating_add(self.opens);
        l.continue_count = l.continue_count.saturating_add(self.continues);
    }
}

/// Counts noted in memory and not yet written, per link (by the SHA-256 of its code), and
/// since when the oldest has waited.
#[derive(Debug, Default)]
pub(in crate::store) struct PendingCounts {
    pub since: Option<std::time::Instant>,
    pub links: std::collections::HashMap<Vec<u8>, Counts>,
}

impl PendingCounts {
    /// Count a repeat open (`continued`: a repeat Continue) of a link.
    pub fn count(&mut self, hash: &[u8], continued: bool) {
        self.since.get_or_insert_with(std::time::Instant::now);
        let c = self.links.entry(hash.to_vec()).or_default();
        if continued {
            c.continues = c.continues.saturating_add(1);
        } else {
            c.opens = c.opens.saturating_add(1);
        }
    }

    /// Take off counts that were written (or that went with their link).
    pub fn written(&mut self, hash: &[u8], counts: Counts) {
        if let Some(c) = self.links.get_mut(hash) {
            *c = c.minus(counts);
            if *c == Counts::default() {
                self.links.remove(hash);
            }
        }
        if self.links.is_empty() {
            self.since = None;
        }
    }
}

/// Count an open (`continued`: a press of Continue) of a link in `tx`: the first of each
/// is written now and returned ([`Counted::First`]: the caller puts it on the timeline);
/// for a later one ([`Counted::Again`]) the caller counts it in memory, to be written in
/// bulk.
pub(in crate::store) fn count_first<T: Tx + ?Sized>(
    tx: &mut T,
    hash: &[u8],
    continued: bool,
) -> Result<Counted, StoreError> {
    let Some(mut link) = tx.link(hash)? else {
        return Ok(Counted::NotLive);
    };
    let now = tx.now();
    if link.state(now) != LinkState::Active {
        return Ok(Counted::NotLive);
    }
    let first = if continued {
        link.continued_at.is_none()
    } else {
        link.opened_at.is_none()
    };
    if !first {
        return Ok(Counted::Again);
    }
    if continued {
        link.continue_count = link.continue_count.saturating_add(1);
        link.continued_at = Some(now);
    } else {
        link.open_count = link.open_count.saturating_add(1);
        link.opened_at = Some(now);
    }
    tx.put_link(hash, link.clone())?;
    Ok(Counted::First(Box::new(link)))
}
