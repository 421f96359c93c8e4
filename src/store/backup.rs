//! Backups: a consistent snapshot of every tree in one file, secrets still sealed (the
//! file is as safe as the database, and useless without its key), and restoring one into
//! an empty data dir.
//!
//! The file: a header line `mcp-onboard backup 1`, the schema version (u32), then for each
//! tree its name and its entries (`1`, key length u32, key, value length u32, value; `0`
//! ends the tree), `0xff` after the last tree, and the SHA-256 of everything before it.
//! All integers big-endian.

use std::io::{Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::layout::{self, META_KEY_CHECK, META_SCHEMA, T, TREES};
use super::writer::Overlay;
use super::{Cipher, KeySource, StoreError};

const MAGIC: &[u8] = b"mcp-onboard backup 1\n";
const KEY_CHECK_SLOT: &[u8] = b"meta/key_check";

/// What a backup or a restore wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BackupSummary {
    pub entries: u64,
    pub bytes: u64,
    pub schema_version: u32,
}

/// Hashes what goes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
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
        hash: Sha256::new(),
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
    let digest = w.hash.clone().finalize();
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

/// One tree as read back.
type Tree = (String, Vec<(Vec<u8>, Vec<u8>)>);

fn bad(why: &str) -> StoreError {
    StoreError::Codec {
        what: "backup file".into(),
        detail: why.into(),
    }
}

/// Read and check a backup: its header, its hash, its shape.
fn read(bytes: &[u8]) -> Result<(u32, Vec<Tree>), StoreError> {
    if bytes.len() < MAGIC.len() + 4 + 1 + 32 || !bytes.starts_with(MAGIC) {
        return Err(bad("not an mcp-onboard backup"));
    }
    let (body, digest) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(body).as_slice() != digest {
        return Err(bad(
            "its checksum does not match: the file is damaged or incomplete",
        ));
    }
    let mut r = &body[MAGIC.len()..];
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

/// Restore `file` into `dir`, which must hold no database. The key must be the one the
/// backed-up database was made with (its secrets stay sealed under it); that is checked
/// before anything is written.
pub fn restore(dir: &Path, key: &KeySource, file: &Path) -> Result<BackupSummary, StoreError> {
    if super::exists(dir) {
        return Err(StoreError::Write(format!(
            "{} holds a database already; restore into an empty data dir (e.g. `--data-dir NEW`)",
            dir.display()
        )));
    }
    let bytes = std::fs::read(file)
        .map_err(|e| StoreError::Write(format!("reading {}: {e}", file.display())))?;
    let (schema, trees) = read(&bytes)?;
    if schema > layout::SCHEMA_VERSION {
        return Err(StoreError::Schema {
            found: schema,
            expected: layout::SCHEMA_VERSION,
        });
    }
    let check = trees
        .iter()
        .find(|(n, _)| n == "meta")
        .and_then(|(_, rows)| rows.iter().find(|(k, _)| k == META_KEY_CHECK))
        .map(|(_, v)| v.clone())
        .ok_or_else(|| bad("it has no key check"))?;
    let cipher = Cipher::load(key, false)?;
    cipher
        .open(KEY_CHECK_SLOT, &check)
        .map_err(|_| StoreError::WrongKey)?;
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
    Ok(BackupSummary {
        entries,
        bytes: bytes.len() as u64,
        schema_version: schema,
    })
}
