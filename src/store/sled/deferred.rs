//! What the request path notes in memory for the writer to write later: repeated opens
//! and Continues of a link (a busy link is written once per [`super::LAZY_FLUSH`], not
//! once per request), flows staged for a repeated Continue, and the pending flows of each
//! link (at most [`MAX_FLOWS_PER_LINK`]). Node-local: reads through a transaction and the
//! readers include it.

use super::layout::StoredFlow;
use crate::domain::model::PendingFlow;
use crate::store::MAX_FLOWS_PER_LINK;
pub(super) use crate::store::counts::Counts;
use crate::time::Millis;

/// Opens and Continues counted on a link but not yet written: a busy link is written once
/// per [`super::LAZY_FLUSH`], not once per request. Reads through a [`Tx`] include them.
#[derive(Default)]
pub(super) struct Deferred {
    /// When the oldest item not written yet came (the writer writes them within
    /// [`super::LAZY_FLUSH`] of that).
    pub since: Option<std::time::Instant>,
    pub links: std::collections::HashMap<Vec<u8>, Counts>,
    /// Flows staged by request handlers and not written yet (within a flush interval).
    pub flows: std::collections::HashMap<Vec<u8>, StoredFlow>,
    /// Every pending flow per link, staged or written, oldest first.
    pub link_flows: LinkFlows,
    /// Written flows pushed out by the per-link cap, to delete.
    pub evicted: Vec<Vec<u8>>,
}

impl Deferred {
    pub fn is_empty(&self) -> bool {
        self.links.is_empty() && self.flows.is_empty() && self.evicted.is_empty()
    }

    /// Note that something waits to be written.
    pub fn touch(&mut self) {
        self.since.get_or_insert_with(std::time::Instant::now);
    }

    /// Count a repeat open or Continue of a link.
    pub fn count(&mut self, hash: &[u8], continued: bool) {
        self.touch();
        let c = self.links.entry(hash.to_vec()).or_default();
        if continued {
            c.continues = c.continues.saturating_add(1);
        } else {
            c.opens = c.opens.saturating_add(1);
        }
    }

    /// Take off counts that were written; forget the clock once nothing waits.
    pub fn written(&mut self, hash: &[u8], counts: Counts) {
        if let Some(c) = self.links.get_mut(hash) {
            *c = c.minus(counts);
            if *c == Counts::default() {
                self.links.remove(hash);
            }
        }
        if self.is_empty() {
            self.since = None;
        }
    }

    /// Note a new flow of a link; returns the written flows the cap pushes out (staged
    /// ones are simply dropped).
    pub fn add_flow(&mut self, link_hash: &str, state_hash: &[u8]) -> Vec<Vec<u8>> {
        let mine = self.link_flows.entry(link_hash.to_owned()).or_default();
        mine.push_back(state_hash.to_vec());
        let mut out = Vec::new();
        while mine.len() > MAX_FLOWS_PER_LINK {
            if let Some(old) = mine.pop_front()
                && self.flows.remove(&old).is_none()
            {
                out.push(old);
            }
        }
        out
    }

    pub fn forget_flow(&mut self, link_hash: &str, state_hash: &[u8]) {
        if let Some(q) = self.link_flows.get_mut(link_hash) {
            q.retain(|h| h != state_hash);
            if q.is_empty() {
                self.link_flows.remove(link_hash);
            }
        }
    }

    /// Stage a flow from a request handler: it is found by the callback at once and
    /// written with the next lazy flush (a press of Continue costs no disk write of its
    /// own, and a flood of them is bounded by the per-link cap).
    pub fn stage_flow(&mut self, state_hash: &[u8], flow: PendingFlow, sealed: String) {
        self.touch();
        let evicted = self.add_flow(&flow.link_hash, state_hash);
        self.evicted.extend(evicted);
        self.flows.insert(
            state_hash.to_vec(),
            StoredFlow {
                flow,
                verifier: sealed,
            },
        );
    }

    /// Staged flows still within their sign-in window.
    pub fn staged_pending(&self, now: Millis) -> usize {
        self.flows
            .values()
            .filter(|f| f.flow.expires_at > now)
            .count()
    }
}

/// Pending flows per link (hex SHA-256 of the link code), oldest first: the writer keeps at
/// most [`MAX_FLOWS_PER_LINK`] per link, so pressing Continue again and again cannot grow
/// the store without bound (the oldest flow goes; its callback is then not recognised).
pub(super) type LinkFlows = std::collections::HashMap<String, std::collections::VecDeque<Vec<u8>>>;
