//! Reads outside a transaction (see [`crate::store::Reader`]): each a statement on a
//! connection of the readers' pool, waited for on the calling thread (a blocking one).

use std::sync::Arc;

use deadpool_postgres::Pool;
use secrecy::SecretString;
use tokio_postgres::Row;

use super::db::{Params, store_error};
use super::rows::link_of;
use super::rt::Rt;
use super::shared::Shared;
use super::tx::{big, meta_key};
use crate::domain::anchor::AuditAnchor;
use crate::domain::audit::{AuditHead, AuditRecord};
use crate::domain::model::{ConsentLink, PendingFlow, Tenant, TimelineEntry, UsedFlow};
use crate::domain::outbox::OutboxEvent;
use crate::store::audit::{Verdict, checked_head, verify};
use crate::store::sled::layout::{META_AUDIT_HEAD, StoredFlow, decode};
use crate::store::{Cipher, Reader, StoreError, secret_slot};
use crate::time::Millis;

pub(super) struct PgReader {
    pub rt: Arc<Rt>,
    pub pool: Pool,
    pub shared: Arc<Shared>,
}

impl PgReader {
    pub(super) fn rows(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, StoreError> {
        self.rt.wait(async {
            let c = self
                .pool
                .get()
                .await
                .map_err(|e| StoreError::Database(format!("a database connection: {e}")))?;
            let s = c.prepare_cached(sql).await.map_err(|e| store_error(&e))?;
            c.query(&s, params).await.map_err(|e| store_error(&e))
        })
    }

    /// The rows of each of `queries`, all read in one snapshot (a REPEATABLE READ, read-only
    /// transaction): what a backup holds.
    pub(super) fn snapshot(&self, queries: &[&str]) -> Result<Vec<Vec<Row>>, StoreError> {
        self.rt.wait(async {
            let mut c = self
                .pool
                .get()
                .await
                .map_err(|e| StoreError::Database(format!("a database connection: {e}")))?;
            let tx = c
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await
                .map_err(|e| store_error(&e))?;
            let mut out = Vec::with_capacity(queries.len());
            for q in queries {
                out.push(tx.query(*q, &[]).await.map_err(|e| store_error(&e))?);
            }
            tx.commit().await.map_err(|e| store_error(&e))?;
            Ok(out)
        })
    }

    fn bytes(&self, sql: &str, params: Params<'_>) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.rows(sql, params)?.first().map(|r| r.get(0)))
    }

    fn tenant_cipher(&self, slug: &str) -> Result<Cipher, StoreError> {
        let sealed = self.bytes("SELECT sealed FROM tenant_keys WHERE slug = $1", &[&slug])?;
        self.shared
            .cipher
            .tenant_cipher(slug, sealed.as_deref())
            .map_err(|_| StoreError::Decrypt)
    }

    fn head(&self) -> Result<Option<AuditHead>, StoreError> {
        // An unreadable head counts as none (the chain's check says so).
        Ok(self
            .bytes(
                "SELECT value FROM meta WHERE key = $1",
                &[&meta_key(META_AUDIT_HEAD)],
            )?
            .and_then(|v| decode("audit head", &v).ok()))
    }
}

fn decoded<T: serde::de::DeserializeOwned>(
    what: &str,
    rows: Vec<Row>,
    at: usize,
) -> Result<Vec<T>, StoreError> {
    rows.iter()
        .map(|r| decode(what, &r.get::<_, Vec<u8>>(at)))
        .collect()
}

impl Reader for PgReader {
    fn tenant(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        self.bytes("SELECT record FROM tenants WHERE slug = $1", &[&slug])?
            .map(|v| decode(&format!("tenant {slug}"), &v))
            .transpose()
    }

    fn tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        decoded(
            "tenant",
            self.rows("SELECT record FROM tenants ORDER BY slug", &[])?,
            0,
        )
    }

    fn timeline(&self, slug: &str) -> Result<Vec<TimelineEntry>, StoreError> {
        decoded(
            "timeline entry",
            self.rows(
                "SELECT entry FROM timeline WHERE slug = $1 ORDER BY seq",
                &[&slug],
            )?,
            0,
        )
    }

    fn entries_since(&self, after: u64, limit: usize) -> Result<Vec<TimelineEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        decoded(
            "timeline entry",
            self.rows(
                "SELECT entry FROM timeline WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[&big(after), &limit],
            )?,
            0,
        )
    }

    fn secret(&self, slug: &str, name: &str) -> Result<Option<SecretString>, StoreError> {
        let slot = secret_slot(slug, name);
        let Some(sealed) = self.bytes("SELECT sealed FROM secrets WHERE slot = $1", &[&slot])?
        else {
            return Ok(None);
        };
        self.tenant_cipher(slug)?
            .open_string(&slot, &sealed)
            .map(Some)
            .map_err(|_| StoreError::Decrypt)
    }

    fn link(&self, code_hash: &[u8]) -> Result<Option<ConsentLink>, StoreError> {
        self.rows(
            "SELECT record, open_count, continue_count FROM links WHERE hash = $1",
            &[&code_hash],
        )?
        .first()
        .map(|r| link_of(r, 0))
        .transpose()
    }

    /// Opens and Continues noted in memory and not yet written are included.
    fn links_for(&self, slug: &str) -> Result<Vec<ConsentLink>, StoreError> {
        let rows = self.rows(
            "SELECT hash, record, open_count, continue_count FROM links WHERE tenant = $1 \
             ORDER BY created_at, hash",
            &[&slug],
        )?;
        let pending = self.shared.pending();
        rows.iter()
            .map(|r| {
                let mut l = link_of(r, 1)?;
                if let Some(c) = pending.links.get(&r.get::<_, Vec<u8>>(0)) {
                    c.apply(&mut l);
                }
                Ok(l)
            })
            .collect()
    }

    fn pending_flow(&self, state_hash: &[u8]) -> Result<Option<PendingFlow>, StoreError> {
        self.bytes(
            "SELECT record FROM flows WHERE state_hash = $1",
            &[&state_hash],
        )?
        .map(|v| Ok(decode::<StoredFlow>("pending flow", &v)?.flow))
        .transpose()
    }

    fn used_flow(&self, state_hash: &[u8]) -> Result<Option<UsedFlow>, StoreError> {
        self.bytes(
            "SELECT record FROM used_flows WHERE state_hash = $1",
            &[&state_hash],
        )?
        .map(|v| decode("used flow", &v))
        .transpose()
    }

    fn audit_records(
        &self,
        tenant: Option<&str>,
        since: Option<Millis>,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let all: Vec<AuditRecord> = decoded(
            "audit entry",
            self.rows("SELECT record FROM audit ORDER BY seq", &[])?,
            0,
        )?;
        Ok(all
            .into_iter()
            .filter(|r| tenant.is_none_or(|t| r.tenant.as_deref() == Some(t)))
            .filter(|r| since.is_none_or(|s| r.at >= s))
            .collect())
    }

    fn verify_audit(&self, anchors: &[AuditAnchor]) -> Result<Verdict, StoreError> {
        let rows = self.rows("SELECT seq, record FROM audit ORDER BY seq", &[])?;
        let tenants = self
            .rows("SELECT count(*) FROM tenants", &[])?
            .first()
            .map_or(0, |r| r.get::<_, i64>(0));
        let entries = rows.iter().map(|r| {
            let at = u64::try_from(r.get::<_, i64>(0)).unwrap_or(u64::MAX);
            Ok((
                at,
                decode::<AuditRecord>("audit entry", &r.get::<_, Vec<u8>>(1)),
            ))
        });
        verify(
            entries,
            self.head()?,
            usize::try_from(tenants).unwrap_or(usize::MAX),
            &self.shared.cipher,
            anchors,
        )
    }

    fn audit_head(&self) -> Result<Result<(AuditHead, Millis), String>, StoreError> {
        checked_head(self.head()?, &self.shared.cipher, |seq| {
            Ok(self
                .bytes("SELECT record FROM audit WHERE seq = $1", &[&big(seq)])?
                .and_then(|v| decode::<AuditRecord>("audit entry", &v).ok()))
        })
    }

    fn outbox_after(
        &self,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, OutboxEvent)>, StoreError> {
        // Keys compare as bytes, as sled's do: an empty key is before them all.
        let after = after.unwrap_or_default();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.rows(
            "SELECT key, event FROM outbox WHERE key > $1 ORDER BY key LIMIT $2",
            &[&after, &limit],
        )?
        .iter()
        .map(|r| Ok((r.get(0), decode("outbox event", &r.get::<_, Vec<u8>>(1))?)))
        .collect()
    }

    fn pending_import_chunks(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        Ok(self
            .rows("SELECT key FROM import_chunks ORDER BY key", &[])?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn security_events(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        Ok(self
            .rows("SELECT record FROM risc_events ORDER BY received_at", &[])?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(self
            .rows("SELECT max(version) FROM schema_migrations", &[])?
            .first()
            .and_then(|r| r.get::<_, Option<i32>>(0))
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0))
    }

    fn sealed_secret_for_tests(&self, slug: &str, name: &str) -> Option<Vec<u8>> {
        self.bytes(
            "SELECT sealed FROM secrets WHERE slot = $1",
            &[&secret_slot(slug, name)],
        )
        .ok()
        .flatten()
    }

    fn open_sealed_for_tests(
        &self,
        slug: &str,
        name: &str,
        sealed: &[u8],
    ) -> Result<SecretString, StoreError> {
        self.tenant_cipher(slug)?
            .open_string(&secret_slot(slug, name), sealed)
            .map_err(|_| StoreError::Decrypt)
    }
}
