//! Databases written by earlier releases (`tests/fixtures/schema-vN`, sled, each opened from
//! a private copy so a test may migrate it; `tests/fixtures/pg-schema-N`, PostgreSQL dumps).
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use mcp_onboard::store::KeySource;

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// The fixture's folder.
pub fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A private copy of a fixture: data dir 0700, key file 0600.
pub fn fixture_of(name: &str) -> (tempfile::TempDir, PathBuf, KeySource) {
    let src = fixture_dir(name);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    copy_dir(&src.join("db"), &data.join("db"));
    let key = tmp.path().join("key");
    std::fs::copy(src.join("key"), &key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    (tmp, data, KeySource::File(key))
}
