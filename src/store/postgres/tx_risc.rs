//! The PostgreSQL transaction's record of Google's security events (`risc_events`, by
//! `jti`: see migration 5).

use super::tx::{PgTx, big};
use crate::store::{SecurityEventTx, StoreError, Tx};

impl SecurityEventTx for PgTx<'_> {
    fn record_security_event(&mut self, jti: &str, record: &[u8]) -> Result<bool, StoreError> {
        let at = big(u64::try_from(self.now()).unwrap_or(0));
        let n = self.xn(
            "INSERT INTO risc_events (jti, received_at, record) VALUES ($1, $2, $3) \
             ON CONFLICT (jti) DO NOTHING",
            &[&jti, &at, &record],
        )?;
        Ok(n == 1)
    }
}
