//! Backups of the sled database: a consistent snapshot of every tree, written in the
//! backup format (see [`crate::store::backup`]: one section per tree, its entries as
//! records), and restoring one into an empty data dir.

use std::path::Path;

use super::backup_chain::{self, ChainEnds};
use super::layout::{self, META_SCHEMA, T, TREES};
use super::overlay::Overlay;
use super::trees::Trees;
use crate::domain::anchor::AuditAnchor;
use crate::store::backup::{
    BackupSummary, BackupWriter, Format, MACED_SINCE_SCHEMA, Section, key_check, read, write_file,
};
use crate::store::{Cipher, KEY_CHECK_SLOT, KeySource, StoreError};

/// Write every tree as the writer sees it now to `path`: what sled holds, with `overlays`
/// (writes of the batch under way) laid over it in order.
pub(super) fn write_snapshot(
    trees: &Trees,
    overlays: &[&Overlay],
    path: &Path,
) -> Result<BackupSummary, StoreError> {
    write_file(path, |file| {
        let schema = trees
            .tree(T::Meta)
            .get(META_SCHEMA)?
            .and_then(|v| layout::u32_of(&v))
            .unwrap_or(0);
        let mut w = BackupWriter::new(file, &trees.cipher, schema)?;
        for (t, name) in TREES {
            w.section(name)?;
            // The writes of the batch under way for this tree (few), laid over what sled
            // holds as the tree is streamed: nothing is copied whole into memory.
            let mut over: std::collections::BTreeMap<Vec<u8>, Option<Vec<u8>>> = Default::default();
            for ov in overlays {
                for ((tree, k), v) in ov.range((t, Vec::new())..) {
                    if *tree != t {
                        break;
                    }
                    over.insert(k.clone(), v.clone());
                }
            }
            for kv in trees.tree(t).iter() {
                let (k, v) = kv?;
                while let Some(first) = over.first_key_value().map(|(ok, _)| ok.clone()) {
                    if first.as_slice() >= k.as_ref() {
                        break;
                    }
                    if let Some(Some(ov)) = over.remove(&first) {
                        w.record(&first, &ov)?;
                    }
                }
                match over.remove(k.as_ref()) {
                    Some(Some(ov)) => w.record(&k, &ov)?,
                    Some(None) => {}
                    None => w.record(&k, &v)?,
                }
            }
            for (k, v) in std::mem::take(&mut over) {
                if let Some(v) = v {
                    w.record(&k, &v)?;
                }
            }
        }
        w.finish()
    })
}

fn bad(why: &str) -> StoreError {
    StoreError::Codec {
        what: "backup file".into(),
        detail: why.into(),
    }
}

/// What a restore wrote, whether the file was one of the old, unauthenticated format, and
/// the ends of the audit chain it brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub summary: BackupSummary,
    pub unauthenticated: bool,
    pub chain: ChainEnds,
}

/// A backup read and checked, ready to be written into a store.
pub(in crate::store) struct Checked {
    pub bytes: u64,
    pub schema: u32,
    pub trees: Vec<Section>,
    pub unauthenticated: bool,
}

impl Checked {
    /// What writing it restored.
    pub fn restored(&self, entries: u64, file: &Path) -> Restored {
        if self.unauthenticated {
            tracing::warn!(file = %file.display(), "restored a backup of the old, unauthenticated format, as the operator accepted");
        }
        Restored {
            summary: BackupSummary {
                entries,
                bytes: self.bytes,
                schema_version: self.schema,
            },
            unauthenticated: self.unauthenticated,
            chain: backup_chain::ends(&self.trees),
        }
    }
}

/// Read `file` and check it before anything is written, whatever it is restored into: it
/// verifies under the key (or, in the old format, the operator accepts it as it is), its
/// key check opens with the key, its schema is one this release reads, and its audit chain
/// holds every anchor in `expect`.
pub(in crate::store) fn checked(
    key: &KeySource,
    file: &Path,
    accept_unauthenticated: bool,
    expect: &[AuditAnchor],
) -> Result<Checked, StoreError> {
    let bytes = std::fs::read(file)
        .map_err(|e| StoreError::Write(format!("reading {}: {e}", file.display())))?;
    let cipher = Cipher::load(key, false)?;
    let refused = |why: String| {
        StoreError::BackupRefused(format!("{}: {why}; nothing was restored", file.display()))
    };
    let (format, schema, trees): (Format, u32, Vec<Section>) =
        read(&bytes, &cipher).map_err(|e| match e {
            StoreError::BackupRefused(why) => refused(why),
            e => e,
        })?;
    let unauthenticated = format == Format::Unauthenticated;
    if unauthenticated && !accept_unauthenticated {
        return Err(refused(format!(
            "it is a backup of the old format (1), whose checksum anyone can make again after editing it, so it cannot be told apart from one altered without the key. If you know where it has been, restore it with `mcp-onboard restore {} --accept-unauthenticated`",
            file.display()
        )));
    }
    if unauthenticated && schema >= MACED_SINCE_SCHEMA {
        return Err(refused(format!(
            "it says it is of the old format (1) but holds schema version {schema}, which only the authenticated format holds: it was relabelled to escape the check, so it is never restored"
        )));
    }
    if schema > layout::SCHEMA_VERSION {
        return Err(StoreError::Schema {
            found: schema,
            expected: layout::SCHEMA_VERSION,
        });
    }
    let check = key_check(&trees).ok_or_else(|| bad("it has no key check"))?;
    cipher
        .open(KEY_CHECK_SLOT, &check)
        .map_err(|_| StoreError::WrongKey)?;
    if let Some(why) = backup_chain::missing(&trees, expect) {
        return Err(refused(why));
    }
    Ok(Checked {
        bytes: bytes.len() as u64,
        schema,
        trees,
        unauthenticated,
    })
}

/// Restore `file` into `dir`, which must hold no database. The key must be the one the
/// backed-up database was made with (its secrets stay sealed under it), the file must
/// verify under it (or, in the old format, be accepted unauthenticated), and its audit
/// chain must hold every anchor in `expect`: all is checked before anything is written.
pub fn restore(
    dir: &Path,
    key: &KeySource,
    file: &Path,
    accept_unauthenticated: bool,
    expect: &[AuditAnchor],
) -> Result<Restored, StoreError> {
    if super::files::exists(dir) {
        return Err(StoreError::Write(format!(
            "{} holds a database already; restore into an empty data dir (e.g. `--data-dir NEW`)",
            dir.display()
        )));
    }
    let backup = checked(key, file, accept_unauthenticated, expect)?;
    super::files::check_data_dir(dir)?;
    // Written aside and renamed into place once complete: a restore that stops part-way
    // leaves no database that would open with part of the data.
    let aside = dir.join("db.restoring");
    if aside.exists() {
        std::fs::remove_dir_all(&aside)
            .map_err(|e| StoreError::Write(format!("removing {}: {e}", aside.display())))?;
    }
    let mut entries = 0u64;
    {
        let db = sled::Config::new().path(&aside).open()?;
        for (name, rows) in &backup.trees {
            let tree = db.open_tree(name)?;
            let mut batch = sled::Batch::default();
            for (k, v) in rows {
                batch.insert(k.as_slice(), v.as_slice());
                entries += 1;
            }
            tree.apply_batch(batch)?;
        }
        db.flush()?;
    }
    std::fs::rename(&aside, dir.join("db"))
        .and_then(|()| std::fs::File::open(dir)?.sync_all())
        .map_err(|e| StoreError::Write(format!("putting the restored database in place: {e}")))?;
    Ok(backup.restored(entries, file))
}
