//! Version 6: a tenant holds integrations (`added`: those after its first, each with its
//! own state, see `domain::held`). A tenant of version 5 holds its one integration and
//! reads as such, so nothing is rewritten: the migration checks that every tenant reads
//! and records the version, which keeps a release that does not know the integrations (and
//! would drop them on its next write) from opening the database.

use super::layout::{META_SCHEMA, decode};
use crate::domain::model::Tenant;
use crate::store::StoreError;

/// The version this migration brings a database to.
pub(super) const VERSION: u32 = 6;

/// Migrate `db` (schema 5, open with its lock held) to schema 6, in place.
pub(super) fn v5_to_v6(db: &sled::Db) -> Result<(), StoreError> {
    tracing::info!("migrating the database from schema version 5 to 6");
    let mut n = 0u64;
    for item in db.open_tree("tenants")?.iter() {
        let (_, bytes) = item?;
        decode::<Tenant>("tenant", &bytes)?;
        n += 1;
    }
    db.open_tree("meta")?
        .insert(META_SCHEMA, &VERSION.to_be_bytes())?;
    db.flush()?;
    tracing::info!(tenants = n, "migration to schema version 6 done");
    Ok(())
}
