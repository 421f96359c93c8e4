//! Backups: a consistent snapshot of every tree in one file, secrets still sealed (the
//! file is as safe as the database, and useless without its key), and restoring one into
//! an empty data dir.
//!
//! The file (format 2): a header line `mcp-onboard backup 2`, the schema version (u32),
//! then for each tree its name and its entries (`1`, key length u32, key, value length u32,
//! value; `0` ends the tree), `0xff` after the last tree, and an HMAC-SHA256 of everything
//! before it under a key derived from the master key: nobody without the key can change
//! a byte of it (remove audit entries, plant a link) and have it restored. All integers
//! big-endian.
//!
//! Format 1 (the releases before) ended in a plain SHA-256, which anyone can make again
//! after editing the file: it is restored only when the operator accepts it
//! unauthenticated, and never when it holds a schema that came with format 2 (it was
//! relabelled).

use std::io::{Read, Write};
use std::path::Path;

use hmac::Mac;
use sha2::{Digest, Sha256};

use super::backup_chain::{self, ChainEnds, Tree};
use super::layout::{self, META_KEY_CHECK, META_SCHEMA, T, TREES};
use super::writer::Overlay;
use super::{Cipher, KeySource, StoreError};
use crate::domain::anchor::AuditAnchor;

const MAGIC: &[u8] = b"mcp-onboard backup 2\n";
/// The unauthenticated format of the releases before.
const MAGIC_V1: &[u8] = b"mcp-onboard backup 1\n";
const KEY_CHECK_SLOT: &[u8] = b"meta/key_check";
/// The schema that came with the authenticated format: no genuine backup of the old
/// format holds it or a later one.
const MACED_SINCE_SCHEMA: u32 = 4;

/// What a backup or a restore wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BackupSummary {
    pub entries: u64,
    pub bytes: u64,
    pub schema_version: u32,
}

/// MACs what goes through it.
struct Hashing<W> {
    inner: W,
    mac: hmac::Hmac<Sha256>,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.mac.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Write(format!("writing the backup: {e}"))
}

/// Write every tree as the writer sees it now: what sled holds, with `overlays` (writes of
/// the batch under way) laid over it in order.
pub(super) fn write(
    trees: &super::Trees,
    overlays: &[&Overlay],
    out: impl Write,
) -> Result<BackupSummary, StoreError> {
    let mut w = Hashing {
        inner: std::io::BufWriter::new(out),
        mac: trees.cipher.backup_mac(),
        bytes: 0,
    };
    let schema = trees
        .tree(T::Meta)
        .get(META_SCHEMA)?
        .and_then(|v| layout::u32_of(&v))
        .unwrap_or(0);
    w.write_all(MAGIC).map_err(io)?;
    w.write_all(&schema.to_be_bytes()).map_err(io)?;
    let mut entries = 0u64;
    for (t, name) in TREES {
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
        w.write_all(&(name.len() as u32).to_be_bytes())
            .map_err(io)?;
        w.write_all(name.as_bytes()).map_err(io)?;
        let mut row = |w: &mut Hashing<_>, k: &[u8], v: &[u8]| -> Result<(), StoreError> {
            w.write_all(&[1]).map_err(io)?;
            w.write_all(&(k.len() as u32).to_be_bytes()).map_err(io)?;
            w.write_all(k).map_err(io)?;
            w.write_all(&(v.len() as u32).to_be_bytes()).map_err(io)?;
            w.write_all(v).map_err(io)?;
            entries += 1;
            Ok(())
        };
        for kv in trees.tree(t).iter() {
            let (k, v) = kv?;
            while let Some(first) = over.first_key_value().map(|(ok, _)| ok.clone()) {
                if first.as_slice() >= k.as_ref() {
                    break;
                }
                if let Some(Some(ov)) = over.remove(&first) {
                    row(&mut w, &first, &ov)?;
                }
            }
            match over.remove(k.as_ref()) {
                Some(Some(ov)) => row(&mut w, &k, &ov)?,
                Some(None) => {}
                None => row(&mut w, &k, &v)?,
            }
        }
        for (k, v) in std::mem::take(&mut over) {
            if let Some(v) = v {
                row(&mut w, &k, &v)?;
            }
        }
        w.write_all(&[0]).map_err(io)?;
    }
    w.write_all(&[0xff]).map_err(io)?;
    let digest = w.mac.clone().finalize().into_bytes();
    let bytes = w.bytes + digest.len() as u64;
    w.inner.write_all(&digest).map_err(io)?;
    w.inner.flush().map_err(io)?;
    let file = w.inner.into_inner().map_err(|e| io(e.into_error()))?;
    drop(file);
    Ok(BackupSummary {
        entries,
        bytes,
        schema_version: schema,
    })
}

/// Write a backup of `trees` to `path` (a new file, mode 0600, written aside and renamed
/// into place once complete).
pub(super) fn write_file(
    trees: &super::Trees,
    overlays: &[&Overlay],
    path: &Path,
) -> Result<BackupSummary, StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    if path.exists() {
        return Err(StoreError::Write(format!(
            "{} exists already; a backup never overwrites a file",
            path.display()
        )));
    }
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    let partial = path.with_file_name(name);
    // A part left by a backup that stopped is ours to replace.
    let _ = std::fs::remove_file(&partial);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .map_err(|e| StoreError::Write(format!("creating {}: {e}", partial.display())))?;
    let done = write(trees, overlays, &file).and_then(|s| {
        file.sync_all().map_err(io)?;
        // Linked in place, not renamed: a file that appeared meanwhile is never replaced.
        std::fs::hard_link(&partial, path).map_err(io)?;
        std::fs::remove_file(&partial).map_err(io)?;
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
        Ok(s)
    });
    if done.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    done
}

fn bad(why: &str) -> StoreError {
    StoreError::Codec {
        what: "backup file".into(),
        detail: why.into(),
    }
}

/// Which backup format a file is in, as far as its first line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// Authenticated under the master key.
    Maced,
    /// The old format: a plain checksum anyone can make.
    Unauthenticated,
}

/// Read and check a backup: its header, its MAC (or, for the old format, its checksum),
/// its shape. `Err` says why it is refused.
fn read(bytes: &[u8], cipher: &Cipher) -> Result<(Format, u32, Vec<Tree>), StoreError> {
    let format = if bytes.starts_with(MAGIC) {
        Format::Maced
    } else if bytes.starts_with(MAGIC_V1) {
        Format::Unauthenticated
    } else {
        return Err(bad("not an mcp-onboard backup"));
    };
    if bytes.len() < MAGIC.len() + 4 + 1 + 32 {
        return Err(bad("not an mcp-onboard backup"));
    }
    let (body, tag) = bytes.split_at(bytes.len() - 32);
    let checked = match format {
        Format::Maced => {
            let mut mac = cipher.backup_mac();
            mac.update(body);
            mac.verify_slice(tag).is_ok()
        }
        Format::Unauthenticated => Sha256::digest(body).as_slice() == tag,
    };
    let parsed = parse(body);
    if !checked {
        // Made under another key, if its own key check says so; else altered or damaged.
        if let Ok((_, trees)) = &parsed
            && key_check(trees).is_some_and(|c| cipher.open(KEY_CHECK_SLOT, &c).is_err())
        {
            return Err(StoreError::WrongKey);
        }
        return Err(StoreError::BackupRefused(match format {
            Format::Maced => "it does not verify under this key: the checksum does not match (an HMAC under a key derived from the master key), so it was altered, damaged or cut short after it was written".into(),
            Format::Unauthenticated => "its checksum does not match: the file is damaged or incomplete".into(),
        }));
    }
    let (schema, trees) = parsed?;
    Ok((format, schema, trees))
}

fn key_check(trees: &[Tree]) -> Option<Vec<u8>> {
    trees
        .iter()
        .find(|(n, _)| n == "meta")
        .and_then(|(_, rows)| rows.iter().find(|(k, _)| k == META_KEY_CHECK))
        .map(|(_, v)| v.clone())
}

/// The trees of a backup's body (after its first line, before its MAC).
fn parse(body: &[u8]) -> Result<(u32, Vec<Tree>), StoreError> {
    let start = body
        .iter()
        .position(|b| *b == b'\n')
        .map_or(body.len(), |i| i + 1);
    let mut r = &body[start..];
    let u32_of = |r: &mut &[u8]| -> Result<u32, StoreError> {
        let mut b = [0u8; 4];
        r.read_exact(&mut b).map_err(|_| bad("truncated"))?;
        Ok(u32::from_be_bytes(b))
    };
    let schema = u32_of(&mut r)?;
    let mut trees = Vec::new();
    loop {
        if r.first() == Some(&0xff) {
            break;
        }
        let n = u32_of(&mut r)? as usize;
        if r.len() < n {
            return Err(bad("truncated"));
        }
        let name = String::from_utf8(r[..n].to_vec()).map_err(|_| bad("a tree name"))?;
        r = &r[n..];
        let mut rows = Vec::new();
        loop {
            let tag = *r.first().ok_or_else(|| bad("truncated"))?;
            r = &r[1..];
            if tag == 0 {
                break;
            }
            let kl = u32_of(&mut r)? as usize;
            if r.len() < kl {
                return Err(bad("truncated"));
            }
            let k = r[..kl].to_vec();
            r = &r[kl..];
            let vl = u32_of(&mut r)? as usize;
            if r.len() < vl {
                return Err(bad("truncated"));
            }
            let v = r[..vl].to_vec();
            r = &r[vl..];
            rows.push((k, v));
        }
        trees.push((name, rows));
    }
    Ok((schema, trees))
}

/// What a restore wrote, whether the file was one of the old, unauthenticated format, and
/// the ends of the audit chain it brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub summary: BackupSummary,
    pub unauthenticated: bool,
    pub chain: ChainEnds,
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
    if super::exists(dir) {
        return Err(StoreError::Write(format!(
            "{} holds a database already; restore into an empty data dir (e.g. `--data-dir NEW`)",
            dir.display()
        )));
    }
    let bytes = std::fs::read(file)
        .map_err(|e| StoreError::Write(format!("reading {}: {e}", file.display())))?;
    let cipher = Cipher::load(key, false)?;
    let refused = |why: String| {
        StoreError::BackupRefused(format!("{}: {why}; nothing was restored", file.display()))
    };
    let (format, schema, trees) = read(&bytes, &cipher).map_err(|e| match e {
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
    super::check_data_dir(dir)?;
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
        for (name, rows) in &trees {
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
    if unauthenticated {
        tracing::warn!(file = %file.display(), "restored a backup of the old, unauthenticated format, as the operator accepted");
    }
    Ok(Restored {
        summary: BackupSummary {
            entries,
            bytes: bytes.len() as u64,
            schema_version: schema,
        },
        unauthenticated,
        chain: backup_chain::ends(&trees),
    })
}
