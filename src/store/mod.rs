//! The typed store: sled 0.34 behind narrow, typed operations (no raw sled leaks out).
//!
//! Layout (one sled database under `<data dir>/db`): trees `meta` (schema version, key
//! check), `tenants` (slug → JSON), `links` (SHA-256 of code → JSON), `flows` (SHA-256 of
//! state → JSON with the sealed PKCE verifier), `used_flows` (tombstones for replays),
//! `secrets` (slot → sealed bytes) and `events` (slug, 0, big-endian id → JSON).
//! An in-memory index of active provisioning jobs ordered by next attempt is built at open
//! and updated under one lock with every tenant change, so finding due work costs in
//! proportion to the work that is due, not to the number of tenants.
//! Multi-record changes run in one sled transaction; callers flush before acknowledging.

mod crypto;
mod jobs;
mod owner;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use thiserror::Error;

pub use crypto::{Cipher, KeyError, KeySource};
pub use owner::OwnerInfo;

use crate::engine::model::{AuditEvent, ConsentLink, PendingFlow, Tenant, UsedFlow};

pub const SCHEMA_VERSION: u32 = 1;
const KEY_CHECK_SLOT: &[u8] = b"meta/key_check";
const KEY_CHECK_TEXT: &[u8] = b"mcp-onboard key check";

#[derive(Debug, Error)]
pub enum StoreError {
    #[error(
        "the database in {dir} is in use by {holder}; stop it or use it through its control socket"
    )]
    Locked { dir: PathBuf, holder: String },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(
        "the key does not open this database (it was created with another key); set MCP_ONBOARD_KEY or the key file to the original key"
    )]
    WrongKey,
    #[error("the database has schema version {found}, this build reads version {expected}")]
    Schema { found: u32, expected: u32 },
    #[error("database error: {0}")]
    Sled(#[from] sled::Error),
    #[error("stored record {what} is unreadable: {detail}")]
    Codec { what: String, detail: String },
    #[error("a stored secret could not be decrypted")]
    Decrypt,
    #[error("cannot create data directory {dir}: {source}")]
    DataDir {
        dir: PathBuf,
        source: std::io::Error,
    },
}

/// Why a tenant update did not happen.
#[derive(Debug, Error)]
pub enum UpdateError<E> {
    #[error("no tenant {0}")]
    NotFound(String),
    #[error(transparent)]
    Rejected(E),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Serialize, Deserialize)]
struct StoredFlow {
    flow: PendingFlow,
    verifier: String,
}

pub struct Store {
    db: sled::Db,
    dir: PathBuf,
    meta: sled::Tree,
    tenants: sled::Tree,
    links: sled::Tree,
    flows: sled::Tree,
    used_flows: sled::Tree,
    secrets: sled::Tree,
    events: sled::Tree,
    jobs: std::sync::Mutex<jobs::JobIndex>,
    cipher: Cipher,
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    // Serializing our own plain structs to JSON cannot fail.
    serde_json::to_vec(v).unwrap_or_default()
}

fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Codec {
        what: what.to_owned(),
        detail: e.to_string(),
    })
}

fn event_key(slug: &str, id: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(slug.len() + 9);
    k.extend_from_slice(slug.as_bytes());
    k.push(0);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

fn secret_slot(slug: &str, name: &str) -> Vec<u8> {
    format!("tenant/{slug}/{name}").into_bytes()
}

fn flow_slot(hash: &[u8]) -> Vec<u8> {
    let mut s = b"flow/".to_vec();
    s.extend_from_slice(hash);
    s
}

fn is_lock_error(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

impl Store {
    /// Open (or create) the database in `dir`. A new database gets a new key file when the
    /// key source is a file; an existing one refuses to open without its key.
    pub fn open(dir: &Path, key: &KeySource) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
            dir: dir.to_owned(),
            source,
        })?;
        let db = sled::Config::new()
            .path(dir.join("db"))
            .flush_every_ms(Some(200))
            .open()
            .map_err(|e| {
                if is_lock_error(&e) {
                    StoreError::Locked {
                        dir: dir.to_owned(),
                        holder: owner::describe_holder(dir),
                    }
                } else {
                    StoreError::Sled(e)
                }
            })?;
        let meta = db.open_tree("meta")?;
        let check = meta.get("key_check")?;
        let cipher = Cipher::load(key, check.is_none())?;
        match &check {
            Some(sealed) => {
                cipher
                    .open(KEY_CHECK_SLOT, sealed)
                    .map_err(|_| StoreError::WrongKey)?;
            }
            None => {
                meta.insert("key_check", cipher.seal(KEY_CHECK_SLOT, KEY_CHECK_TEXT))?;
                meta.insert("schema_version", &SCHEMA_VERSION.to_be_bytes())?;
                db.flush()?;
            }
        }
        let found = meta
            .get("schema_version")?
            .and_then(|v| <[u8; 4]>::try_from(v.as_ref()).ok())
            .map(u32::from_be_bytes)
            .unwrap_or(0);
        if found != SCHEMA_VERSION {
            return Err(StoreError::Schema {
                found,
                expected: SCHEMA_VERSION,
            });
        }
        owner::record(dir);
        let store = Self {
            tenants: db.open_tree("tenants")?,
            links: db.open_tree("links")?,
            flows: db.open_tree("flows")?,
            used_flows: db.open_tree("used_flows")?,
            secrets: db.open_tree("secrets")?,
            events: db.open_tree("events")?,
            jobs: std::sync::Mutex::new(jobs::JobIndex::default()),
            meta,
            db,
            dir: dir.to_owned(),
            cipher,
        };
        store.rebuild_jobs()?;
        Ok(store)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Make every write so far durable.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.db.flush_async().await?;
        Ok(())
    }

    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(self
            .meta
            .get("schema_version")?
            .and_then(|v| <[u8; 4]>::try_from(v.as_ref()).ok())
            .map(u32::from_be_bytes)
            .unwrap_or(0))
    }

    // ---- tenants and events ----

    /// Insert a new tenant with its first event; `Ok(false)` if the slug is taken.
    pub fn insert_tenant(&self, tenant: &Tenant, event: &AuditEvent) -> Result<bool, StoreError> {
        let res = (&self.tenants, &self.events).transaction(|(tenants, events)| {
            if tenants.get(tenant.slug.as_bytes())?.is_some() {
                return Ok(false);
            }
            tenants.insert(tenant.slug.as_bytes(), encode(tenant))?;
            let id = events.generate_id()?;
            events.insert(event_key(&event.tenant, id), encode(event))?;
            Ok(true)
        });
        res.map_err(|e: TransactionError<()>| match e {
            TransactionError::Storage(s) => StoreError::Sled(s),
            TransactionError::Abort(()) => StoreError::Codec {
                what: "tenant".into(),
                detail: "aborted".into(),
            },
        })
    }

    pub fn tenant(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        self.tenants
            .get(slug.as_bytes())?
            .map(|v| decode(&format!("tenant {slug}"), &v))
            .transpose()
    }

    pub fn tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        self.tenants
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                decode(&format!("tenant {}", String::from_utf8_lossy(&k)), &v)
            })
            .collect()
    }

    /// Change a tenant and record its event (if any) atomically; `f` is pure and may run
    /// more than once. With `secret`, the named secret is stored in the same transaction.
    pub fn update_tenant<E, F>(
        &self,
        slug: &str,
        secret: Option<(&str, &SecretString)>,
        f: F,
    ) -> Result<Tenant, UpdateError<E>>
    where
        F: Fn(&Tenant) -> Result<(Tenant, Option<AuditEvent>), E>,
    {
        let sealed = secret.map(|(name, value)| {
            let slot = secret_slot(slug, name);
            let sealed = self.cipher.seal(&slot, value.expose_secret().as_bytes());
            (slot, sealed)
        });
        // Held across the transaction, so the index sees changes in commit order.
        let mut index = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        let res = (&self.tenants, &self.events, &self.secrets).transaction(
            |(tenants, events, secrets)| {
                let Some(raw) = tenants.get(slug.as_bytes())? else {
                    return Err(ConflictableTransactionError::Abort(UpdateError::NotFound(
                        slug.to_owned(),
                    )));
                };
                let current: Tenant = decode(&format!("tenant {slug}"), &raw)
                    .map_err(|e| ConflictableTransactionError::Abort(UpdateError::Store(e)))?;
                let (next, event) = f(&current)
                    .map_err(|e| ConflictableTransactionError::Abort(UpdateError::Rejected(e)))?;
                tenants.insert(slug.as_bytes(), encode(&next))?;
                if let Some(event) = &event {
                    let id = events.generate_id()?;
                    events.insert(event_key(slug, id), encode(event))?;
                }
                if let Some((slot, sealed)) = &sealed {
                    secrets.insert(slot.as_slice(), sealed.as_slice())?;
                }
                Ok(next)
            },
        );
        let next = res.map_err(|e| match e {
            TransactionError::Abort(a) => a,
            TransactionError::Storage(s) => UpdateError::Store(StoreError::Sled(s)),
        })?;
        index.set(&next);
        Ok(next)
    }

    fn rebuild_jobs(&self) -> Result<(), StoreError> {
        let tenants = self.tenants()?;
        let mut index = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        for t in &tenants {
            index.set(t);
        }
        Ok(())
    }

    /// Tenants whose provisioning job is due at `now`, and when the next one after falls due.
    pub fn due_jobs(&self, now: i64) -> Result<(Vec<String>, Option<i64>), StoreError> {
        Ok(self.jobs.lock().unwrap_or_else(|p| p.into_inner()).due(now))
    }

    pub fn record_event(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let id = self.db.generate_id()?;
        self.events
            .insert(event_key(&event.tenant, id), encode(event))?;
        Ok(())
    }

    /// A tenant's timeline, oldest first.
    pub fn events(&self, slug: &str) -> Result<Vec<AuditEvent>, StoreError> {
        let mut prefix = slug.as_bytes().to_vec();
        prefix.push(0);
        self.events
            .scan_prefix(prefix)
            .map(|kv| decode("event", &kv?.1))
            .collect()
    }

    // ---- secrets ----

    pub fn secret(&self, slug: &str, name: &str) -> Result<Option<SecretString>, StoreError> {
        let slot = secret_slot(slug, name);
        self.secrets
            .get(&slot)?
            .map(|v| {
                self.cipher
                    .open_string(&slot, &v)
                    .map_err(|_| StoreError::Decrypt)
            })
            .transpose()
    }

    // ---- consent links ----

    pub fn put_link(&self, code_hash: &[u8], link: &ConsentLink) -> Result<(), StoreError> {
        self.links.insert(code_hash, encode(link))?;
        Ok(())
    }

    pub fn link(&self, code_hash: &[u8]) -> Result<Option<ConsentLink>, StoreError> {
        self.links
            .get(code_hash)?
            .map(|v| decode("consent link", &v))
            .transpose()
    }

    pub fn links_for(&self, slug: &str) -> Result<Vec<ConsentLink>, StoreError> {
        let mut out = Vec::new();
        for kv in self.links.iter() {
            let link: ConsentLink = decode("consent link", &kv?.1)?;
            if link.tenant == slug {
                out.push(link);
            }
        }
        out.sort_by_key(|l| l.created_at);
        Ok(out)
    }

    /// Mark a link used by a consent; `false` if it was used already (or is unknown).
    pub fn mark_link_used(&self, code_hash: &[u8], now: i64) -> Result<bool, StoreError> {
        let mut marked = false;
        self.links.fetch_and_update(code_hash, |old| {
            let old = old?;
            let mut link: ConsentLink = serde_json::from_slice(old).ok()?;
            marked = link.used_at.is_none();
            link.used_at.get_or_insert(now);
            Some(encode(&link))
        })?;
        Ok(marked)
    }

    /// Withdraw every link of a tenant that could still be used; returns their ids.
    pub fn revoke_links(&self, slug: &str) -> Result<Vec<String>, StoreError> {
        let mut revoked = Vec::new();
        for kv in self.links.iter() {
            let (k, v) = kv?;
            let mut link: ConsentLink = decode("consent link", &v)?;
            if link.tenant == slug && !link.revoked && link.used_at.is_none() {
                link.revoked = true;
                revoked.push(link.id.clone());
                self.links.insert(k, encode(&link))?;
            }
        }
        Ok(revoked)
    }

    /// Record that a link was opened (count and first time).
    pub fn mark_link_opened(&self, code_hash: &[u8], now: i64) -> Result<(), StoreError> {
        self.links.fetch_and_update(code_hash, |old| {
            let old = old?;
            let mut link: ConsentLink = serde_json::from_slice(old).ok()?;
            link.opened_at.get_or_insert(now);
            link.open_count = link.open_count.saturating_add(1);
            Some(encode(&link))
        })?;
        Ok(())
    }

    // ---- pending OAuth flows ----

    pub fn put_flow(
        &self,
        state_hash: &[u8],
        flow: &PendingFlow,
        verifier: &SecretString,
    ) -> Result<(), StoreError> {
        let sealed = self
            .cipher
            .seal(&flow_slot(state_hash), verifier.expose_secret().as_bytes());
        let stored = StoredFlow {
            flow: flow.clone(),
            verifier: STANDARD.encode(sealed),
        };
        self.flows.insert(state_hash, encode(&stored))?;
        Ok(())
    }

    /// Remove and return the flow: exactly one caller ever gets it. A tombstone records the
    /// use so a replay can be told apart from a state that never existed.
    pub fn take_flow(
        &self,
        state_hash: &[u8],
        now: i64,
    ) -> Result<Option<(PendingFlow, SecretString)>, StoreError> {
        // Remove and leave the tombstone in one transaction, so a racing replay sees one
        // or the other.
        let taken = (&self.flows, &self.used_flows).transaction(|(flows, used)| {
            let Some(raw) = flows.remove(state_hash)? else {
                return Ok(None);
            };
            let tenant = serde_json::from_slice::<StoredFlow>(&raw)
                .map(|s| s.flow.tenant)
                .unwrap_or_default();
            used.insert(
                state_hash,
                encode(&UsedFlow {
                    tenant,
                    used_at: now,
                }),
            )?;
            Ok(Some(raw))
        });
        let raw = match taken {
            Ok(Some(raw)) => raw,
            Ok(None) => return Ok(None),
            Err(TransactionError::Storage(e)) => return Err(StoreError::Sled(e)),
            Err(TransactionError::Abort(())) => return Ok(None),
        };
        let stored: StoredFlow = decode("pending flow", &raw)?;
        let sealed = STANDARD
            .decode(&stored.verifier)
            .map_err(|_| StoreError::Decrypt)?;
        let verifier = self
            .cipher
            .open_string(&flow_slot(state_hash), &sealed)
            .map_err(|_| StoreError::Decrypt)?;
        Ok(Some((stored.flow, verifier)))
    }

    pub fn used_flow(&self, state_hash: &[u8]) -> Result<Option<UsedFlow>, StoreError> {
        self.used_flows
            .get(state_hash)?
            .map(|v| decode("used flow", &v))
            .transpose()
    }

    /// Drop flows and tombstones older than `before`; returns how many went.
    pub fn sweep_flows(&self, before: i64) -> Result<usize, StoreError> {
        let mut n = 0;
        for kv in self.flows.iter() {
            let (k, v) = kv?;
            let stored: Result<StoredFlow, _> = serde_json::from_slice(&v);
            if stored.map(|s| s.flow.expires_at < before).unwrap_or(true) {
                self.flows.remove(k)?;
                n += 1;
            }
        }
        for kv in self.used_flows.iter() {
            let (k, v) = kv?;
            let used: Result<UsedFlow, _> = serde_json::from_slice(&v);
            if used.map(|u| u.used_at < before).unwrap_or(true) {
                self.used_flows.remove(k)?;
                n += 1;
            }
        }
        Ok(n)
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.dir).finish()
    }
}
