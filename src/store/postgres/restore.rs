//! Restoring a backup (of either backend: one format, sled's layout) into a PostgreSQL
//! database that holds no store yet, in one transaction: all of it, or nothing. The
//! backup is checked first as every restore checks it (the key, its MAC, the anchors
//! asked for); its layout must be this release's (an older one is restored into sled,
//! whose next open migrates it, and backed up again). The change sequence continues after
//! the backup's.

use std::path::Path;

use super::db::{Conn, Target, store_error};
use super::rt::Rt;
use super::tx::big;
use super::{schema, tls};
use crate::config::postgres_url::PostgresUrl;
use crate::domain::anchor::AuditAnchor;
use crate::domain::lifecycle::NewTenant;
use crate::domain::model::{ConsentLink, Tenant, UsedFlow};
use crate::store::sled::Restored;
use crate::store::sled::backup::checked;
use crate::store::sled::layout::{
    META_AUDIT_HEAD, META_KEY_CHECK, META_SEQ_RESERVED, SCHEMA_VERSION, StoredFlow, decode, u64_of,
};
use crate::store::{KeySource, StoreError, check_data_dir, slug_of_secret_slot};

/// Restore `file` into the database `url` names (with `dir`, the data dir, checked as for
/// any store). Blocks: call it from a blocking thread.
pub fn restore(
    dir: &Path,
    url: &PostgresUrl,
    key: &KeySource,
    file: &Path,
    accept_unauthenticated: bool,
    expect: &[AuditAnchor],
) -> Result<Restored, StoreError> {
    let backup = checked(key, file, accept_unauthenticated, expect)?;
    if backup.schema != SCHEMA_VERSION {
        return Err(StoreError::BackupRefused(format!(
            "{}: it holds schema version {}, which PostgreSQL takes only as this release writes it ({SCHEMA_VERSION}): restore it into an embedded store first (`mcp-onboard --data-dir NEW restore {}` with store.backend = \"sled\"), open it once (it is migrated), back it up again and restore that; nothing was restored",
            file.display(),
            backup.schema,
            file.display()
        )));
    }
    check_data_dir(dir)?;
    let rt = Rt::start()?;
    let target = Target {
        url: url.clone(),
        tls: tls::connector(url)?,
        rt: rt.clone(),
    };
    let conn = Conn::new(target.connect()?, rt);
    schema::migrate(&conn)?;
    let e = |e: tokio_postgres::Error| store_error(&e);
    conn.batch("BEGIN ISOLATION LEVEL SERIALIZABLE")
        .map_err(e)?;
    let res = write(&conn, &backup.trees);
    let end = if res.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = conn.batch(end).map_err(e);
    let entries = res?;
    ended?;
    // The database restored on purpose is the one this node goes on from.
    super::marker::clear(dir)
        .map_err(|e| StoreError::Write(format!("resetting {}: {e}", dir.display())))?;
    Ok(backup.restored(entries, file))
}

fn bad(what: &str) -> StoreError {
    StoreError::Codec {
        what: "backup file".into(),
        detail: format!("a record of {what} is malformed"),
    }
}

/// Write the backup's records as rows; `Err` when the database holds a store already.
fn write(conn: &Conn, trees: &[crate::store::backup::Section]) -> Result<u64, StoreError> {
    let e = |e: tokio_postgres::Error| store_error(&e);
    let x = |sql: &'static str, p: super::db::Params<'_>| conn.execute(sql, p).map_err(e);
    let held = conn
        .query(
            "SELECT (SELECT count(*) FROM meta) + (SELECT count(*) FROM tenants) + (SELECT count(*) FROM audit)",
            &[],
        )
        .map_err(e)?
        .first()
        .map_or(0, |r| r.get::<_, i64>(0));
    if held > 0 {
        return Err(StoreError::Write(
            "the database holds a store already; restore into an empty database (a new one, named by store.postgres_url)".into(),
        ));
    }
    let mut entries = 0u64;
    let mut last_seq: u64 = 0;
    for (name, rows) in trees {
        for (k, v) in rows {
            entries += 1;
            match name.as_str() {
                "meta" if k.as_slice() == META_SEQ_RESERVED => {
                    last_seq = last_seq.max(u64_of(v).ok_or_else(|| bad("meta"))?);
                }
                "meta" if k.as_slice() == META_KEY_CHECK || k.as_slice() == META_AUDIT_HEAD => {
                    let key = String::from_utf8_lossy(k).into_owned();
                    x("INSERT INTO meta (key, value) VALUES ($1, $2)", &[&key, v])?;
                }
                "meta" if k.starts_with(b"import/") => {
                    let rows: Vec<NewTenant> = decode("import journal", v)?;
                    x(
                        "INSERT INTO import_chunks (key, rows) VALUES ($1, $2)",
                        &[k, v],
                    )?;
                    let slugs: Vec<String> = rows.into_iter().map(|r| r.slug).collect();
                    x(
                        "INSERT INTO import_slugs (slug, chunk) SELECT unnest($1::text[]), $2",
                        &[&slugs, k],
                    )?;
                }
                // The schema version is the database's own.
                "meta" => {}
                "tenants" => {
                    let t: Tenant = decode("tenant", v)?;
                    x(
                        "INSERT INTO tenants (slug, record, due_at) VALUES ($1, $2, $3)",
                        &[&t.slug, v, &super::tx::due_at(&t)],
                    )?;
                }
                "timeline" => {
                    let at = k.len().checked_sub(8).ok_or_else(|| bad("timeline"))?;
                    let slug = std::str::from_utf8(&k[..at.saturating_sub(1)])
                        .map_err(|_| bad("timeline"))?;
                    let seq = u64_of(&k[at..]).ok_or_else(|| bad("timeline"))?;
                    last_seq = last_seq.max(seq);
                    x(
                        "INSERT INTO timeline (seq, slug, entry) VALUES ($1, $2, $3)",
                        &[&big(seq), &slug, v],
                    )?;
                }
                "links" => {
                    let l: ConsentLink = decode("consent link", v)?;
                    x(
                        "INSERT INTO links (hash, tenant, created_at, record, open_count, continue_count) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                        &[
                            k,
                            &l.tenant,
                            &l.created_at,
                            v,
                            &i64::from(l.open_count),
                            &i64::from(l.continue_count),
                        ],
                    )?;
                }
                "flows" => {
                    let f: StoredFlow = decode("pending flow", v)?;
                    x(
                        "INSERT INTO flows (state_hash, link_hash, tenant, expires_at, record) \
                         VALUES ($1, $2, $3, $4, $5)",
                        &[k, &f.flow.link_hash, &f.flow.tenant, &f.flow.expires_at, v],
                    )?;
                }
                "used_flows" => {
                    let u: UsedFlow = decode("used flow", v)?;
                    x(
                        "INSERT INTO used_flows (state_hash, tenant, used_at, record) VALUES ($1, $2, $3, $4)",
                        &[k, &u.tenant, &u.used_at, v],
                    )?;
                }
                "secrets" => {
                    // Only tenants' secrets: other slots are of layouts before this one.
                    if let Some(slug) = slug_of_secret_slot(k) {
                        x(
                            "INSERT INTO secrets (slot, slug, sealed) VALUES ($1, $2, $3)",
                            &[k, &slug, v],
                        )?;
                    }
                }
                "tenant_keys" => {
                    let slug = std::str::from_utf8(k).map_err(|_| bad("tenant_keys"))?;
                    x(
                        "INSERT INTO tenant_keys (slug, sealed) VALUES ($1, $2)",
                        &[&slug, v],
                    )?;
                }
                "outbox" => {
                    let seq = crate::store::outbox::seq_of(k).ok_or_else(|| bad("outbox"))?;
                    last_seq = last_seq.max(seq);
                    x("INSERT INTO outbox (key, event) VALUES ($1, $2)", &[k, v])?;
                }
                "audit" => {
                    let seq = u64_of(k).ok_or_else(|| bad("audit"))?;
                    x(
                        "INSERT INTO audit (seq, record) VALUES ($1, $2)",
                        &[&big(seq), v],
                    )?;
                }
                // Derived from the rows above: a tenant's links, the sequence's index.
                _ => {}
            }
        }
    }
    x(
        "UPDATE change_seq SET last = $1 WHERE id = 1",
        &[&big(last_seq)],
    )?;
    Ok(entries)
}
