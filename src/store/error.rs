//! What can go wrong with the store, whichever backend holds the data.

use std::path::PathBuf;

use thiserror::Error;

use super::crypto::KeyError;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error(
        "the database in {dir} is in use by {holder}; stop it or use it through its control socket"
    )]
    Locked { dir: PathBuf, holder: String },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(
        "the key does not open this database (it was created with another key); set MCP_ONBOARD_KEY or the key file to the original key"
    )]
    WrongKey,
    #[error(
        "the database in {dir} holds tenants but its key check is missing: refusing to open it with a new key; restore the database from a backup"
    )]
    KeyCheckMissing { dir: PathBuf },
    #[error("the database has schema version {found}, this build reads versions 1 to {expected}")]
    Schema { found: u32, expected: u32 },
    /// A database a later release migrated beyond what this one can run on.
    #[error(
        "the database has schema version {found}, which needs mcp-onboard {needs} or later; this is {ours}: upgrade this node"
    )]
    SchemaTooNew {
        found: u32,
        needs: String,
        ours: String,
    },
    /// The database's change sequence is behind what this process published: it lost
    /// commits (restored from a backup, or failed over to a replica that had not received
    /// them).
    #[error(
        "the change sequence went backwards: the database is at {found} but changes up to {published} were published from it here, so it lost acknowledged commits (restored from a backup, or failed over to a replica that had not received them); refusing to publish over them: stop, find out what was lost, then start again (after restoring an older copy on purpose, delete the file `store-seq` in the data dir first)"
    )]
    SequenceBackwards { found: u64, published: u64 },
    /// The database itself failed (an IO error, a corrupt page).
    #[error("database error: {0}")]
    Database(String),
    #[error("stored record {what} is unreadable: {detail}")]
    Codec { what: String, detail: String },
    #[error("a stored secret could not be decrypted")]
    Decrypt,
    #[error("cannot create data directory {dir}: {source}")]
    DataDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("data dir {dir} can be read by other users (mode {mode:o}); run `chmod 700 {dir}`")]
    DataDirTooOpen { dir: PathBuf, mode: u32 },
    #[error("writing to the database failed: {0}")]
    Write(String),
    /// A backup that is not restored, and why.
    #[error("{0}")]
    BackupRefused(String),
    #[error("{0}")]
    Closed(String),
    #[error("a database read did not finish: {0}")]
    Task(String),
    /// An operation of leader-only work, on a node that does not lead now (see
    /// [`super::fence`]): nothing of it was written.
    #[error(transparent)]
    NotLeader(#[from] super::fence::NotLeader),
}
