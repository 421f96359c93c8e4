//! Imports being staged: rows kept in memory until their commit, bounded in number and in
//! time (see `ops::import`). Node-local: a client stages an import over one connection to
//! one process, and commits it there.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use crate::domain::lifecycle::NewTenant;

/// The imports being staged, by id.
#[derive(Default)]
pub struct Staging {
    imports: Mutex<HashMap<String, Staged>>,
}

/// One import's rows so far.
pub struct Staged {
    pub rows: Vec<NewTenant>,
    pub slugs: HashSet<String>,
    pub touched: Instant,
}

impl Staging {
    pub fn lock(&self) -> MutexGuard<'_, HashMap<String, Staged>> {
        self.imports.lock().unwrap_or_else(|p| p.into_inner())
    }
}
