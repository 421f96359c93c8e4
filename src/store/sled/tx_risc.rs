//! The sled transaction's record of Google's security events: one `meta` entry per event,
//! under `risc/` and its `jti` (see `layout`).

use super::layout::{META_RISC_PREFIX, T};
use super::tx::SledTx;
use crate::store::{SecurityEventTx, StoreError, Tx};

impl SecurityEventTx for SledTx<'_> {
    fn record_security_event(&mut self, jti: &str, record: &[u8]) -> Result<bool, StoreError> {
        let key = [META_RISC_PREFIX, jti.as_bytes()].concat();
        if self.get(T::Meta, &key)?.is_some() {
            return Ok(false);
        }
        let at = self.now();
        let mut value = at.to_be_bytes().to_vec();
        value.extend_from_slice(record);
        self.put(T::Meta, key, value);
        Ok(true)
    }
}
