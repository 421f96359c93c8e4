//! Version 5: a tenant may have a language (`lang`, the tag its pages, links and message
//! speak). A tenant of version 4 has none and reads as such, so nothing is rewritten: the
//! migration checks that every tenant reads and records the version, which keeps a
//! release that does not know the field (and would drop it on its next write) from
//! opening the database.

use super::layout::{META_SCHEMA, decode};
use crate::domain::model::Tenant;
use crate::store::StoreError;

/// Migrate `db` (schema 4, open with its lock held) to schema 5, in place.
pub(super) fn v4_to_v5(db: &sled::Db) -> Result<(), StoreError> {
    tracing::info!("migrating the database from schema version 4 to 5");
    let mut n = 0u64;
    for item in db.open_tree("tenants")?.iter() {
        let (_, bytes) = item?;
        decode::<Tenant>("tenant", &bytes)?;
        n += 1;
    }
    db.open_tree("meta")?
        .insert(META_SCHEMA, &5u32.to_be_bytes())?;
    db.flush()?;
    tracing::info!(tenants = n, "migration to schema version 5 done");
    Ok(())
}
