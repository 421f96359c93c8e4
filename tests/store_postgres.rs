//! The PostgreSQL backend's own machinery, against a real server (see `support_pg`): the
//! test server itself, the schema and its migrations, the key check, retries, the change
//! sequence. What every backend promises is tested on both in the contract tests.

mod support_pg;

use support_pg::PgServer;

#[tokio::test]
async fn the_test_server_answers_on_its_socket_and_leaves_nothing_behind() {
    let Some(pg) = PgServer::start() else { return };
    let dir = pg.socket_dir().to_owned();
    let version = pg.column("SHOW server_version_num").await;
    let n: u32 = version[0].as_deref().unwrap().parse().unwrap();
    assert!(n >= 130000, "a supported server: {n}");
    let fsync = pg.column("SHOW fsync").await;
    assert_eq!(fsync[0].as_deref(), Some("off"));
    // No TCP port: only the socket in its own folder.
    let listen = pg.column("SHOW listen_addresses").await;
    assert_eq!(listen[0].as_deref(), Some(""));
    drop(pg);
    assert!(!dir.exists(), "its folder is gone: {}", dir.display());
}
