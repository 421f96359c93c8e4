//! The sled transaction's secrets, webhook outbox and import journal (see `tx`).

use secrecy::{ExposeSecret, SecretString};

use super::import::{CHUNK_ROWS, chunk_key, is_reserved, reserved};
use super::layout::{T, decode, encode};
use super::tx::SledTx;
use crate::domain::lifecycle::{NewTenant, new_tenant};
use crate::domain::outbox::OutboxEvent;
use crate::store::{
    ImportTx, OutboxTx, SecretTx, StoreError, TenantTx, Tx, secret_prefix, secret_slot,
};

impl SecretTx for SledTx<'_> {
    /// Under the tenant's own data key, so that destroying that key at offboarding leaves
    /// any copy of its old ciphertext (sled keeps overwritten data on disk for a while)
    /// unreadable.
    fn put_secret(
        &mut self,
        slug: &str,
        name: &str,
        value: &SecretString,
    ) -> Result<(), StoreError> {
        let cipher = match self.get(T::TenantKeys, slug.as_bytes())? {
            Some(sealed) => self.trees.tenant_cipher(slug, Some(&sealed))?,
            None => {
                let (cipher, sealed) = self.trees.cipher.new_tenant_key(slug);
                self.put(T::TenantKeys, slug.as_bytes().to_vec(), sealed);
                cipher
            }
        };
        let slot = secret_slot(slug, name);
        let sealed = cipher.seal(&slot, value.expose_secret().as_bytes());
        self.put(T::Secrets, slot, sealed);
        Ok(())
    }

    fn delete_secret(&mut self, slug: &str, name: &str) -> Result<(), StoreError> {
        self.del(T::Secrets, secret_slot(slug, name));
        Ok(())
    }

    fn delete_secrets_of(&mut self, slug: &str) -> Result<(), StoreError> {
        for (k, _) in self.scan(T::Secrets, &secret_prefix(slug))? {
            self.del(T::Secrets, k);
        }
        Ok(())
    }

    fn destroy_tenant_key(&mut self, slug: &str) -> Result<(), StoreError> {
        self.del(T::TenantKeys, slug.as_bytes().to_vec());
        Ok(())
    }

    fn secret(&self, slug: &str, name: &str) -> Result<Option<SecretString>, StoreError> {
        let slot = secret_slot(slug, name);
        let Some(sealed) = self.get(T::Secrets, &slot)? else {
            return Ok(None);
        };
        let key = self.get(T::TenantKeys, slug.as_bytes())?;
        let cipher = self.trees.tenant_cipher(slug, key.as_deref())?;
        cipher
            .open_string(&slot, &sealed)
            .map(Some)
            .map_err(|_| StoreError::Decrypt)
    }
}

impl OutboxTx for SledTx<'_> {
    fn outbox_delivered(
        &mut self,
        key: &[u8],
        receiver: &str,
        done: &dyn Fn(&OutboxEvent) -> bool,
    ) -> Result<(), StoreError> {
        let Some(raw) = self.get(T::Outbox, key)? else {
            return Ok(());
        };
        let mut e: OutboxEvent = decode("outbox event", &raw)?;
        if !e.delivered.iter().any(|r| r == receiver) {
            e.delivered.push(receiver.to_owned());
        }
        if done(&e) {
            self.del(T::Outbox, key.to_vec());
        } else {
            self.put(T::Outbox, key.to_vec(), encode(&e));
        }
        Ok(())
    }

    fn outbox_drop(&mut self, key: &[u8]) -> Result<(), StoreError> {
        self.del(T::Outbox, key.to_vec());
        Ok(())
    }
}

impl ImportTx for SledTx<'_> {
    fn import_decide(
        &mut self,
        id: &str,
        rows: Vec<NewTenant>,
    ) -> Result<Result<Vec<Vec<u8>>, Vec<String>>, StoreError> {
        let mut taken = Vec::new();
        for r in &rows {
            if self.get(T::Tenants, r.slug.as_bytes())?.is_some()
                || is_reserved(self.trees, &r.slug)
            {
                taken.push(r.slug.clone());
            }
        }
        if !taken.is_empty() {
            return Ok(Err(taken));
        }
        let mut keys = Vec::new();
        for (n, chunk) in (0u32..).zip(rows.chunks(CHUNK_ROWS)) {
            let key = chunk_key(id, n);
            self.put(T::Meta, key.clone(), encode(&chunk));
            keys.push(key);
        }
        reserved(self.trees).extend(rows.into_iter().map(|r| r.slug));
        Ok(Ok(keys))
    }

    fn import_apply(&mut self, key: &[u8]) -> Result<usize, StoreError> {
        let Some(raw) = self.get(T::Meta, key)? else {
            return Ok(0);
        };
        let rows: Vec<NewTenant> = decode("import journal", &raw)?;
        let now = self.now();
        let mut written = 0;
        for r in &rows {
            // Checked when the import was decided, and reserved since: only a journal
            // restored over other data could fail here; that row is left out, and said.
            let made = new_tenant(r, now);
            let free = self.get(T::Tenants, r.slug.as_bytes())?.is_none();
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
        self.del(T::Meta, key.to_vec());
        let mut held = reserved(self.trees);
        for r in &rows {
            held.remove(&r.slug);
        }
        Ok(written)
    }
}
