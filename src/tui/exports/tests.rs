//! The exports folder: made private, refused when it is a link, not a folder, another
//! user's or open to others, or in a folder that is; and which folder a console uses.

use std::os::unix::fs::PermissionsExt;

use super::*;

/// Where `ready` opened the folder, or why not.
fn at(dir: &Path, uid: u32) -> Result<PathBuf, ExportDirError> {
    ready(dir, uid).map(|f| f.path)
}

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
    let made = at(&dir, this_uid()).unwrap();
    assert_eq!(made, dir);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(dir.parent().unwrap()), 0o700);
    assert_eq!(at(&dir, this_uid()).unwrap(), made);
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
        at(&dir, this_uid()),
        Err(ExportDirError::Symlink(dir.clone()))
    );
    let err = export(&dir, "acme-ab12cd34", "http://127.0.0.1:8089/c/AAAA").unwrap_err();
    assert!(err.contains("is a symbolic link"), "{err}");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    // Dangling, the same.
    std::fs::remove_dir(&elsewhere).unwrap();
    assert_eq!(
        at(&dir, this_uid()),
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
        at(&dir, other),
        Err(ExportDirError::NotOurs {
            path: dir.clone(),
            owner: me,
            me: other
        })
    );
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = at(&dir, me).unwrap_err();
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
        at(&inside, other),
        Err(ExportDirError::NotOurs {
            path: service,
            owner: me,
            me: other
        })
    );
    assert!(!inside.exists(), "nothing made there");
    let file = tmp.path().join("plain");
    std::fs::write(&file, "x").unwrap();
    assert_eq!(at(&file, me), Err(ExportDirError::NotAFolder(file)));
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

/// `ready` checks the folder, then the files are created by path: a parent that others
/// may write into (ours, but 0777 and not sticky) lets another user put a symlink in
/// place of `exports` between the check and the write. Such a parent is to be refused
/// like an open `exports` is.
#[test]
fn an_exports_folder_in_a_parent_open_to_others_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let parent = tmp.path().join("shared");
    std::fs::create_dir(&parent).unwrap();
    std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o777)).unwrap();
    let dir = parent.join(EXPORT_DIR);
    let got = ready(&dir, this_uid());
    assert!(
        got.is_err(),
        "{} is swappable by any user, yet accepted: {got:?}",
        dir.display()
    );
}

/// The folder is never made in a folder of another user's: not when a level between
/// is missing either (the check looks at the direct parent only when it is there, and
/// `create_dir_all` then makes every missing level).
#[test]
fn no_folder_is_made_under_another_users_folder_through_a_missing_level() {
    let tmp = tempfile::tempdir().unwrap();
    let service = tmp.path().join("service");
    std::fs::create_dir(&service).unwrap();
    // Seen as another user's: the console runs as `other`.
    let other = this_uid().wrapping_add(1);
    let dir = service.join("sub").join(EXPORT_DIR);
    let got = ready(&dir, other);
    assert!(got.is_err(), "{got:?}");
    assert!(
        !service.join("sub").exists(),
        "refused, but only after making {} in another user's folder",
        service.join("sub").display()
    );
}

/// Refused as another user's where this user has no data dir to export into: the message
/// says how to give it one.
#[test]
fn a_refusal_for_want_of_a_data_dir_says_how_to_give_one() {
    let e = ExportDirError::NotOurs {
        path: PathBuf::from("/var/lib/mcp-onboard"),
        owner: 0,
        me: 1000,
    };
    let text = refusal(&e, None);
    assert!(text.starts_with(&e.to_string()), "{text}");
    assert!(text.contains("set HOME (or XDG_DATA_HOME)"), "{text}");
    assert_eq!(refusal(&e, Some(Path::new("/home/u"))), e.to_string());
    let open = ExportDirError::Open {
        path: PathBuf::from("/x"),
        mode: 0o755,
    };
    assert_eq!(refusal(&open, None), open.to_string());
}
