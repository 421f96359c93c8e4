//! Version 7: Google's security events. Each refresh token stored before gets the
//! identifiers Google's `token-revoked` events name it by (hashes, kept in its
//! integration's `token_facts`; see `domain::token_facts`), so an event about a token
//! consented before the upgrade finds its tenant. Events received are recorded under
//! `meta` `risc/JTI` (nothing to migrate). Run again after a crash, it marks only what is
//! left: a token marked already is skipped.

use secrecy::ExposeSecret;

use super::layout::{META_SCHEMA, decode, encode};
use crate::domain::model::Tenant;
use crate::domain::token_cause::mark_stored_tokens;
use crate::store::crypto::Cipher;
use crate::store::{StoreError, secret_slot};

/// The version this migration brings a database to.
pub(super) const VERSION: u32 = 7;

/// Migrate `db` (schema 6, open with its lock held) to schema 7, in place.
pub(super) fn v6_to_v7(db: &sled::Db, master: &Cipher) -> Result<(), StoreError> {
    tracing::info!("migrating the database from schema version 6 to 7");
    let (tenants, secrets, keys) = (
        db.open_tree("tenants")?,
        db.open_tree("secrets")?,
        db.open_tree("tenant_keys")?,
    );
    let mut marked = 0u64;
    for item in tenants.iter() {
        let (k, bytes) = item?;
        let mut t: Tenant = decode("tenant", &bytes)?;
        let slug = t.slug.clone();
        let token_of = |name: &str| -> Result<Option<String>, StoreError> {
            let slot = secret_slot(&slug, name);
            let Some(sealed) = secrets.get(&slot)? else {
                return Ok(None);
            };
            let key = keys.get(slug.as_bytes())?;
            let cipher = master
                .tenant_cipher(&slug, key.as_deref())
                .map_err(|_| StoreError::Decrypt)?;
            let token = cipher
                .open_string(&slot, &sealed)
                .map_err(|_| StoreError::Decrypt)?;
            Ok(Some(token.expose_secret().to_owned()))
        };
        if mark_stored_tokens(&mut t, token_of)? {
            tenants.insert(k, encode(&t))?;
            marked += 1;
        }
    }
    db.open_tree("meta")?
        .insert(META_SCHEMA, &VERSION.to_be_bytes())?;
    db.flush()?;
    tracing::info!(tenants = marked, "migration to schema version 7 done");
    Ok(())
}
