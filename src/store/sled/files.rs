//! The database's files in the data dir: opening sled there (a second process is told who
//! holds it), the data dir's own checks, and the swap a migration to schema 4 does of a
//! fresh copy for the old database (finished here when a crash stopped it half-way).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::lock;
use crate::store::StoreError;

/// sled's page cache: enough for the working set, well under the memory budget.
const CACHE_BYTES: u64 = 32 * 1024 * 1024;
/// The migrated copy, complete, before it is swapped in.
pub(super) const MIGRATED: &str = "db.migrated";
/// The database the migrated copy replaced, deleted once the new one is open.
pub(super) const OLD: &str = "db.old";

pub(super) fn io(what: &str, e: std::io::Error) -> StoreError {
    StoreError::Write(format!("migrating to schema version 4: {what}: {e}"))
}

/// Open the sled database in `dir`, flushed by nobody but its user (the writer, or a tool
/// that needs the database to itself).
pub(super) fn open_sled(dir: &Path) -> Result<sled::Db, StoreError> {
    finish_swap(dir)?;
    let open = || {
        sled::Config::new()
            .path(dir.join("db"))
            .cache_capacity(CACHE_BYTES)
            .flush_every_ms(None)
            .open()
    };
    // Closed by this process a moment ago: sled may not have let go of it yet.
    let opened = match open() {
        Err(e) if is_lock_error(&e) => match super::reopen::wait_until(dir) {
            Some(deadline) => super::reopen::retry(deadline, open, is_lock_error),
            None => Err(e),
        },
        r => r,
    };
    opened.map_err(|e| {
        if is_lock_error(&e) {
            StoreError::Locked {
                dir: dir.to_owned(),
                holder: lock::describe_holder(dir),
            }
        } else {
            StoreError::from(e)
        }
    })
}

fn is_lock_error(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

/// Refuse a data dir that others can read; create it 0700 when missing.
pub fn check_data_dir(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::metadata(dir) {
        Ok(meta) => {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(StoreError::DataDirTooOpen {
                    dir: dir.to_owned(),
                    mode,
                });
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| StoreError::DataDir {
                dir: dir.to_owned(),
                source,
            }),
        Err(source) => Err(StoreError::DataDir {
            dir: dir.to_owned(),
            source,
        }),
    }
}

/// Whether `dir` holds a database already.
pub fn exists(dir: &Path) -> bool {
    dir.join("db").join("conf").exists() || migrated_exists(dir)
}

/// A complete copy exists, as the migration writes it before the swap.
pub(super) fn migrated_exists(dir: &Path) -> bool {
    dir.join(MIGRATED).join("conf").exists()
}

/// Before the database is opened: a swap that stopped between its two renames left no
/// `db` but a complete `db.migrated`; put it in place.
pub(super) fn finish_swap(dir: &Path) -> Result<(), StoreError> {
    if !dir.join("db").join("conf").exists() && migrated_exists(dir) {
        std::fs::rename(dir.join(MIGRATED), dir.join("db"))
            .and_then(|()| std::fs::File::open(dir)?.sync_all())
            .map_err(|e| io("finishing an interrupted swap", e))?;
        tracing::warn!("finished the swap of an interrupted migration to schema version 4");
    }
    Ok(())
}

/// Once the database is open (its lock held): delete what an earlier swap left behind.
pub(super) fn clean_up(dir: &Path) {
    let old = dir.join(OLD);
    if old.exists()
        && let Err(e) = std::fs::remove_dir_all(&old)
    {
        tracing::warn!(error = %e, "could not delete the database replaced by the migration");
    }
}
