//! Backups of the PostgreSQL store in the one backup format (see
//! [`crate::store::backup`]): the tables read in one REPEATABLE READ snapshot and written
//! as the sections and records of sled's layout (`sled::layout`), so that a backup of
//! either backend restores into either. The change sequence goes as sled's reservation, so
//! numbering continues after it wherever it is restored.

use std::collections::BTreeMap;
use std::path::Path;

use super::read::PgReader;
use super::rows::link_of;
use crate::domain::model::ConsentLink;
use crate::store::StoreError;
use crate::store::backup::{BackupSummary, BackupWriter, write_file};
use crate::store::sled::layout::{
    META_SCHEMA, META_SEQ_RESERVED, SCHEMA_VERSION, TREES, encode, seq_key, tenant_link_key,
    timeline_key,
};

/// Sections (by tree name) of records (key to value), in key order.
type Sections = BTreeMap<&'static str, BTreeMap<Vec<u8>, Vec<u8>>>;

fn u64_be(v: i64) -> Vec<u8> {
    u64::try_from(v).unwrap_or(0).to_be_bytes().to_vec()
}

/// Everything committed, as sled's trees hold it, read in one snapshot.
fn snapshot(reader: &PgReader) -> Result<Sections, StoreError> {
    let rows = reader.snapshot(&[
        "SELECT key, value FROM meta",
        "SELECT last FROM change_seq WHERE id = 1",
        "SELECT key, rows FROM import_chunks",
        "SELECT slug, record FROM tenants",
        "SELECT seq, slug, entry FROM timeline",
        "SELECT hash, record, open_count, continue_count FROM links",
        "SELECT state_hash, record FROM flows",
        "SELECT state_hash, record FROM used_flows",
        "SELECT slot, sealed FROM secrets",
        "SELECT slug, sealed FROM tenant_keys",
        "SELECT key, event FROM outbox",
        "SELECT seq, record FROM audit",
    ])?;
    let mut s: Sections = TREES.iter().map(|(_, n)| (*n, BTreeMap::new())).collect();
    let mut put = |tree: &'static str, k: Vec<u8>, v: Vec<u8>| {
        s.entry(tree).or_default().insert(k, v);
    };
    let [
        meta,
        seq,
        imports,
        tenants,
        timeline,
        links,
        flows,
        used,
        secrets,
        keys,
        outbox,
        audit,
    ] = &rows[..]
    else {
        return Err(StoreError::Database("the backup's snapshot".into()));
    };
    for r in meta {
        put("meta", r.get::<_, String>(0).into_bytes(), r.get(1));
    }
    put(
        "meta",
        META_SCHEMA.to_vec(),
        SCHEMA_VERSION.to_be_bytes().to_vec(),
    );
    if let Some(r) = seq.first() {
        put("meta", META_SEQ_RESERVED.to_vec(), u64_be(r.get(0)));
    }
    for r in imports {
        put("meta", r.get(0), r.get(1));
    }
    for r in tenants {
        put("tenants", r.get::<_, String>(0).into_bytes(), r.get(1));
    }
    for r in timeline {
        let (seq, slug): (i64, String) = (r.get(0), r.get(1));
        let seq = u64::try_from(seq).unwrap_or(0);
        put("timeline", timeline_key(&slug, seq), r.get(2));
        put("seq", seq_key(seq).to_vec(), slug.into_bytes());
    }
    for r in links {
        let hash: Vec<u8> = r.get(0);
        let link: ConsentLink = link_of(r, 1)?;
        put(
            "tenant_links",
            tenant_link_key(&link.tenant, link.created_at, &hash),
            Vec::new(),
        );
        put("links", hash, encode(&link));
    }
    for r in flows {
        put("flows", r.get(0), r.get(1));
    }
    for r in used {
        put("used_flows", r.get(0), r.get(1));
    }
    for r in secrets {
        put("secrets", r.get(0), r.get(1));
    }
    for r in keys {
        put("tenant_keys", r.get::<_, String>(0).into_bytes(), r.get(1));
    }
    for r in outbox {
        put("outbox", r.get(0), r.get(1));
    }
    for r in audit {
        put("audit", u64_be(r.get(0)), r.get(1));
    }
    Ok(s)
}

/// Write a backup of everything committed to `path` (a new file).
pub(super) fn write(reader: &PgReader, path: &Path) -> Result<BackupSummary, StoreError> {
    let sections = snapshot(reader)?;
    write_file(path, |file| {
        let mut w = BackupWriter::new(file, &reader.shared.cipher, SCHEMA_VERSION)?;
        for (_, name) in TREES {
            w.section(name)?;
            for (k, v) in sections.get(name).into_iter().flatten() {
                w.record(k, v)?;
            }
        }
        w.finish()
    })
}
