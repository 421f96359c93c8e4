//! The exports folder opened once and checked as it is open: its nearest level that is there
//! (the user's, and not open to others' writing unless sticky) before anything is made, each
//! missing level made 0700 and checked in turn, the folder itself opened without following a
//! link and checked by its handle (the user's, private). The files are then created in that
//! handle, so no path is looked up twice and nothing can be swapped in between.

use std::ffi::OsStr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, RawMode};
use rustix::io::Errno;

use super::ExportDirError;

/// The exports folder, open and checked: where it is, and its handle.
#[derive(Debug)]
pub struct Folder {
    pub path: PathBuf,
    fd: OwnedFd,
}

impl Folder {
    /// The open folder, to create files in.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Make `dir` ready to write into, for the user `uid`: created 0700 (with its missing
/// parents, 0700 too) when it is not there, else checked as it is, never followed; in a
/// folder of that user's that others cannot write into, either way.
pub fn ready(dir: &Path, uid: u32) -> Result<Folder, ExportDirError> {
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return Err(ExportDirError::NotAFolder(dir));
    };
    // The nearest level there above the folder, and the levels missing under it.
    let mut base = parent;
    let mut missing: Vec<&OsStr> = Vec::new();
    loop {
        match std::fs::symlink_metadata(base) {
            Ok(_) => break,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let (Some(up), Some(level)) = (base.parent(), base.file_name()) else {
                    return Err(io(base, e));
                };
                missing.push(level);
                base = up;
            }
            Err(e) => return Err(io(base, e)),
        }
    }
    // Above the nearest level, links are followed (a home under a linked folder): from it
    // down, nothing is.
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let mut at = rustix::fs::open(base, flags, Mode::empty()).map_err(|e| io(base, e.into()))?;
    let there = missing.is_empty()
        && !matches!(
            rustix::fs::statat(&at, name, AtFlags::SYMLINK_NOFOLLOW),
            Err(Errno::NOENT)
        );
    if there {
        // The folder's own faults are said first, then its parent's.
        let fd = level(&at, &dir, name, uid)?;
        shared(&at, base, uid)?;
        return Ok(Folder { path: dir, fd });
    }
    // Nothing is made under a level of another user's or open to others.
    shared(&at, base, uid)?;
    let mut path = base.to_owned();
    for name in missing.into_iter().rev() {
        path.push(name);
        at = level(&at, &path, name, uid)?;
    }
    let fd = level(&at, &dir, name, uid)?;
    Ok(Folder { path: dir, fd })
}

/// The folder `name` in the open folder `parent` (at `path`): made 0700 when missing, opened
/// without following a link, and checked by its handle: the user's, and private.
fn level(parent: &OwnedFd, path: &Path, name: &OsStr, uid: u32) -> Result<OwnedFd, ExportDirError> {
    match rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => match FileType::from_raw_mode(st.st_mode) {
            FileType::Symlink => return Err(ExportDirError::Symlink(path.to_owned())),
            FileType::Directory => {}
            _ => return Err(ExportDirError::NotAFolder(path.to_owned())),
        },
        Err(Errno::NOENT) => match rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(0o700)) {
            // Made by another at the same moment: checked below like any folder there.
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(io(path, e.into())),
        },
        Err(e) => return Err(io(path, e.into())),
    }
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(parent, name, flags, Mode::empty()).map_err(|e| match e {
        Errno::LOOP => ExportDirError::Symlink(path.to_owned()),
        Errno::NOTDIR => ExportDirError::NotAFolder(path.to_owned()),
        e => io(path, e.into()),
    })?;
    let (owner, mode) = owner_mode(&fd, path)?;
    if owner != uid {
        return Err(ExportDirError::NotOurs {
            path: path.to_owned(),
            owner,
            me: uid,
        });
    }
    if mode & 0o077 != 0 {
        return Err(ExportDirError::Open {
            path: path.to_owned(),
            mode: mode & 0o777,
        });
    }
    Ok(fd)
}

/// The folder a level is in: the user's, and not one others may write into (unless sticky:
/// there, no one removes or renames what is another's).
fn shared(fd: &OwnedFd, path: &Path, uid: u32) -> Result<(), ExportDirError> {
    let (owner, mode) = owner_mode(fd, path)?;
    if owner != uid {
        return Err(ExportDirError::NotOurs {
            path: path.to_owned(),
            owner,
            me: uid,
        });
    }
    if mode & 0o002 != 0 && mode & 0o1000 == 0 {
        return Err(ExportDirError::Open {
            path: path.to_owned(),
            mode: mode & 0o777,
        });
    }
    Ok(())
}

fn owner_mode(fd: &OwnedFd, path: &Path) -> Result<(u32, RawMode), ExportDirError> {
    let st = rustix::fs::fstat(fd).map_err(|e| io(path, e.into()))?;
    Ok((st.st_uid, st.st_mode))
}

fn io(path: &Path, e: std::io::Error) -> ExportDirError {
    ExportDirError::Io {
        path: path.to_owned(),
        why: e.to_string(),
    }
}
