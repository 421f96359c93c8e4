//! The audit chain, whichever backend stores it: entries numbered from 0, each hash
//! covering the one before, and a head (last number and hash, with a MAC under a key
//! derived from the master key). This file links, seals and verifies; a backend stores
//! the entries and the head (sled: see `sled::audit`).
//!
//! Entry 0 is the genesis, written when the database is made (or by the migration that
//! brought the chain in); every later entry's hash covers the one before. So nobody
//! without the key can remove entries from the end (the head's MAC says how many there
//! are), nor empty the chain (a chain without its genesis does not verify). Rolling the
//! whole database back to an older copy keeps a genuine MAC: an anchor noted outside the
//! box (`audit head`, checked by `audit verify --expect`) is what shows that.

use super::crypto::Cipher;
use super::error::StoreError;
use crate::domain::anchor::{AuditAnchor, GENESIS_KIND, GENESIS_SEQ};
use crate::domain::audit::{AuditHead, AuditRecord, Operator};
use crate::domain::model::AuditEvent;
use crate::time::Millis;

/// What an entry says, before it is linked into the chain.
pub struct Entry<'a> {
    pub at: Millis,
    pub kind: &'a str,
    pub what: &'a str,
    pub tenant: Option<&'a str>,
    pub detail: &'a str,
    pub actor: Option<Operator>,
}

/// What the chain says of a tenant's lifecycle event: its kind, and its detail (naming the
/// integration it is about, see [`crate::domain::audit::event_detail`]).
pub fn of_event(e: &AuditEvent) -> (String, String) {
    let what = serde_json::to_value(e.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    (what, crate::domain::audit::event_detail(e))
}

/// `Err((entry, why))`: the first entry that does not hold.
pub type Verdict = Result<u64, (u64, String)>;

/// Hash `rec` (its `prev` set) and make the head it becomes.
pub fn seal(cipher: &Cipher, mut rec: AuditRecord) -> (AuditRecord, AuditHead) {
    rec.hash = rec.compute_hash();
    let head = AuditHead {
        seq: rec.seq,
        mac: cipher.audit_mac(rec.seq, &rec.hash),
        hash: rec.hash.clone(),
    };
    (rec, head)
}

/// The entry after `head`. Without a head the entry takes number 1, linked to nothing:
/// only a genesis starts a chain, so a chain whose start was removed never verifies again.
pub fn link(cipher: &Cipher, head: Option<&AuditHead>, e: Entry<'_>) -> (AuditRecord, AuditHead) {
    let (seq, prev) = head.map_or((1, String::new()), |h| (h.seq + 1, h.hash.clone()));
    seal(
        cipher,
        AuditRecord {
            seq,
            at: e.at,
            kind: e.kind.to_owned(),
            what: e.what.to_owned(),
            tenant: e.tenant.map(str::to_owned),
            detail: crate::text::clean(e.detail),
            actor: e.actor,
            prev,
            hash: String::new(),
        },
    )
}

/// The genesis entry, saying how the chain began.
pub fn genesis(cipher: &Cipher, at: Millis, what: &str, detail: &str) -> (AuditRecord, AuditHead) {
    seal(
        cipher,
        AuditRecord {
            seq: GENESIS_SEQ,
            at,
            kind: GENESIS_KIND.to_owned(),
            what: what.to_owned(),
            tenant: None,
            detail: detail.to_owned(),
            actor: None,
            prev: String::new(),
            hash: String::new(),
        },
    )
}

/// Check the chain: a genesis first, each entry's hash, its link to the one before, no
/// gap, the head (number, hash, MAC), and each anchor (the entry at its number has its
/// hash). `Ok` is the number of entries.
///
/// `entries` are the stored entries in order: each one's number as stored, and the entry
/// (`Err`: unreadable); `head` is the stored head; `tenants`, how many tenants there are.
pub fn verify(
    entries: impl Iterator<Item = Result<(u64, Result<AuditRecord, StoreError>), StoreError>>,
    head: Option<AuditHead>,
    tenants: usize,
    cipher: &Cipher,
    anchors: &[AuditAnchor],
) -> Result<Verdict, StoreError> {
    let mut prev = String::new();
    let mut expect = GENESIS_SEQ;
    for entry in entries {
        let (at, r) = entry?;
        let Ok(r) = r else {
            return Ok(Err((at, "the entry is unreadable".into())));
        };
        if r.seq != expect || at != expect {
            let why = if expect == GENESIS_SEQ {
                format!(
                    "the genesis entry is missing (the chain starts at entry {at}): its start was removed"
                )
            } else {
                format!("entry {expect} is missing (found {})", r.seq)
            };
            return Ok(Err((expect, why)));
        }
        if expect == GENESIS_SEQ && r.kind != GENESIS_KIND {
            return Ok(Err((expect, "entry 0 is not the genesis entry".into())));
        }
        if r.prev != prev {
            return Ok(Err((
                r.seq,
                "it does not follow the entry before it".into(),
            )));
        }
        if r.compute_hash() != r.hash {
            return Ok(Err((
                r.seq,
                "its content was altered (the hash does not match)".into(),
            )));
        }
        if let Some(a) = anchors.iter().find(|a| a.seq == r.seq && a.hash != r.hash) {
            return Ok(Err((
                r.seq,
                format!(
                    "entry {} is not the anchored one (its hash is {}, the anchor {a} says {}): the chain was rewritten or rolled back since the anchor was taken",
                    r.seq,
                    short(&r.hash),
                    short(&a.hash)
                ),
            )));
        }
        prev = r.hash;
        expect += 1;
    }
    let Some(last) = expect.checked_sub(1) else {
        let why = match (&head, tenants) {
            (Some(h), _) => format!(
                "the chain is empty but its head says it ends at entry {}: its entries, the genesis among them, were removed",
                h.seq
            ),
            (None, 0) => "the chain is empty: it has no genesis entry".to_owned(),
            (None, n) => format!(
                "the chain is empty, without its genesis entry, but the database holds {n} tenant{}: its entries were removed",
                if n == 1 { "" } else { "s" }
            ),
        };
        return Ok(Err((GENESIS_SEQ, why)));
    };
    let Some(h) = head else {
        return Ok(Err((last, "the chain's head is missing".into())));
    };
    if h.mac != cipher.audit_mac(h.seq, &h.hash) {
        return Ok(Err((
            h.seq,
            "the head's MAC does not match: it was not written with this key".into(),
        )));
    }
    if h.seq != last || h.hash != prev {
        return Ok(Err((
            last + 1,
            format!(
                "the head says it ends at entry {}, the chain ends at entry {last}: entries were removed",
                h.seq
            ),
        )));
    }
    if let Some(a) = anchors.iter().find(|a| a.seq > last) {
        return Ok(Err((
            a.seq,
            format!(
                "entry {} of the anchor {a} is not in the chain, which ends at entry {last}: it was rolled back since the anchor was taken",
                a.seq
            ),
        )));
    }
    Ok(Ok(last + 1))
}

/// The head and when its entry was written, if its MAC holds under this key and its entry
/// is there (`entry_at`: the entry under a number, if stored and readable); `Err` says why
/// not.
pub fn checked_head(
    head: Option<AuditHead>,
    cipher: &Cipher,
    entry_at: impl FnOnce(u64) -> Result<Option<AuditRecord>, StoreError>,
) -> Result<Result<(AuditHead, Millis), String>, StoreError> {
    let Some(h) = head else {
        return Ok(Err("the audit chain has no head: run `audit verify`".into()));
    };
    if h.mac != cipher.audit_mac(h.seq, &h.hash) {
        return Ok(Err(
            "the audit chain's head does not verify under this key: run `audit verify`".into(),
        ));
    }
    let at = entry_at(h.seq)?.filter(|r| r.hash == h.hash).map(|r| r.at);
    Ok(at
        .map(|at| (h, at))
        .ok_or_else(|| "the head's entry is not in the chain: run `audit verify`".to_owned()))
}

/// The first hex digits of a hash, enough to tell two apart in a message.
fn short(hash: &str) -> String {
    let s: String = hash.chars().take(12).collect();
    format!("{s}…")
}
