//! Migration 5's code step: each refresh token stored before Google's security events gets
//! the identifiers Google's events name it by (hashes, in its integration's `token_facts`,
//! the same step as sled's `migrate_v7`). Run at open, once: its end is recorded in `meta`
//! in the same transaction as the tenants it marks, under the migrations' lock, so nodes
//! starting at once mark each token once and a step cut short is done again.

use secrecy::ExposeSecret;

use super::db::{Conn, store_error};
use super::schema::MIGRATION_LOCK;
use crate::domain::model::Tenant;
use crate::domain::token_cause::mark_stored_tokens;
use crate::store::crypto::Cipher;
use crate::store::sled::layout::{decode, encode};
use crate::store::{StoreError, secret_slot};

/// The `meta` key recording that the step is done.
const DONE: &str = "token_marks_done";

/// Mark the stored tokens, unless that was done.
pub(super) fn mark_tokens(conn: &Conn, master: &Cipher) -> Result<(), StoreError> {
    let done = conn
        .query("SELECT 1 FROM meta WHERE key = $1", &[&DONE])
        .map_err(|e| store_error(&e))?;
    if !done.is_empty() {
        return Ok(());
    }
    conn.batch(&format!(
        "BEGIN; SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"
    ))
    .map_err(|e| store_error(&e))?;
    let res = mark_all(conn, master);
    let end = if res.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = conn.batch(end).map_err(|e| store_error(&e));
    res?;
    ended?;
    Ok(())
}

fn mark_all(conn: &Conn, master: &Cipher) -> Result<(), StoreError> {
    let q = |sql: &'static str, params: super::db::Params<'_>| {
        conn.query(sql, params).map_err(|e| store_error(&e))
    };
    if !q("SELECT 1 FROM meta WHERE key = $1", &[&DONE])?.is_empty() {
        return Ok(());
    }
    let mut marked = 0u64;
    for row in q("SELECT slug, record FROM tenants", &[])? {
        let slug: String = row.get(0);
        let mut t: Tenant = decode("tenant", &row.get::<_, Vec<u8>>(1))?;
        let token_of = |name: &str| -> Result<Option<String>, StoreError> {
            let slot = secret_slot(&slug, name);
            let Some(sealed) = q("SELECT sealed FROM secrets WHERE slot = $1", &[&slot])?
                .first()
                .map(|r| r.get::<_, Vec<u8>>(0))
            else {
                return Ok(None);
            };
            let key = q("SELECT sealed FROM tenant_keys WHERE slug = $1", &[&slug])?
                .first()
                .map(|r| r.get::<_, Vec<u8>>(0));
            let cipher = master
                .tenant_cipher(&slug, key.as_deref())
                .map_err(|_| StoreError::Decrypt)?;
            let token = cipher
                .open_string(&slot, &sealed)
                .map_err(|_| StoreError::Decrypt)?;
            Ok(Some(token.expose_secret().to_owned()))
        };
        if mark_stored_tokens(&mut t, token_of)? {
            conn.execute(
                "UPDATE tenants SET record = $2 WHERE slug = $1",
                &[&slug, &encode(&t)],
            )
            .map_err(|e| store_error(&e))?;
            marked += 1;
        }
    }
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        &[&DONE, &Vec::<u8>::new()],
    )
    .map_err(|e| store_error(&e))?;
    tracing::info!(
        tenants = marked,
        "stored refresh tokens given their security event identifiers"
    );
    Ok(())
}
