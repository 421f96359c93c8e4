//! Opening the PostgreSQL store: the data dir checked (it still holds the key file, the
//! control socket and the logs), the server reached, the schema migrated, the key checked
//! (a database whose key check our master key does not open is refused, as with sled), the
//! read model built, the writer and the lease keeper started. Every session of the store
//! is named by its node id (`application_name`), so that a node taking the lease over can
//! end this one's.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::broadcast;

use super::db::{Conn, Target, store_error};
use super::lease::Keeper;
use super::listener::Listener;
use super::node::PgNode;
use super::read::PgReader;
use super::rt::Rt;
use super::schema::{self, PG_SCHEMA_VERSION};
use super::shared::Shared;
use super::snapshot;
use super::tx::meta_key;
use super::writer::Writer;
use super::{PgBackend, marker, tls};
use crate::config::postgres_url::PostgresUrl;
use crate::domain::model::ProvisionerState;
use crate::store::leader::node_id;
use crate::store::sled::layout::{META_AUDIT_HEAD, META_KEY_CHECK, decode, encode};
use crate::store::{
    Cipher, EVENT_BUFFER, KEY_CHECK_SLOT, KEY_CHECK_TEXT, KeySource, Published, StoreError,
    check_data_dir,
};

/// Open the store in the database `url` names, its lease taken and renewed within
/// `leader_timeout`, the other nodes' commits followed (see `listener`). Blocks: call it
/// from a blocking thread.
pub(super) fn open(
    dir: &Path,
    key: &KeySource,
    url: &PostgresUrl,
    leader_timeout: Duration,
    change_log_keep: Duration,
) -> Result<PgBackend, StoreError> {
    check_data_dir(dir)?;
    let rt = Rt::start()?;
    let node = node_id();
    let mut named = url.clone();
    named.connect.application_name(&node);
    let target = Target {
        url: named,
        tls: tls::connector(url)?,
        rt: rt.clone(),
    };
    let conn = Conn::new(target.connect()?, rt.clone());
    let schema = schema::migrate(&conn)?;
    // Listed among the nodes from the start (the lease keeper keeps the row fresh).
    let listener: Option<&str> = None;
    conn.execute(
        super::nodes::SEEN,
        &[&node, &env!("CARGO_PKG_VERSION"), &listener],
    )
    .map_err(|e| store_error(&e))?;
    let q = |sql: &'static str, params: super::db::Params<'_>| {
        conn.query(sql, params).map_err(|e| store_error(&e))
    };
    let check_key = meta_key(META_KEY_CHECK);
    let check: Option<Vec<u8>> = q("SELECT value FROM meta WHERE key = $1", &[&check_key])?
        .first()
        .map(|r| r.get(0));
    if check.is_none() && !q("SELECT 1 FROM tenants LIMIT 1", &[])?.is_empty() {
        return Err(StoreError::KeyCheckMissing {
            dir: url.shown().into(),
        });
    }
    let cipher = Cipher::load(key, check.is_none())?;
    let check = match check {
        Some(c) => c,
        None => start(&conn, &cipher)?,
    };
    if cipher.open(KEY_CHECK_SLOT, &check).is_err() {
        return Err(StoreError::WrongKey);
    }
    super::mark_tokens::mark_tokens(&conn, &cipher)?;
    let (index, last) = snapshot::read_model(&conn)?;
    let outbox = q("SELECT count(*) FROM outbox", &[])?
        .first()
        .map_or(0, |r| r.get::<_, i64>(0));
    if let Some(seen) = marker::read(dir).filter(|seen| *seen > last) {
        return Err(StoreError::SequenceBackwards {
            found: last,
            published: seen,
        });
    }
    let published = Published::default();
    let stored = q(
        "SELECT record FROM published WHERE name = 'provisioner'",
        &[],
    )?;
    if let Some(r) = stored.first()
        && let Ok(state) = decode::<ProvisionerState>("provisioner state", &r.get::<_, Vec<u8>>(0))
    {
        published.set_provisioner(&state);
    }
    drop(conn);
    let (events, _) = broadcast::channel(EVENT_BUFFER);
    let shared = Arc::new(Shared {
        dir: dir.to_owned(),
        cipher,
        index: RwLock::new(index),
        pending: Mutex::default(),
        outbox_on: AtomicBool::new(false),
        outbox_len: AtomicUsize::new(usize::try_from(outbox).unwrap_or(0)),
        events,
        last_seq: AtomicU64::new(last),
        node: node.clone(),
        applied: Mutex::new(last),
        stale: AtomicBool::new(false),
        writer_pid: AtomicI32::new(0),
        delay_commit: AtomicU64::new(0),
        failed: Mutex::new(None),
        stats: Default::default(),
    });
    let reader = Arc::new(PgReader {
        rt: rt.clone(),
        pool: target.pool()?,
        shared: shared.clone(),
    });
    let keeper = Keeper::start(target.clone(), &node, leader_timeout)?;
    let listener = Listener::start(shared.clone(), target.clone(), change_log_keep)?;
    let writer = Arc::new(Writer::start(shared.clone(), target)?);
    Ok(PgBackend {
        dir: dir.to_owned(),
        shown: url.shown().to_owned(),
        schema_found: schema,
        reader,
        node: PgNode {
            shared: shared.clone(),
            writer: writer.clone(),
            published,
        },
        shared,
        writer,
        keeper,
        listener,
        rt,
    })
}

/// A new database: its key check and the genesis of its audit chain, in one transaction
/// (two processes starting at once keep the first's); returns the key check kept.
fn start(conn: &Conn, cipher: &Cipher) -> Result<Vec<u8>, StoreError> {
    let (genesis, head) = crate::store::audit::genesis(
        cipher,
        crate::time::now_ms(),
        "database_created",
        &format!(
            "the audit chain starts with the database (PostgreSQL schema version {PG_SCHEMA_VERSION})"
        ),
    );
    let run = || -> Result<(), tokio_postgres::Error> {
        conn.batch("BEGIN")?;
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            &[
                &meta_key(META_KEY_CHECK),
                &cipher.seal(KEY_CHECK_SLOT, KEY_CHECK_TEXT),
            ],
        )?;
        let fresh = conn.execute(
            "INSERT INTO audit (seq, record) VALUES (0, $1) ON CONFLICT (seq) DO NOTHING",
            &[&encode(&genesis)],
        )?;
        if fresh == 1 {
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                &[&meta_key(META_AUDIT_HEAD), &encode(&head)],
            )?;
        }
        conn.batch("COMMIT")?;
        Ok(())
    };
    if let Err(e) = run() {
        let _ = conn.batch("ROLLBACK");
        return Err(store_error(&e));
    }
    conn.query(
        "SELECT value FROM meta WHERE key = $1",
        &[&meta_key(META_KEY_CHECK)],
    )
    .map_err(|e| store_error(&e))?
    .first()
    .map(|r| r.get(0))
    .ok_or_else(|| StoreError::Database("the key check was not kept".into()))
}
