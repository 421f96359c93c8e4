//! Opening the sled database: the data dir checked, the lock taken (a second process is
//! told who holds it), the key checked, an older layout migrated, the read model built and
//! the writer started.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::broadcast;

use super::deferred::{Deferred, LinkFlows};
use super::files::{check_data_dir, clean_up, open_sled};
use super::layout::{
    self, META_KEY_CHECK, META_SCHEMA, META_SEQ_RESERVED, SCHEMA_VERSION, StoredFlow, T, TREES,
    decode,
};
use super::node::SledNode;
use super::overlay::SeqState;
use super::queue::{Shared, Stats};
use super::read::SledReader;
use super::trees::Trees;
use super::writer::Writer;
use super::{
    SledBackend, audit, import, lock, migrate, migrate_v4, migrate_v5, migrate_v6, migrate_v7,
    rotate,
};
use crate::domain::model::{ConsentLink, Tenant};
use crate::store::{Cipher, Index, KEY_CHECK_SLOT, KEY_CHECK_TEXT, KeySource, StoreError};

/// Subscribers that fall further behind than this are told they lagged.
pub const EVENT_BUFFER: usize = 4096;

// The last migration brings a database to the version this release writes.
const _: () = assert!(migrate_v7::VERSION == SCHEMA_VERSION);

/// Open (or create) the database in `dir` and start its writer. Blocks (sled IO, a
/// migration): call it from a blocking thread. A new database gets a new key file when
/// the key source is a file; an existing one refuses to open without its key.
pub(super) fn open(dir: &Path, key: &KeySource) -> Result<SledBackend, StoreError> {
    check_data_dir(dir)?;
    // The writer is the only flusher (see `writer`).
    let mut db = open_sled(dir)?;
    clean_up(dir);
    let meta = db.open_tree("meta")?;
    let check = meta.get(META_KEY_CHECK)?;
    if check.is_none() && !db.open_tree("tenants")?.is_empty() {
        return Err(StoreError::KeyCheckMissing {
            dir: dir.to_owned(),
        });
    }
    let mut cipher = Cipher::load(key, check.is_none())?;
    match &check {
        Some(sealed) => {
            if cipher.open(KEY_CHECK_SLOT, sealed).is_err() {
                cipher = rotate::finish(key, sealed).ok_or(StoreError::WrongKey)?;
            }
        }
        None => {
            meta.insert(META_KEY_CHECK, cipher.seal(KEY_CHECK_SLOT, KEY_CHECK_TEXT))?;
            meta.insert(META_SCHEMA, &SCHEMA_VERSION.to_be_bytes())?;
            if db.open_tree("audit")?.is_empty() {
                audit::start_chain(&db, &cipher)?;
            }
            db.flush()?;
        }
    }
    let found = meta
        .get(META_SCHEMA)?
        .and_then(|v| layout::u32_of(&v))
        .unwrap_or(0);
    match found {
        1..=6 => {
            if found == 1 {
                migrate::v1_to_v2(&db)?;
            }
            if found <= 2 {
                migrate::v2_to_v3(&db, &cipher)?;
            }
            if found <= 3 {
                db = migrate_v4::v3_to_v4(dir, db, &cipher)?;
            }
            if found <= 4 {
                migrate_v5::v4_to_v5(&db)?;
            }
            if found <= 5 {
                migrate_v6::v5_to_v6(&db)?;
            }
            migrate_v7::v6_to_v7(&db, &cipher)?;
        }
        SCHEMA_VERSION => {}
        _ => {
            return Err(StoreError::Schema {
                found,
                expected: SCHEMA_VERSION,
            });
        }
    }
    lock::record(dir);
    let mut opened = Vec::with_capacity(TREES.len());
    for (_, name) in TREES {
        opened.push(db.open_tree(name)?);
    }
    let trees: [sled::Tree; TREES.len()] = opened
        .try_into()
        .map_err(|_| StoreError::Closed("tree list".into()))?;
    let reserved = trees[T::Meta as usize]
        .get(META_SEQ_RESERVED)?
        .and_then(|v| layout::u64_of(&v))
        .unwrap_or(0);
    let importing = Mutex::new(import::reserved_in(&trees[T::Meta as usize])?);
    let trees = Arc::new(Trees {
        _open_here: super::reopen::OpenHere::new(dir),
        db,
        trees,
        cipher,
        outbox_on: AtomicBool::new(false),
        importing,
    });
    let (index, link_flows) = build_index(&trees)?;
    let index = Arc::new(RwLock::new(index));
    let stats = Arc::new(Stats::default());
    let (events, _) = broadcast::channel(EVENT_BUFFER);
    let last_seq = Arc::new(AtomicU64::new(reserved));
    let deferred = Arc::new(Mutex::new(Deferred {
        link_flows,
        ..Default::default()
    }));
    let writer = Writer::start(
        Shared {
            trees: trees.clone(),
            index: index.clone(),
            stats: stats.clone(),
            events: events.clone(),
            last_seq: last_seq.clone(),
            deferred: deferred.clone(),
            failed: Arc::new(Mutex::new(None)),
        },
        SeqState {
            next: reserved + 1,
            reserved,
        },
    )?;
    Ok(SledBackend {
        dir: dir.to_owned(),
        schema_found: found,
        leadership: crate::store::Leadership::always(&crate::store::leader::node_id()),
        reader: Arc::new(SledReader {
            trees: trees.clone(),
            deferred: deferred.clone(),
        }),
        node: SledNode {
            trees: trees.clone(),
            index,
            deferred,
            published: Default::default(),
        },
        trees,
        stats,
        events,
        last_seq,
        writer,
    })
}

/// The read model from the trees: every tenant in brief, the links still live, the
/// pending flows (by link, for the writer).
fn build_index(trees: &Trees) -> Result<(Index, LinkFlows), StoreError> {
    let mut index = Index::default();
    let mut link_flows = LinkFlows::default();
    for kv in trees.tree(T::Tenants).iter() {
        let (k, v) = kv?;
        let t: Tenant = decode(&format!("tenant {}", String::from_utf8_lossy(&k)), &v)?;
        index.put_tenant(&t);
    }
    let now = crate::time::now_ms();
    for kv in trees.tree(T::Links).iter() {
        let (k, v) = kv?;
        let l: ConsentLink = decode("consent link", &v)?;
        index.put_link(&k, &l, now);
    }
    for kv in trees.tree(T::Flows).iter() {
        let (k, v) = kv?;
        if let Ok(f) = decode::<StoredFlow>("pending flow", &v) {
            index.put_flow(&k, f.flow.expires_at);
            link_flows
                .entry(f.flow.link_hash.clone())
                .or_default()
                .push_back(k.to_vec());
        }
    }
    Ok((index, link_flows))
}
