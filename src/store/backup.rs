//! The backup file, the same for every backend: a stream of typed records, secrets still
//! sealed (the file is as safe as the database, and useless without its key).
//!
//! The file (format 2): a header line `mcp-onboard backup 2`, the schema version (u32),
//! then sections, one per kind of record, each its name (length u32, then the name) and
//! its records (`1`, key length u32, key, value length u32, value; `0` ends the section),
//! `0xff` after the last section, and an HMAC-SHA256 of everything before it under a key
//! derived from the master key: nobody without the key can change a byte of it (remove
//! audit entries, plant a link) and have it restored. All integers big-endian. The
//! sections, and the keys and values of their records, are those of the stored layout
//! (`sled::layout`): a backend that stores them otherwise writes and reads them in that
//! form.
//!
//! Format 1 (the releases before) ended in a plain SHA-256, which anyone can make again
//! after editing the file: it is restored only when the operator accepts it
//! unauthenticated, and never when it holds a schema that came with format 2 (it was
//! relabelled).

use std::io::{Read, Write};
use std::path::Path;

use hmac::Mac;
use sha2::{Digest, Sha256};

use super::crypto::{Cipher, KEY_CHECK_RECORD, KEY_CHECK_SLOT, sync_dir};
use super::error::StoreError;

const MAGIC: &[u8] = b"mcp-onboard backup 2\n";
/// The unauthenticated format of the releases before.
const MAGIC_V1: &[u8] = b"mcp-onboard backup 1\n";
/// The schema that came with the authenticated format: no genuine backup of the old
/// format holds it or a later one.
pub const MACED_SINCE_SCHEMA: u32 = 4;

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

/// Writes a backup: [`BackupWriter::section`] for each kind of record, a
/// [`BackupWriter::record`] for each record of it, then [`BackupWriter::finish`].
pub struct BackupWriter<W: Write> {
    w: Hashing<std::io::BufWriter<W>>,
    entries: u64,
    schema: u32,
    open: bool,
}

impl<W: Write> BackupWriter<W> {
    pub fn new(out: W, cipher: &Cipher, schema: u32) -> Result<Self, StoreError> {
        let mut w = Hashing {
            inner: std::io::BufWriter::new(out),
            mac: cipher.backup_mac(),
            bytes: 0,
        };
        w.write_all(MAGIC).map_err(io)?;
        w.write_all(&schema.to_be_bytes()).map_err(io)?;
        Ok(Self {
            w,
            entries: 0,
            schema,
            open: false,
        })
    }

    fn close_section(&mut self) -> Result<(), StoreError> {
        if std::mem::take(&mut self.open) {
            self.w.write_all(&[0]).map_err(io)?;
        }
        Ok(())
    }

    /// Start the section `name` (ending the one before).
    pub fn section(&mut self, name: &str) -> Result<(), StoreError> {
        self.close_section()?;
        self.w
            .write_all(&(name.len() as u32).to_be_bytes())
            .map_err(io)?;
        self.w.write_all(name.as_bytes()).map_err(io)?;
        self.open = true;
        Ok(())
    }

    /// One record of the section under way.
    pub fn record(&mut self, k: &[u8], v: &[u8]) -> Result<(), StoreError> {
        let w = &mut self.w;
        w.write_all(&[1]).map_err(io)?;
        w.write_all(&(k.len() as u32).to_be_bytes()).map_err(io)?;
        w.write_all(k).map_err(io)?;
        w.write_all(&(v.len() as u32).to_be_bytes()).map_err(io)?;
        w.write_all(v).map_err(io)?;
        self.entries += 1;
        Ok(())
    }

    /// End the last section, append the MAC and flush.
    pub fn finish(mut self) -> Result<BackupSummary, StoreError> {
        self.close_section()?;
        self.w.write_all(&[0xff]).map_err(io)?;
        let digest = self.w.mac.clone().finalize().into_bytes();
        let bytes = self.w.bytes + digest.len() as u64;
        self.w.inner.write_all(&digest).map_err(io)?;
        self.w.inner.flush().map_err(io)?;
        Ok(BackupSummary {
            entries: self.entries,
            bytes,
            schema_version: self.schema,
        })
    }
}

/// Write a backup to `path` (a new file, mode 0600, written aside and linked into place
/// once complete); `write` fills it.
pub fn write_file(
    path: &Path,
    write: impl FnOnce(&std::fs::File) -> Result<BackupSummary, StoreError>,
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
    let done = write(&file).and_then(|s| {
        file.sync_all().map_err(io)?;
        // Linked in place, not renamed: a file that appeared meanwhile is never replaced.
        std::fs::hard_link(&partial, path).map_err(io)?;
        std::fs::remove_file(&partial).map_err(io)?;
        sync_dir(path).map_err(io)?;
        Ok(s)
    });
    if done.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    done
}

/// One section as read back: its name and its records.
pub type Section = (String, Vec<(Vec<u8>, Vec<u8>)>);

fn bad(why: &str) -> StoreError {
    StoreError::Codec {
        what: "backup file".into(),
        detail: why.into(),
    }
}

/// Which backup format a file is in, as far as its first line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Authenticated under the master key.
    Maced,
    /// The old format: a plain checksum anyone can make.
    Unauthenticated,
}

/// Read and check a backup: its header, its MAC (or, for the old format, its checksum),
/// its shape. `Err` says why it is refused.
pub fn read(bytes: &[u8], cipher: &Cipher) -> Result<(Format, u32, Vec<Section>), StoreError> {
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

pub fn key_check(trees: &[Section]) -> Option<Vec<u8>> {
    trees
        .iter()
        .find(|(n, _)| n == KEY_CHECK_RECORD.0)
        .and_then(|(_, rows)| rows.iter().find(|(k, _)| k == KEY_CHECK_RECORD.1))
        .map(|(_, v)| v.clone())
}

/// The trees of a backup's body (after its first line, before its MAC).
fn parse(body: &[u8]) -> Result<(u32, Vec<Section>), StoreError> {
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
