//! Writing a key file: base64 of the key on one line, created 0600 (never over a file
//! that exists, unless `replace`), synced, and its directory entry synced too.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

/// Write `key` to a new file at `path`; with `replace`, a file there is removed first.
pub fn write_key_file(path: &Path, key: &[u8; 32], replace: bool) -> std::io::Result<()> {
    if replace {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    let text = Zeroizing::new(STANDARD.encode(key));
    writeln!(f, "{}", *text)?;
    f.sync_all()?;
    sync_dir(path)
}

/// Make a new or renamed directory entry for `path` durable.
pub fn sync_dir(path: &Path) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::File::open(dir)?.sync_all()
}
