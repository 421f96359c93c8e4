//! Version 4: webhook receivers are recorded in the outbox by an identifier (a keyed hash
//! of the URL; see [`Cipher::webhook_receiver`]) instead of their URL, and the audit
//! chain starts at a genesis entry (see [`crate::store::audit`]).
//!
//! The migration writes a fresh copy of the database (`db.migrating`, renamed
//! `db.migrated` once complete) and swaps it in for the old one, which is then deleted: an
//! in-place rewrite would leave the URLs, with the passwords and tokens some carry, in the
//! old log pages on disk. The old database is not changed before the swap, so a crash
//! part-way leaves it to migrate again; a crash between the two renames of the swap is
//! finished by the next open (`files::finish_swap`).

use std::path::Path;

use super::audit::{key, stored_head};
use super::files::{MIGRATED, OLD, clean_up, io, open_sled};
use super::layout::{META_AUDIT_HEAD, META_SCHEMA, T, TREES, decode, encode};
use crate::domain::anchor::{GENESIS_KIND, GENESIS_SEQ};
use crate::domain::audit::{AuditHead, AuditRecord};
use crate::domain::outbox::OutboxEvent;
use crate::store::audit::{genesis, seal};
use crate::store::{Cipher, StoreError};

const MIGRATING: &str = "db.migrating";
/// Rows copied per sled batch.
const BATCH: usize = 4096;

/// Migrate `old` (schema 3, open at `dir/db` with its lock held) and return the migrated
/// database, open at `dir/db` in its place.
pub(super) fn v3_to_v4(dir: &Path, old: sled::Db, cipher: &Cipher) -> Result<sled::Db, StoreError> {
    tracing::info!("migrating the database from schema version 3 to 4");
    let (aside, done) = (dir.join(MIGRATING), dir.join(MIGRATED));
    for stale in [&aside, &done] {
        if stale.exists() {
            std::fs::remove_dir_all(stale).map_err(|e| io("removing a stale copy", e))?;
        }
    }
    {
        let new = sled::Config::new()
            .path(&aside)
            .flush_every_ms(None)
            .open()?;
        copy(&old, &new, cipher)?;
        chain(&new, cipher)?;
        new.open_tree("meta")?
            .insert(META_SCHEMA, &4u32.to_be_bytes())?;
        new.flush()?;
    }
    let sync = || std::fs::File::open(dir)?.sync_all();
    std::fs::rename(&aside, &done)
        .and_then(|()| sync())
        .map_err(|e| io("completing the copy", e))?;
    // The old database stays locked by this process until the new one is open.
    std::fs::rename(dir.join("db"), dir.join(OLD))
        .and_then(|()| std::fs::rename(&done, dir.join("db")))
        .and_then(|()| sync())
        .map_err(|e| io("swapping the copy in", e))?;
    let db = open_sled(dir)?;
    drop(old);
    clean_up(dir);
    tracing::info!("migration to schema version 4 done");
    Ok(db)
}

/// Every tree of the layout, the outbox's receivers recorded by identifier.
fn copy(old: &sled::Db, new: &sled::Db, cipher: &Cipher) -> Result<(), StoreError> {
    for (t, name) in TREES {
        let (from, to) = (old.open_tree(name)?, new.open_tree(name)?);
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for kv in from.iter() {
            let (k, v) = kv?;
            if t == T::Outbox {
                let mut e: OutboxEvent = decode("outbox event", &v)?;
                e.delivered = e
                    .delivered
                    .iter()
                    .map(|url| cipher.webhook_receiver(url))
                    .collect();
                batch.insert(k, encode(&e));
            } else {
                batch.insert(k, v);
            }
            n += 1;
            if n % BATCH == 0 {
                to.apply_batch(std::mem::take(&mut batch))?;
            }
        }
        to.apply_batch(batch)?;
    }
    Ok(())
}

/// Start the chain at a genesis entry: alone when there was no chain (no entry and no
/// head); before the entries there were, re-linked after it, when they verify. A chain
/// that does not verify is kept as it is, and `audit verify` goes on saying where it
/// breaks; so is a head without entries, which proves entries were removed.
fn chain(db: &sled::Db, cipher: &Cipher) -> Result<(), StoreError> {
    let (tree, meta) = (db.open_tree("audit")?, db.open_tree("meta")?);
    let tenants = db.open_tree("tenants")?.len();
    let now = crate::time::now_ms();
    let Some(first) = tree.iter().next().transpose()? else {
        if meta.contains_key(META_AUDIT_HEAD)? {
            tracing::warn!(
                "the audit chain has a head but no entries: they were removed. It is kept as it was, without a genesis entry, and `audit verify` reports it"
            );
            return Ok(());
        }
        let (g, head) = genesis(
            cipher,
            now,
            "chain_started_by_migration",
            &format!(
                "the audit chain starts at the migration to schema version 4 (the database had none; it held {tenants} tenants)"
            ),
        );
        tree.insert(key(GENESIS_SEQ), encode(&g))?;
        meta.insert(META_AUDIT_HEAD, encode(&head))?;
        return Ok(());
    };
    if decode::<AuditRecord>("audit entry", &first.1).is_ok_and(|r| r.kind == GENESIS_KIND) {
        return Ok(());
    }
    let entries: Vec<AuditRecord> = tree
        .iter()
        .map(|kv| decode("audit entry", &kv?.1))
        .collect::<Result<_, _>>()?;
    let head = stored_head(&meta)?;
    let Some(old_head) = head.filter(|h| holds(&entries, h, cipher)) else {
        tracing::warn!(
            "the audit chain did not verify before the migration: it is kept as it was, without a genesis entry, and `audit verify` reports where it breaks"
        );
        return Ok(());
    };
    let (g, mut head) = genesis(
        cipher,
        now,
        "chain_started_by_migration",
        &format!(
            "the audit chain starts at the migration to schema version 4; entries 1 to {n}, written before, follow re-linked after this one (their old head: entry {n}, hash {hash})",
            n = old_head.seq,
            hash = old_head.hash
        ),
    );
    let mut batch = sled::Batch::default();
    batch.insert(&key(GENESIS_SEQ), encode(&g));
    let mut prev = g.hash;
    for mut rec in entries {
        rec.prev = prev;
        let (rec, h) = seal(cipher, rec);
        prev = rec.hash.clone();
        batch.insert(&key(rec.seq), encode(&rec));
        head = h;
    }
    tree.apply_batch(batch)?;
    meta.insert(META_AUDIT_HEAD, encode(&head))?;
    Ok(())
}

/// A chain as the releases before version 4 wrote it holds: numbered from 1, linked,
/// hashed, ending at a head whose MAC holds under this key.
fn holds(entries: &[AuditRecord], head: &AuditHead, cipher: &Cipher) -> bool {
    let mut prev = "";
    for (i, r) in entries.iter().enumerate() {
        if r.seq != i as u64 + 1 || r.prev != prev || r.compute_hash() != r.hash {
            return false;
        }
        prev = &r.hash;
    }
    head.mac == cipher.audit_mac(head.seq, &head.hash)
        && head.seq == entries.len() as u64
        && head.hash == prev
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::audit::{Entry, link};

    fn entry(cipher: &Cipher, head: Option<&AuditHead>, what: &str) -> (AuditRecord, AuditHead) {
        link(
            cipher,
            head,
            Entry {
                at: 1,
                kind: "command",
                what,
                tenant: None,
                detail: "",
                actor: None,
            },
        )
    }

    #[test]
    fn a_head_over_an_emptied_chain_gets_no_genesis_and_keeps_failing() {
        let cipher = Cipher::from_key(&[3; 32]);
        let db = sled::Config::new().temporary(true).open().unwrap();
        let (tree, meta) = (
            db.open_tree("audit").unwrap(),
            db.open_tree("meta").unwrap(),
        );
        let mut head = None;
        for what in ["a", "b", "c"] {
            let (_, h) = entry(&cipher, head.as_ref(), what);
            head = Some(h);
        }
        // Every entry removed, the signed head of entry 3 kept.
        let head = head.unwrap();
        meta.insert(META_AUDIT_HEAD, encode(&head)).unwrap();
        chain(&db, &cipher).unwrap();
        assert!(tree.is_empty(), "no genesis was written");
        assert_eq!(stored_head(&meta).unwrap(), Some(head));
        let v = super::super::audit::verify_stored(&tree, &meta, 3, &cipher, &[]).unwrap();
        assert!(
            matches!(&v, Err((0, why)) if why.contains("were removed")),
            "{v:?}"
        );
    }

    #[test]
    fn an_old_chain_that_holds_is_relinked_after_a_genesis_and_one_that_does_not_is_kept() {
        let cipher = Cipher::from_key(&[3; 32]);
        for broken in [false, true] {
            let db = sled::Config::new().temporary(true).open().unwrap();
            let (tree, meta) = (
                db.open_tree("audit").unwrap(),
                db.open_tree("meta").unwrap(),
            );
            let mut head = None;
            for what in ["a", "b", "c"] {
                let (r, h) = entry(&cipher, head.as_ref(), what);
                tree.insert(key(r.seq), encode(&r)).unwrap();
                head = Some(h);
            }
            meta.insert(META_AUDIT_HEAD, encode(&head.clone().unwrap()))
                .unwrap();
            if broken {
                tree.remove(key(2)).unwrap();
            }
            chain(&db, &cipher).unwrap();
            let v = super::super::audit::verify_stored(&tree, &meta, 1, &cipher, &[]).unwrap();
            if broken {
                assert!(v.is_err(), "{v:?}");
                assert!(tree.get(key(0)).unwrap().is_none(), "kept as it was");
            } else {
                assert_eq!(v, Ok(4), "the genesis and the three entries");
                let g: AuditRecord = decode("g", &tree.get(key(0)).unwrap().unwrap()).unwrap();
                assert!(g.detail.contains(&head.unwrap().hash), "{}", g.detail);
            }
        }
    }
}
