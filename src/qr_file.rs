//! QR codes written to files. A QR file holds a live consent link (a bearer credential), so
//! each one is created new (`O_CREAT|O_EXCL`: never over an existing file, never through a
//! symlink, dangling or not) and readable by its owner only (0600, whatever the umask).
//! The console's `e` (into the folder it holds open) and the CLI's `link --qr-png/--qr-svg`
//! both write through here.

use std::io::Write as _;
use std::os::fd::BorrowedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, CWD, Mode, OFlags};

use thiserror::Error;

use crate::qr::QrError;

#[derive(Debug, Error)]
pub enum QrFileError {
    #[error(
        "a file exists already at {0} (a QR file never replaces one, nor writes through a link): remove it or pick another name"
    )]
    Exists(PathBuf),
    #[error("there is no folder {0} to write the QR code into")]
    NoFolder(PathBuf),
    #[error("writing {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Qr(#[from] QrError),
}

/// Refuse, before anything is issued, when one of `paths` is taken already or its folder is
/// not there.
pub fn ensure_free(paths: &[&Path]) -> Result<(), QrFileError> {
    for p in paths {
        // `symlink_metadata`: a dangling link is there too.
        if std::fs::symlink_metadata(p).is_ok() {
            return Err(QrFileError::Exists(full(p)));
        }
        let path = full(p);
        let folder = path.parent().unwrap_or(Path::new("/"));
        if !folder.is_dir() {
            return Err(QrFileError::NoFolder(folder.to_owned()));
        }
    }
    Ok(())
}

/// Write `url`'s QR code as a PNG and/or an SVG file, each created new with mode 0600.
/// Returns the full paths written; on an error, no file this call created is left behind.
pub fn write(
    url: &str,
    png: Option<&Path>,
    svg: Option<&Path>,
) -> Result<Vec<PathBuf>, QrFileError> {
    let wanted: Vec<&Path> = png.into_iter().chain(svg).collect();
    ensure_free(&wanted)?;
    write_in(CWD, Path::new(""), url, png, svg)
}

/// The same, with `png` and `svg` taken in the folder open as `dir` (named `folder` in
/// messages): nothing of their paths is looked up again by name.
pub fn write_in(
    dir: BorrowedFd<'_>,
    folder: &Path,
    url: &str,
    png: Option<&Path>,
    svg: Option<&Path>,
) -> Result<Vec<PathBuf>, QrFileError> {
    if png.is_none() && svg.is_none() {
        return Ok(Vec::new());
    }
    let code = crate::qr::encode(url)?;
    let mut files: Vec<(&Path, Vec<u8>)> = Vec::new();
    if let Some(p) = png {
        files.push((p, crate::qr::png(&code, 8)?));
    }
    if let Some(p) = svg {
        files.push((p, crate::qr::svg(&code).into_bytes()));
    }
    let mut written = Vec::new();
    for (path, bytes) in files {
        let shown = full(&folder.join(path));
        if let Err(e) = create_new(dir, path, &shown, &bytes) {
            for (done, _) in &written {
                let _ = rustix::fs::unlinkat(dir, *done, AtFlags::empty());
            }
            return Err(e);
        }
        written.push((path, shown));
    }
    Ok(written.into_iter().map(|(_, shown)| shown).collect())
}

fn create_new(
    dir: BorrowedFd<'_>,
    path: &Path,
    shown: &Path,
    bytes: &[u8],
) -> Result<(), QrFileError> {
    use std::os::unix::fs::PermissionsExt;
    let io = |source| QrFileError::Io {
        path: shown.to_owned(),
        source,
    };
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(dir, path, flags, Mode::from_raw_mode(0o600)).map_err(|e| {
        if e == rustix::io::Errno::EXIST {
            QrFileError::Exists(shown.to_owned())
        } else {
            io(e.into())
        }
    })?;
    let mut file = std::fs::File::from(fd);
    let done = file
        // The mode given at creation is narrowed by the umask; this sets it exactly.
        .set_permissions(std::fs::Permissions::from_mode(0o600))
        .and_then(|()| file.write_all(bytes))
        .and_then(|()| file.sync_all());
    if let Err(e) = done {
        drop(file);
        let _ = rustix::fs::unlinkat(dir, path, AtFlags::empty());
        return Err(io(e));
    }
    Ok(())
}

/// `path` made absolute (without touching the file system), for messages.
fn full(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    const URL: &str = "http://127.0.0.1:8089/c/AAAAAAAAAAAAAAAAAAAAAA";

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn both_files_are_created_new_and_readable_by_their_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let (png, svg) = (dir.path().join("a.png"), dir.path().join("a.svg"));
        let written = write(URL, Some(&png), Some(&svg)).unwrap();
        assert_eq!(written, vec![png.clone(), svg.clone()]);
        assert_eq!(mode(&png), 0o600);
        assert_eq!(mode(&svg), 0o600);
        assert_eq!(&std::fs::read(&png).unwrap()[1..4], b"PNG");
        assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<?xml"));
    }

    #[test]
    fn an_existing_file_is_named_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let (png, svg) = (dir.path().join("b.png"), dir.path().join("b.svg"));
        std::fs::write(&svg, "keep me").unwrap();
        let err = write(URL, Some(&png), Some(&svg)).unwrap_err();
        assert!(matches!(&err, QrFileError::Exists(p) if *p == svg), "{err}");
        assert!(
            err.to_string()
                .contains(&format!("exists already at {}", svg.display())),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&svg).unwrap(), "keep me");
        assert!(!png.exists(), "nothing half-written is left");
    }

    #[test]
    fn a_symlink_is_never_followed_even_a_dangling_one() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere.png");
        let link = dir.path().join("c.png");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = write(URL, Some(&link), None).unwrap_err();
        assert!(
            matches!(&err, QrFileError::Exists(p) if *p == link),
            "{err}"
        );
        assert!(!target.exists(), "nothing was written through the link");
        // Taken between the check and the write: the creation itself refuses it.
        let err = create_new(CWD, &link, &link, b"x").unwrap_err();
        assert!(matches!(err, QrFileError::Exists(_)), "{err}");
        assert!(!target.exists());
        // A link to an existing file: that file is not touched.
        std::fs::write(&target, "theirs").unwrap();
        assert!(create_new(CWD, &link, &link, b"x").is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "theirs");
    }
}
