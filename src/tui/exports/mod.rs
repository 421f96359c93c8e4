//! Where the console writes the QR codes it exports (`e`): a folder of the console's own
//! user, never the one its owner names. An attached console may run as another user than
//! its owner (root attached to a service's `serve`): it writes into `exports/` of its own
//! data dir when that data dir is its user's, else into `exports/` of the user's own data
//! dir. The folder is made 0700 when missing; one that is a symlink, not a folder, owned by
//! another user or open to others is refused, never followed or used (see `folder`).

mod folder;
#[cfg(test)]
mod tests;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use thiserror::Error;

pub use folder::{Folder, ready};

/// The export folder's name, inside a data dir.
pub const EXPORT_DIR: &str = "exports";

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ExportDirError {
    #[error("{0} is a symbolic link: the console writes into no folder through a link")]
    Symlink(PathBuf),
    #[error("{0} is not a folder")]
    NotAFolder(PathBuf),
    #[error("{path} belongs to another user (uid {owner}, not {me}): it is not the console's")]
    NotOurs { path: PathBuf, owner: u32, me: u32 },
    #[error("{path} is open to others (mode {mode:o}): make it private (chmod 700 {path})")]
    Open { path: PathBuf, mode: u32 },
    #[error("cannot make or open the folder {path}: {why}")]
    Io { path: PathBuf, why: String },
}

/// The folder a console whose data dir is `own` exports into, for the user `uid` whose own
/// data dir is `user` (none without a home): `own/exports` when `own` is that user's (or
/// not made yet), else `user/exports`.
pub fn choose(own: &Path, user: Option<&Path>, uid: u32) -> PathBuf {
    let ours = std::fs::metadata(own).map_or(true, |md| md.uid() == uid);
    match user {
        Some(u) if !ours => u.join(EXPORT_DIR),
        _ => own.join(EXPORT_DIR),
    }
}

/// The folder for this process's user, from the console's data dir.
pub fn for_this_user(own: &Path) -> PathBuf {
    let user = crate::config::dirs::data_dir();
    choose(own, user.as_deref(), this_uid())
}

fn this_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Write the QR code of `url` as `NAME.png` and `NAME.svg` in `folder` (made ready first,
/// and written into as it was checked); the paths written, or why not.
pub fn export(folder: &Path, name: &str, url: &str) -> Result<Vec<String>, String> {
    let user = crate::config::dirs::data_dir();
    let dir = ready(folder, this_uid()).map_err(|e| refusal(&e, user.as_deref()))?;
    let png = PathBuf::from(format!("{name}.png"));
    let svg = PathBuf::from(format!("{name}.svg"));
    let written = crate::qr_file::write_in(dir.fd(), &dir.path, url, Some(&png), Some(&svg))
        .map_err(|e| e.to_string())?;
    Ok(written.iter().map(|p| p.display().to_string()).collect())
}

/// Why an export is refused; when the folder is another user's and this user has no data
/// dir of its own to export into (`user`), how to give it one.
fn refusal(e: &ExportDirError, user: Option<&Path>) -> String {
    match (e, user) {
        (ExportDirError::NotOurs { .. }, None) => format!(
            "{e}; this user has no data dir of its own to export into: set HOME (or XDG_DATA_HOME) to a folder of this user's"
        ),
        _ => e.to_string(),
    }
}
