//! The PostgreSQL transaction's secrets, webhook outbox and import journal (see `tx`; the
//! journal is that of `sled::import`: a decision in one transaction, its chunks written
//! one transaction each, the slugs reserved meanwhile, here in `import_slugs`).

use secrecy::{ExposeSecret, SecretString};

use super::shared::Effect;
use super::tx::PgTx;
use crate::domain::lifecycle::{NewTenant, new_tenant};
use crate::domain::outbox::OutboxEvent;
use crate::store::sled::import::{CHUNK_ROWS, chunk_key};
use crate::store::sled::layout::{decode, encode};
use crate::store::{Cipher, ImportTx, OutboxTx, SecretTx, StoreError, TenantTx, Tx, secret_slot};

impl PgTx<'_> {
    /// The tenant's data key as stored (sealed under the master key), if it has one.
    fn tenant_key(&self, slug: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(known) = self.cache.key(slug) {
            return Ok(known);
        }
        let key = self.bytes("SELECT sealed FROM tenant_keys WHERE slug = $1", &[&slug])?;
        self.cache.set_key(slug, key.clone());
        Ok(key)
    }

    fn tenant_cipher(&self, slug: &str, sealed: Option<&[u8]>) -> Result<Cipher, StoreError> {
        self.shared
            .cipher
            .tenant_cipher(slug, sealed)
            .map_err(|_| StoreError::Decrypt)
    }
}

impl SecretTx for PgTx<'_> {
    /// Under the tenant's own data key, so that destroying that key at offboarding leaves
    /// any copy of its old ciphertext (in the server's log, a replica, a dump) unreadable.
    fn put_secret(
        &mut self,
        slug: &str,
        name: &str,
        value: &SecretString,
    ) -> Result<(), StoreError> {
        let cipher = match self.tenant_key(slug)? {
            Some(sealed) => self.tenant_cipher(slug, Some(&sealed))?,
            None => {
                let (cipher, sealed) = self.shared.cipher.new_tenant_key(slug);
                self.x(
                    "INSERT INTO tenant_keys (slug, sealed) VALUES ($1, $2)",
                    &[&slug, &sealed],
                )?;
                self.cache.set_key(slug, Some(sealed));
                cipher
            }
        };
        let slot = secret_slot(slug, name);
        let sealed = cipher.seal(&slot, value.expose_secret().as_bytes());
        self.x(
            "INSERT INTO secrets (slot, slug, sealed) VALUES ($1, $2, $3) \
             ON CONFLICT (slot) DO UPDATE SET sealed = EXCLUDED.sealed",
            &[&slot, &slug, &sealed],
        )
        .map(|_| ())
    }

    fn delete_secret(&mut self, slug: &str, name: &str) -> Result<(), StoreError> {
        self.x(
            "DELETE FROM secrets WHERE slot = $1",
            &[&secret_slot(slug, name)],
        )
        .map(|_| ())
    }

    fn delete_secrets_of(&mut self, slug: &str) -> Result<(), StoreError> {
        self.x("DELETE FROM secrets WHERE slug = $1", &[&slug])
            .map(|_| ())
    }

    fn destroy_tenant_key(&mut self, slug: &str) -> Result<(), StoreError> {
        self.x("DELETE FROM tenant_keys WHERE slug = $1", &[&slug])?;
        self.cache.set_key(slug, None);
        Ok(())
    }

    fn secret(&self, slug: &str, name: &str) -> Result<Option<SecretString>, StoreError> {
        let slot = secret_slot(slug, name);
        let Some(sealed) = self.bytes("SELECT sealed FROM secrets WHERE slot = $1", &[&slot])?
        else {
            return Ok(None);
        };
        let key = self.tenant_key(slug)?;
        let cipher = self.tenant_cipher(slug, key.as_deref())?;
        cipher
            .open_string(&slot, &sealed)
            .map(Some)
            .map_err(|_| StoreError::Decrypt)
    }
}

impl OutboxTx for PgTx<'_> {
    fn outbox_delivered(
        &mut self,
        key: &[u8],
        receiver: &str,
        done: &dyn Fn(&OutboxEvent) -> bool,
    ) -> Result<(), StoreError> {
        let Some(raw) = self.bytes("SELECT event FROM outbox WHERE key = $1", &[&key])? else {
            return Ok(());
        };
        let mut e: OutboxEvent = decode("outbox event", &raw)?;
        if !e.delivered.iter().any(|r| r == receiver) {
            e.delivered.push(receiver.to_owned());
        }
        if done(&e) {
            self.outbox_drop(key)
        } else {
            self.x(
                "UPDATE outbox SET event = $2 WHERE key = $1",
                &[&key, &encode(&e)],
            )
            .map(|_| ())
        }
    }

    fn outbox_drop(&mut self, key: &[u8]) -> Result<(), StoreError> {
        let n = self.xn("DELETE FROM outbox WHERE key = $1", &[&key])?;
        if n > 0 {
            self.effects.push(Effect::Outbox(-1));
        }
        Ok(())
    }
}

impl ImportTx for PgTx<'_> {
    fn import_decide(
        &mut self,
        id: &str,
        rows: Vec<NewTenant>,
    ) -> Result<Result<Vec<Vec<u8>>, Vec<String>>, StoreError> {
        let slugs: Vec<String> = rows.iter().map(|r| r.slug.clone()).collect();
        let taken: Vec<String> = self
            .q(
                "SELECT slug FROM tenants WHERE slug = ANY($1) \
                 UNION SELECT slug FROM import_slugs WHERE slug = ANY($1)",
                &[&slugs],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if !taken.is_empty() {
            // In the order of the rows, as the caller names them.
            return Ok(Err(slugs
                .into_iter()
                .filter(|s| taken.contains(s))
                .collect()));
        }
        let mut keys = Vec::new();
        for (n, chunk) in (0u32..).zip(rows.chunks(CHUNK_ROWS)) {
            let key = chunk_key(id, n);
            self.x(
                "INSERT INTO import_chunks (key, rows) VALUES ($1, $2)",
                &[&key, &encode(&chunk)],
            )?;
            let mine: Vec<String> = chunk.iter().map(|r| r.slug.clone()).collect();
            self.x(
                "INSERT INTO import_slugs (slug, chunk) SELECT unnest($1::text[]), $2",
                &[&mine, &key],
            )?;
            keys.push(key);
        }
        Ok(Ok(keys))
    }

    fn import_apply(&mut self, key: &[u8]) -> Result<usize, StoreError> {
        let Some(raw) = self.bytes("SELECT rows FROM import_chunks WHERE key = $1", &[&key])?
        else {
            return Ok(0);
        };
        let rows: Vec<NewTenant> = decode("import journal", &raw)?;
        let now = self.now();
        let mut written = 0;
        for r in &rows {
            // Checked when the import was decided, and reserved since: only a journal
            // restored over other data could fail here; that row is left out, and said.
            let made = new_tenant(r, now);
            let free = self.tenant(&r.slug)?.is_none();
            match made {
                Ok((tenant, event)) if free => {
                    self.put_tenant(tenant, Some(event))?;
                    written += 1;
                }
                Ok(_) => {
                    tracing::warn!(slug = %r.slug, "an imported tenant exists already: its row is left out")
                }
                Err(e) => {
                    tracing::warn!(slug = %r.slug, error = %e, "an imported row is not valid: it is left out")
                }
            }
        }
        self.x("DELETE FROM import_slugs WHERE chunk = $1", &[&key])?;
        self.x("DELETE FROM import_chunks WHERE key = $1", &[&key])?;
        Ok(written)
    }
}
