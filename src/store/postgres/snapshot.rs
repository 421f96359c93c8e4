//! The read model from the tables, read in one snapshot with the change number it stands
//! at: at open, and again when a node finds it missed changes (see `feed`).

use super::db::{Conn, store_error};
use super::rows::link_of;
use crate::domain::model::Tenant;
use crate::store::sled::layout::decode;
use crate::store::{Index, StoreError};

/// Every tenant in brief, the links still live, the pending flows, and the last change
/// number, all as one snapshot saw them. Blocks (on the connection's runtime).
pub(super) fn read_model(conn: &Conn) -> Result<(Index, u64), StoreError> {
    conn.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .map_err(|e| store_error(&e))?;
    let read = build(conn);
    // Read only: ending it can only fail with the connection, which the next use finds.
    let _ = conn.batch("COMMIT");
    read
}

fn build(conn: &Conn) -> Result<(Index, u64), StoreError> {
    let q = |sql: &'static str| conn.query(sql, &[]).map_err(|e| store_error(&e));
    let last = q("SELECT last FROM change_seq WHERE id = 1")?
        .first()
        .map_or(0, |r| r.get::<_, i64>(0));
    let mut index = Index::default();
    for r in q("SELECT slug, record FROM tenants")? {
        let slug: String = r.get(0);
        let t: Tenant = decode(&format!("tenant {slug}"), &r.get::<_, Vec<u8>>(1))?;
        index.put_tenant(&t);
    }
    let now = crate::time::now_ms();
    for r in q("SELECT hash, record, open_count, continue_count FROM links")? {
        let hash: Vec<u8> = r.get(0);
        index.put_link(&hash, &link_of(&r, 1)?, now);
    }
    for r in q("SELECT state_hash, expires_at FROM flows")? {
        let hash: Vec<u8> = r.get(0);
        index.put_flow(&hash, r.get(1));
    }
    Ok((index, u64::try_from(last).unwrap_or(0)))
}
