//! The highest change number this node saw made durable, kept in the data dir
//! (`store-seq`): a database found behind it when the store opens lost acknowledged
//! commits while this node was away (restored from an older copy, or failed over to a
//! replica that had not received them), and is refused. Only durable commits move it: a
//! crash of the server may lose the others, by design.

use std::path::{Path, PathBuf};

const FILE: &str = "store-seq";

fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// The number kept, if any (unreadable counts as none: it only ever adds a refusal).
pub(super) fn read(dir: &Path) -> Option<u64> {
    std::fs::read_to_string(path(dir)).ok()?.trim().parse().ok()
}

/// Keep `seq` (written aside, then renamed over the old one).
pub(super) fn write(dir: &Path, seq: u64) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt;
    let aside = dir.join(format!("{FILE}.new"));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&aside)?;
    writeln!(f, "{seq}")?;
    std::fs::rename(&aside, path(dir))
}

/// Forget it: the database was restored on purpose.
pub(super) fn clear(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path(dir)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
