//! Rows of the PostgreSQL tables as the store's types.

use tokio_postgres::Row;

use crate::domain::model::ConsentLink;
use crate::store::StoreError;
use crate::store::sled::layout::decode;

/// A tenant's links (`hash`, then the columns of [`link_of`]) in their order.
pub(super) const LINKS_OF: &str = "SELECT hash, record, open_count, continue_count FROM links \
     WHERE tenant = $1 ORDER BY created_at, hash";

/// A link from its row (`record`, `open_count`, `continue_count`).
pub(super) fn link_of(row: &Row, at: usize) -> Result<ConsentLink, StoreError> {
    let mut link: ConsentLink = decode("consent link", &row.get::<_, Vec<u8>>(at))?;
    link.open_count = u32::try_from(row.get::<_, i64>(at + 1)).unwrap_or(u32::MAX);
    link.continue_count = u32::try_from(row.get::<_, i64>(at + 2)).unwrap_or(u32::MAX);
    Ok(link)
}
