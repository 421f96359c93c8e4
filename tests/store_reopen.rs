//! A database this process closed a moment ago opens again, even while sled has not let go
//! of its lock yet (its IO threads drop their handle on the files a little after the
//! close); one another process holds is still refused at once, naming the holder.

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use mcp_onboard::store::{KeySource, Store, StoreError};
use secrecy::SecretString;

fn key() -> KeySource {
    KeySource::Env(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([7; 32]),
    ))
}

/// Take sled's lock on the database in `data` as its lingering threads hold it, once the
/// store that had it let go (polled, within a deadline).
fn hold_lock(data: &Path) -> sled::Db {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match sled::Config::new().path(data.join("db")).open() {
            Ok(db) => return db,
            Err(e) if Instant::now() < deadline => {
                assert!(e.to_string().contains("lock"), "{e}");
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("the lock was never let go: {e}"),
        }
    }
}

#[test]
fn a_database_this_process_closed_opens_again_once_sled_lets_go_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    drop(Store::open(&data, &key()).unwrap());
    // The lock still held a moment after the close, as by sled's last IO thread.
    let held = hold_lock(&data);
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        drop(held);
    });
    let store = Store::open(&data, &key());
    release.join().unwrap();
    assert!(store.is_ok(), "{:?}", store.err());
}

#[test]
fn a_database_another_process_holds_is_refused_at_once_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    drop(Store::open(&data, &key()).unwrap());
    let _held = hold_lock(&data);
    let other = r#"{"pid": 1, "command": "mcp-onboard serve", "since": 0}"#;
    std::fs::write(data.join("owner.json"), other).unwrap();
    let started = Instant::now();
    let err = Store::open(&data, &key()).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    assert!(err.to_string().contains("process 1 "), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
