//! What a backup says of its audit chain, read before it is restored: its genesis entry and
//! its head (each as `SEQ:HASH`, as `audit head` prints them), so a restore shows which
//! database it brings back; and whether it holds each anchor the operator expects, so one
//! that is not the expected database (or older than the anchor) is refused before anything
//! is written.

use super::audit;
use super::layout::{META_AUDIT_HEAD, decode};
use crate::domain::anchor::{AuditAnchor, GENESIS_KIND, GENESIS_SEQ};
use crate::domain::audit::{AuditHead, AuditRecord};
use crate::store::backup::Section as Tree;

/// The ends of a backup's audit chain, where it has them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainEnds {
    pub genesis: Option<AuditAnchor>,
    pub head: Option<AuditAnchor>,
}

fn rows<'a>(trees: &'a [Tree], name: &str) -> &'a [(Vec<u8>, Vec<u8>)] {
    trees
        .iter()
        .find(|(n, _)| n == name)
        .map_or(&[], |(_, rows)| rows.as_slice())
}

/// The audit entry numbered `seq`, if the backup holds it readable.
fn entry(trees: &[Tree], seq: u64) -> Option<AuditRecord> {
    let key = audit::key(seq);
    rows(trees, "audit")
        .iter()
        .find(|(k, _)| k.as_slice() == key)
        .and_then(|(_, v)| decode::<AuditRecord>("audit entry", v).ok())
}

pub(super) fn ends(trees: &[Tree]) -> ChainEnds {
    let genesis = entry(trees, GENESIS_SEQ)
        .filter(|r| r.kind == GENESIS_KIND)
        .map(|r| AuditAnchor {
            seq: r.seq,
            hash: r.hash,
        });
    let head = rows(trees, "meta")
        .iter()
        .find(|(k, _)| k.as_slice() == META_AUDIT_HEAD)
        .and_then(|(_, v)| decode::<AuditHead>("audit head", v).ok())
        .map(|h| AuditAnchor {
            seq: h.seq,
            hash: h.hash,
        });
    ChainEnds { genesis, head }
}

/// Why the backup does not hold `expect` (the first anchor it misses), if it does not.
pub(super) fn missing(trees: &[Tree], expect: &[AuditAnchor]) -> Option<String> {
    expect.iter().find_map(|a| match entry(trees, a.seq) {
        Some(r) if r.hash == a.hash => None,
        Some(_) => Some(format!(
            "its audit entry {} is not the anchored one ({a}): it is another database, or its chain was rewritten",
            a.seq
        )),
        None => Some(format!(
            "it holds no audit entry {} of the anchor {a}: it is another database, or older than the anchor",
            a.seq
        )),
    })
}
