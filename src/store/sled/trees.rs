//! The sled database and its trees, with the cipher: what the writer, the readers and the
//! node-local state share.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use super::layout::{T, TREES};
use crate::store::{Cipher, StoreError};

pub(super) struct Trees {
    /// The database counts as open in this process until this goes (see `reopen`): first,
    /// so it goes before the database closes, never after another open found it closed.
    pub _open_here: super::reopen::OpenHere,
    pub db: sled::Db,
    pub trees: [sled::Tree; TREES.len()],
    pub cipher: Cipher,
    /// Tenant events go to the outbox (webhooks are configured).
    pub outbox_on: AtomicBool,
    /// Slugs of imports decided and not yet written (see `import`).
    pub importing: Mutex<HashSet<String>>,
}

impl Trees {
    pub fn tree(&self, t: T) -> &sled::Tree {
        &self.trees[t as usize]
    }

    /// A tenant's data key, from its sealed form as stored (`None`: it has none).
    pub fn tenant_cipher(&self, slug: &str, sealed: Option<&[u8]>) -> Result<Cipher, StoreError> {
        self.cipher
            .tenant_cipher(slug, sealed)
            .map_err(|_| StoreError::Decrypt)
    }
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}
