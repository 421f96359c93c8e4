//! Opening again a database this process closed a moment ago. sled lets go of its lock
//! only when the last of its IO threads drops its handle on the files, which can be a
//! little after the database is closed (later still on a busy machine); opening it again
//! in that gap would be refused as "in use". So a lock recorded as this process's, on a
//! database no store of this process still has open, is waited for, briefly; a database
//! this process still has open, or another process holds, is refused at once.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long sled may take to let go of a database this process closed.
const RELEASE_WITHIN: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(10);

/// The data dirs whose database a store of this process has open.
static OPEN_HERE: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

fn key(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned())
}

fn open_here() -> std::sync::MutexGuard<'static, BTreeSet<PathBuf>> {
    OPEN_HERE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Held by a store while it has the database in its dir open: dropped with it.
pub(super) struct OpenHere(PathBuf);

impl OpenHere {
    pub fn new(dir: &Path) -> Self {
        let dir = key(dir);
        open_here().insert(dir.clone());
        Self(dir)
    }
}

impl Drop for OpenHere {
    fn drop(&mut self) {
        open_here().remove(&self.0);
    }
}

/// Until when to wait for the lock on the database in `dir`: `None` when it is not this
/// process's to wait for (another holds it, or a store of this process has it open).
pub(super) fn wait_until(dir: &Path) -> Option<Instant> {
    let ours = super::lock::holder_pid(dir) == Some(std::process::id());
    (ours && !open_here().contains(&key(dir))).then(|| Instant::now() + RELEASE_WITHIN)
}

/// Run `open` again while it is refused for the lock (`locked`), until `deadline`.
pub(super) fn retry<T, E>(
    deadline: Instant,
    mut open: impl FnMut() -> Result<T, E>,
    locked: impl Fn(&E) -> bool,
) -> Result<T, E> {
    loop {
        match open() {
            Err(e) if locked(&e) && Instant::now() < deadline => std::thread::sleep(POLL),
            r => return r,
        }
    }
}
