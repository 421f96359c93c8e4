//! Where the console writes the QR codes it exports (`e`): a folder of the console's own
//! user, never the one its owner names. An attached console may run as another user than
//! its owner (root attached to a service's `serve`): it writes into `exports/` of its own
//! data dir when that data dir is its user's, else into `exports/` of the user's own data
//! dir. The folder is made 0700 when missing; one that is a symlink, not a folder, owned by
//! another user or open to others is refused, never followed or used.

use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use thiserror::Error;

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
    #[error("cannot make the folder {path}: {why}")]
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

/// Make `dir` ready to write into, for the user `uid`: created 0700 (with its missing
/// parents, 0700 too) when it is not there, else checked as it is, never followed; in a
/// folder of that user's either way.
pub fn ready(dir: &Path, uid: u32) -> Result<PathBuf, ExportDirError> {
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
    let io = |e: std::io::Error| ExportDirError::Io {
        path: dir.clone(),
        why: e.to_string(),
    };
    match std::fs::symlink_metadata(&dir) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Never made in a folder of another user's (root's console in a service's data
            // dir would leave a folder there that the service cannot remove).
            parent_ours(&dir, uid)?;
            let mut make = std::fs::DirBuilder::new();
            make.recursive(true).mode(0o700);
            // Made by another at the same moment: checked below like any folder there.
            if let Err(e) = make.create(&dir)
                && e.kind() != std::io::ErrorKind::AlreadyExists
            {
                return Err(io(e));
            }
        }
        Err(e) => return Err(io(e)),
    }
    // Checked as it is now, made here or not.
    let md = std::fs::symlink_metadata(&dir).map_err(io)?;
    if md.file_type().is_symlink() {
        return Err(ExportDirError::Symlink(dir));
    }
    if !md.is_dir() {
        return Err(ExportDirError::NotAFolder(dir));
    }
    if md.uid() != uid {
        return Err(ExportDirError::NotOurs {
            path: dir,
            owner: md.uid(),
            me: uid,
        });
    }
    let mode = md.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(ExportDirError::Open { path: dir, mode });
    }
    parent_ours(&dir, uid)?;
    Ok(dir)
}

/// Whether the folder `dir` is in, when it is there, is the user `uid`'s.
fn parent_ours(dir: &Path, uid: u32) -> Result<(), ExportDirError> {
    let Some(parent) = dir.parent() else {
        return Ok(());
    };
    match std::fs::metadata(parent) {
        Ok(md) if md.uid() != uid => Err(ExportDirError::NotOurs {
            path: parent.to_owned(),
            owner: md.uid(),
            me: uid,
        }),
        _ => Ok(()),
    }
}

/// Write the QR code of `url` as `NAME.png` and `NAME.svg` in `folder` (made ready first);
/// the paths written, or why not.
pub fn export(folder: &Path, name: &str, url: &str) -> Result<Vec<String>, String> {
    let dir = ready(folder, this_uid()).map_err(|e| e.to_string())?;
    let png = dir.join(format!("{name}.png"));
    let svg = dir.join(format!("{name}.svg"));
    let written = crate::qr_file::write(url, Some(&png), Some(&svg)).map_err(|e| e.to_string())?;
    Ok(written.iter().map(|p| p.display().to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_folder_is_made_private_with_its_parents_and_then_reused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp
            .path()
            .join("home/.local/share/mcp-onboard")
            .join(EXPORT_DIR);
        let made = ready(&dir, this_uid()).unwrap();
        assert_eq!(made, dir);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(dir.parent().unwrap()), 0o700);
        assert_eq!(ready(&dir, this_uid()).unwrap(), made);
    }

    #[test]
    fn a_symlinked_folder_is_refused_and_nothing_is_written_through_it() {
        let tmp = tempfile::tempdir().unwrap();
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o700)).unwrap();
        let dir = tmp.path().join(EXPORT_DIR);
        std::os::unix::fs::symlink(&elsewhere, &dir).unwrap();
        assert_eq!(
            ready(&dir, this_uid()),
            Err(ExportDirError::Symlink(dir.clone()))
        );
        let err = export(&dir, "acme-ab12cd34", "http://127.0.0.1:8089/c/AAAA").unwrap_err();
        assert!(err.contains("is a symbolic link"), "{err}");
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
        // Dangling, the same.
        std::fs::remove_dir(&elsewhere).unwrap();
        assert_eq!(
            ready(&dir, this_uid()),
            Err(ExportDirError::Symlink(dir.clone()))
        );
        assert!(!elsewhere.exists(), "not made through the link");
    }

    #[test]
    fn a_folder_of_another_user_or_open_to_others_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(EXPORT_DIR);
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        let me = this_uid();
        let other = me.wrapping_add(1);
        assert_eq!(
            ready(&dir, other),
            Err(ExportDirError::NotOurs {
                path: dir.clone(),
                owner: me,
                me: other
            })
        );
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = ready(&dir, me).unwrap_err();
        assert_eq!(
            err,
            ExportDirError::Open {
                path: dir.clone(),
                mode: 0o755
            }
        );
        assert!(err.to_string().contains("mode 755"), "{err}");
        // Nor is one made in a folder of another user's.
        let service = tmp.path().join("service");
        std::fs::create_dir(&service).unwrap();
        let inside = service.join(EXPORT_DIR);
        assert_eq!(
            ready(&inside, other),
            Err(ExportDirError::NotOurs {
                path: service,
                owner: me,
                me: other
            })
        );
        assert!(!inside.exists(), "nothing made there");
        let file = tmp.path().join("plain");
        std::fs::write(&file, "x").unwrap();
        assert_eq!(ready(&file, me), Err(ExportDirError::NotAFolder(file)));
    }

    #[test]
    fn a_data_dir_of_another_user_sends_the_exports_to_this_users_own() {
        let tmp = tempfile::tempdir().unwrap();
        let service = tmp.path().join("var/lib/mcp-onboard");
        std::fs::create_dir_all(&service).unwrap();
        let home = tmp.path().join("home/.local/share/mcp-onboard");
        let me = this_uid();
        // The console's own data dir is this user's: its exports folder.
        assert_eq!(choose(&service, Some(&home), me), service.join(EXPORT_DIR));
        // Another user's (seen as another uid): the user's own data dir.
        assert_eq!(
            choose(&service, Some(&home), me.wrapping_add(1)),
            home.join(EXPORT_DIR)
        );
        // Not made yet: it will be this user's.
        let fresh = tmp.path().join("fresh");
        assert_eq!(
            choose(&fresh, Some(&home), me.wrapping_add(1)),
            fresh.join(EXPORT_DIR)
        );
    }
}
