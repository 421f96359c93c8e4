//! The typed store: sled 0.34 behind narrow, typed operations (no raw sled leaks out).
//!
//! Two halves. The [`Writer`] is the only way to change anything: one thread that batches
//! operations, commits each batch in one transaction and flushes once per batch for the
//! operations that must be durable (group commit); see [`writer`]. [`Store`] reads: the
//! in-memory [`Index`] (tenants in brief, counts, due jobs, live links) for the request
//! path, and the trees for everything else, which block and so belong on a blocking
//! thread ([`Store::read`]). Changes are published, numbered, to [`Store::subscribe`]rs.
//!
//! The layout is in [`layout`]; [`migrate`] brings an older database up to it on open.

mod audit;
mod backup;
mod backup_chain;
mod crypto;
mod import;
mod index;
pub mod layout;
mod migrate;
mod migrate_v4;
mod owner;
pub mod rotate;
mod tx;
mod writer;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard};

use secrecy::SecretString;
use thiserror::Error;
use tokio::sync::broadcast;

pub use backup::{BackupSummary, Restored, restore};
pub use backup_chain::ChainEnds;
pub use crypto::{Cipher, KeyError, KeySource};
pub use index::Index;
pub use layout::SCHEMA_VERSION;
pub use owner::OwnerInfo;
pub use tx::{Change, Committed, Counted, MAX_FLOWS_PER_LINK, TakenFlow, Tx};
pub use writer::{Durability, LAZY_FLUSH, StoreStats, Writer};

use crate::domain::model::{ConsentLink, Tenant, TimelineEntry, UsedFlow};
use layout::{META_KEY_CHECK, META_SCHEMA, META_SEQ_RESERVED, T, TREES, decode};

const KEY_CHECK_TEXT: &[u8] = b"mcp-onboard key check";
const KEY_CHECK_SLOT: &[u8] = b"meta/key_check";
/// Subscribers that fall further behind than this are told they lagged.
pub const EVENT_BUFFER: usize = 4096;
/// sled's page cache: enough for the working set, well under the memory budget.
const CACHE_BYTES: u64 = 32 * 1024 * 1024;

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
    #[error(
        "the database in {dir} holds tenants but its key check is missing: refusing to open it with a new key; restore the database from a backup"
    )]
    KeyCheckMissing { dir: PathBuf },
    #[error("the database has schema version {found}, this build reads versions 1 to {expected}")]
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
    #[error("data dir {dir} can be read by other users (mode {mode:o}); run `chmod 700 {dir}`")]
    DataDirTooOpen { dir: PathBuf, mode: u32 },
    #[error("writing to the database failed: {0}")]
    Write(String),
    /// A backup that is not restored, and why.
    #[error("{0}")]
    BackupRefused(String),
    #[error("{0}")]
    Closed(String),
    #[error("a database read did not finish: {0}")]
    Task(String),
}

/// The sled trees and the cipher, shared by the writer and the readers.
pub(crate) struct Trees {
    db: sled::Db,
    trees: [sled::Tree; TREES.len()],
    cipher: Cipher,
    /// Tenant events go to the outbox (webhooks are configured).
    outbox_on: std::sync::atomic::AtomicBool,
    /// Slugs of imports decided and not yet written (see `import`).
    importing: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl Trees {
    fn tree(&self, t: T) -> &sled::Tree {
        &self.trees[t as usize]
    }

    /// A tenant's data key from its sealed form (`None`: the tenant has none, or it was
    /// destroyed at offboarding, and nothing of it can be opened).
    fn tenant_cipher(&self, slug: &str, sealed: Option<&[u8]>) -> Result<Cipher, StoreError> {
        let sealed = sealed.ok_or(StoreError::Decrypt)?;
        let key = zeroize::Zeroizing::new(
            self.cipher
                .open(&layout::tenant_key_slot(slug), sealed)
                .map_err(|_| StoreError::Decrypt)?,
        );
        let key: &[u8; 32] = key.as_slice().try_into().map_err(|_| StoreError::Decrypt)?;
        Ok(Cipher::from_key(key))
    }

    /// A new data key for `slug`, sealed under the master key.
    fn new_tenant_key(&self, slug: &str) -> (Cipher, Vec<u8>) {
        use rand::RngCore;
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        rand::thread_rng().fill_bytes(key.as_mut());
        let sealed = self
            .cipher
            .seal(&layout::tenant_key_slot(slug), key.as_ref());
        (Cipher::from_key(&key), sealed)
    }

    fn seal_flow_verifier(&self, state_hash: &[u8], verifier: &SecretString) -> String {
        use base64::Engine as _;
        use secrecy::ExposeSecret;
        let sealed = self.cipher.seal(
            &layout::flow_slot(state_hash),
            verifier.expose_secret().as_bytes(),
        );
        base64::engine::general_purpose::STANDARD.encode(sealed)
    }
}

struct Inner {
    dir: PathBuf,
    trees: Arc<Trees>,
    index: Arc<RwLock<Index>>,
    stats: Arc<writer::Stats>,
    events: broadcast::Sender<Arc<Committed>>,
    last_seq: Arc<AtomicU64>,
    deferred: Arc<std::sync::Mutex<tx::Deferred>>,
    schema_found: u32,
}

/// The reading half of the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.inner.dir)
            .finish()
    }
}

/// Open the sled database in `dir`, flushed by nobody but its user (the writer, or a tool
/// that needs the database to itself).
fn open_sled(dir: &Path) -> Result<sled::Db, StoreError> {
    migrate_v4::finish_swap(dir)?;
    sled::Config::new()
        .path(dir.join("db"))
        .cache_capacity(CACHE_BYTES)
        .flush_every_ms(None)
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
        })
}

fn is_lock_error(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

/// Refuse a data dir that others can read; create it 0700 when missing.
pub fn check_data_dir(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::metadata(dir) {
        Ok(meta) => {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(StoreError::DataDirTooOpen {
                    dir: dir.to_owned(),
                    mode,
                });
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| StoreError::DataDir {
                dir: dir.to_owned(),
                source,
            }),
        Err(source) => Err(StoreError::DataDir {
            dir: dir.to_owned(),
            source,
        }),
    }
}

/// Whether `dir` holds a database already.
pub fn exists(dir: &Path) -> bool {
    dir.join("db").join("conf").exists() || migrate_v4::migrated_exists(dir)
}

impl Store {
    /// Open (or create) the database in `dir` and start its writer. Blocks (sled IO, a
    /// migration): call it from a blocking thread. A new database gets a new key file when
    /// the key source is a file; an existing one refuses to open without its key.
    pub fn open(dir: &Path, key: &KeySource) -> Result<(Self, Writer), StoreError> {
        check_data_dir(dir)?;
        // The writer is the only flusher (see `writer`).
        let mut db = open_sled(dir)?;
        migrate_v4::clean_up(dir);
        let meta = db.open_tree("meta")?;
        let check = meta.get(META_KEY_CHECK)?;
        if check.is_none() && !db.open_tree("tenants")?.is_empty() {
            return Err(StoreError::KeyCheckMissing {
                dir: dir.to_owned(),
            });
        }
        let mut cipher = Cipher::load(key, check.is_none())?;
        match &check {
            Some(sealed) => {
                if cipher.open(KEY_CHECK_SLOT, sealed).is_err() {
                    cipher = rotate::finish(key, sealed).ok_or(StoreError::WrongKey)?;
                }
            }
            None => {
                meta.insert(
                    META_KEY_CHECK,
                    cipher.seal(b"meta/key_check", KEY_CHECK_TEXT),
                )?;
                meta.insert(META_SCHEMA, &SCHEMA_VERSION.to_be_bytes())?;
                if db.open_tree("audit")?.is_empty() {
                    audit::start_chain(&db, &cipher)?;
                }
                db.flush()?;
            }
        }
        let found = meta
            .get(META_SCHEMA)?
            .and_then(|v| layout::u32_of(&v))
            .unwrap_or(0);
        match found {
            1..=3 => {
                if found == 1 {
                    migrate::v1_to_v2(&db)?;
                }
                if found <= 2 {
                    migrate::v2_to_v3(&db, &cipher)?;
                }
                db = migrate_v4::v3_to_v4(dir, db, &cipher)?;
            }
            SCHEMA_VERSION => {}
            _ => {
                return Err(StoreError::Schema {
                    found,
                    expected: SCHEMA_VERSION,
                });
            }
        }
        owner::record(dir);
        let mut opened = Vec::with_capacity(TREES.len());
        for (_, name) in TREES {
            opened.push(db.open_tree(name)?);
        }
        let trees: [sled::Tree; TREES.len()] = opened
            .try_into()
            .map_err(|_| StoreError::Closed("tree list".into()))?;
        let reserved = trees[T::Meta as usize]
            .get(META_SEQ_RESERVED)?
            .and_then(|v| layout::u64_of(&v))
            .unwrap_or(0);
        let importing = std::sync::Mutex::new(import::reserved_in(&trees[T::Meta as usize])?);
        let trees = Arc::new(Trees {
            db,
            trees,
            cipher,
            outbox_on: std::sync::atomic::AtomicBool::new(false),
            importing,
        });
        let (index, link_flows) = build_index(&trees)?;
        let index = Arc::new(RwLock::new(index));
        let stats = Arc::new(writer::Stats::default());
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let last_seq = Arc::new(AtomicU64::new(reserved));
        let deferred = Arc::new(std::sync::Mutex::new(tx::Deferred {
            link_flows,
            ..Default::default()
        }));
        let writer = Writer::start(
            writer::Shared {
                trees: trees.clone(),
                index: index.clone(),
                stats: stats.clone(),
                events: events.clone(),
                last_seq: last_seq.clone(),
                deferred: deferred.clone(),
                failed: Arc::new(std::sync::Mutex::new(None)),
            },
            writer::SeqState {
                next: reserved + 1,
                reserved,
            },
        )?;
        let store = Store {
            inner: Arc::new(Inner {
                dir: dir.to_owned(),
                trees,
                index,
                stats,
                events,
                last_seq,
                deferred,
                schema_found: found,
            }),
        };
        Ok((store, writer))
    }

    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The schema version the database had when it was opened (before any migration).
    pub fn schema_found(&self) -> u32 {
        self.inner.schema_found
    }

    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(self
            .tree(T::Meta)
            .get(META_SCHEMA)?
            .and_then(|v| layout::u32_of(&v))
            .unwrap_or(0))
    }

    /// The key of the Continue form's token, derived from the master key.
    pub fn form_key(&self) -> &[u8; 32] {
        self.inner.trees.cipher.form_key()
    }

    /// Seal a PKCE verifier for the flow stored under `state_hash` (pure CPU: any thread).
    pub fn seal_flow_verifier(&self, state_hash: &[u8], verifier: &SecretString) -> String {
        self.inner.trees.seal_flow_verifier(state_hash, verifier)
    }

    /// The highest sequence number that may have been published so far.
    pub fn last_seq(&self) -> u64 {
        self.inner.last_seq.load(Ordering::Acquire)
    }

    pub fn stats(&self) -> StoreStats {
        self.inner.stats.snapshot()
    }

    /// The in-memory read model. Hold the guard briefly: the writer waits for it.
    pub fn index(&self) -> RwLockReadGuard<'_, Index> {
        self.inner.index.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Every committed change from now on, in sequence order.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Committed>> {
        self.inner.events.subscribe()
    }

    /// Subscribers attached now.
    pub fn subscribers(&self) -> usize {
        self.inner.events.receiver_count()
    }

    /// Run blocking reads on a blocking thread, never on an async worker.
    pub async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Store) -> Result<R, StoreError> + Send + 'static,
    {
        let s = self.clone();
        tokio::task::spawn_blocking(move || f(&s))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    fn tree(&self, t: T) -> &sled::Tree {
        self.inner.trees.tree(t)
    }

    // ---- blocking reads (from a blocking thread, see `read`) ----

    pub fn tenant(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        self.tree(T::Tenants)
            .get(slug.as_bytes())?
            .map(|v| decode(&format!("tenant {slug}"), &v))
            .transpose()
    }

    /// Every tenant record, decoded (slow with many tenants: the index is for lists).
    pub fn tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        self.tree(T::Tenants)
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                decode(&format!("tenant {}", String::from_utf8_lossy(&k)), &v)
            })
            .collect()
    }

    /// A tenant's timeline, oldest first.
    pub fn timeline(&self, slug: &str) -> Result<Vec<TimelineEntry>, StoreError> {
        self.tree(T::Timeline)
            .scan_prefix(layout::tenant_prefix(slug))
            .map(|kv| decode("timeline entry", &kv?.1))
            .collect()
    }

    /// Timeline entries with a sequence number above `after`, in order, at most `limit`.
    pub fn entries_since(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<TimelineEntry>, StoreError> {
        let mut out = Vec::new();
        let start = layout::seq_key(after.saturating_add(1));
        for kv in self.tree(T::Seq).range(start..) {
            if out.len() >= limit {
                break;
            }
            let (k, slug) = kv?;
            let Some(seq) = layout::u64_of(&k) else {
                continue;
            };
            let slug = String::from_utf8_lossy(&slug).into_owned();
            if let Some(v) = self
                .tree(T::Timeline)
                .get(layout::timeline_key(&slug, seq))?
            {
                out.push(decode("timeline entry", &v)?);
            }
        }
        Ok(out)
    }

    pub fn secret(&self, slug: &str, name: &str) -> Result<Option<SecretString>, StoreError> {
        let slot = layout::secret_slot(slug, name);
        let Some(sealed) = self.tree(T::Secrets).get(&slot)? else {
            return Ok(None);
        };
        let key = self.tree(T::TenantKeys).get(slug.as_bytes())?;
        let cipher = self.inner.trees.tenant_cipher(slug, key.as_deref())?;
        cipher
            .open_string(&slot, &sealed)
            .map(Some)
            .map_err(|_| StoreError::Decrypt)
    }

    /// The audit chain's entries in order, those of `tenant` only when given, from `since`.
    pub fn audit_records(
        &self,
        tenant: Option<&str>,
        since: Option<crate::time::Millis>,
    ) -> Result<Vec<crate::domain::model::AuditRecord>, StoreError> {
        let mut out = Vec::new();
        for kv in self.tree(T::Audit).iter() {
            let (_, v) = kv?;
            let r: crate::domain::model::AuditRecord = decode("audit entry", &v)?;
            if tenant.is_some_and(|t| r.tenant.as_deref() != Some(t)) {
                continue;
            }
            if since.is_some_and(|s| r.at < s) {
                continue;
            }
            out.push(r);
        }
        Ok(out)
    }

    /// Check the audit chain (see [`audit::verify`]), with the anchors an operator noted.
    pub fn verify_audit(
        &self,
        anchors: &[crate::domain::anchor::AuditAnchor],
    ) -> Result<audit::Verdict, StoreError> {
        let t = &self.inner.trees;
        audit::verify(
            t.tree(T::Audit),
            t.tree(T::Meta),
            t.tree(T::Tenants).len(),
            &t.cipher,
            anchors,
        )
    }

    /// The audit chain's head and when its entry was written, if its MAC holds.
    pub fn audit_head(
        &self,
    ) -> Result<Result<(crate::domain::model::AuditHead, crate::time::Millis), String>, StoreError>
    {
        let t = &self.inner.trees;
        audit::checked_head(t.tree(T::Audit), t.tree(T::Meta), &t.cipher)
    }

    /// From now on, tenant events go to the webhook outbox (see `Tx::put_tenant`).
    pub fn enable_outbox(&self) {
        self.inner
            .trees
            .outbox_on
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Up to `limit` events of the webhook outbox after `after` (from the oldest when
    /// `None`), in order, with their keys.
    pub fn outbox_after(
        &self,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, crate::domain::model::OutboxEvent)>, StoreError> {
        use std::ops::Bound;
        let from = match after {
            Some(k) => Bound::Excluded(k.to_vec()),
            None => Bound::Unbounded,
        };
        let mut out = Vec::new();
        for kv in self
            .tree(T::Outbox)
            .range::<Vec<u8>, _>((from, Bound::Unbounded))
            .take(limit)
        {
            let (k, v) = kv?;
            out.push((k.to_vec(), decode("outbox event", &v)?));
        }
        Ok(out)
    }

    /// How a webhook receiver without an `id` is recorded (a keyed hash of its URL).
    pub fn webhook_receiver(&self, url: &str) -> String {
        self.inner.trees.cipher.webhook_receiver(url)
    }

    /// The import journal's chunks not written yet (see `import`), in order.
    pub fn pending_import_chunks(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        import::pending(self.tree(T::Meta))
    }

    /// Events waiting in the webhook outbox.
    pub fn outbox_len(&self) -> usize {
        self.tree(T::Outbox).len()
    }

    /// Tests: a secret's stored ciphertext, as it lies on disk.
    #[doc(hidden)]
    pub fn sealed_secret_for_tests(&self, slug: &str, name: &str) -> Option<Vec<u8>> {
        self.tree(T::Secrets)
            .get(layout::secret_slot(slug, name))
            .ok()
            .flatten()
            .map(|v| v.to_vec())
    }

    /// Tests: try to open a ciphertext of `slug`'s with whatever key the store has for it
    /// now (none once the tenant was offboarded).
    #[doc(hidden)]
    pub fn open_sealed_for_tests(
        &self,
        slug: &str,
        name: &str,
        sealed: &[u8],
    ) -> Result<SecretString, StoreError> {
        let key = self.tree(T::TenantKeys).get(slug.as_bytes())?;
        let cipher = self.inner.trees.tenant_cipher(slug, key.as_deref())?;
        cipher
            .open_string(&layout::secret_slot(slug, name), sealed)
            .map_err(|_| StoreError::Decrypt)
    }

    pub fn link(&self, code_hash: &[u8]) -> Result<Option<ConsentLink>, StoreError> {
        self.tree(T::Links)
            .get(code_hash)?
            .map(|v| decode("consent link", &v))
            .transpose()
    }

    /// A tenant's links, oldest first, found through the per-tenant key (no scan of all).
    /// Opens and Continues counted in the last moments are included.
    pub fn links_for(&self, slug: &str) -> Result<Vec<ConsentLink>, StoreError> {
        let mut out = Vec::new();
        for kv in self
            .tree(T::TenantLinks)
            .scan_prefix(layout::tenant_prefix(slug))
        {
            let (k, _) = kv?;
            if let Some(h) = layout::hash_of_tenant_link(&k)
                && let Some(mut l) = self.link(h)?
            {
                // Counts not written yet.
                let pending = self
                    .inner
                    .deferred
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .links
                    .get(h)
                    .copied();
                if let Some(c) = pending {
                    l.open_count = l.open_count.saturating_add(c.opens);
                    l.continue_count = l.continue_count.saturating_add(c.continues);
                }
                out.push(l);
            }
        }
        Ok(out)
    }

    pub fn used_flow(&self, state_hash: &[u8]) -> Result<Option<UsedFlow>, StoreError> {
        self.tree(T::UsedFlows)
            .get(state_hash)?
            .map(|v| decode("used flow", &v))
            .transpose()
    }

    /// Pending flows kept now, written or staged (for tests and diagnostics).
    pub fn flow_count(&self) -> usize {
        let staged = self
            .inner
            .deferred
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .flows
            .len();
        self.tree(T::Flows).len() + staged
    }

    /// OAuth flows started and still within their sign-in window (customers mid-consent).
    pub fn pending_flows(&self) -> usize {
        let staged = self
            .inner
            .deferred
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .staged_pending(crate::time::now_ms());
        self.index().pending_flows() + staged
    }
}

/// The read model from the trees: every tenant in brief, the links still live, the
/// pending flows (by link, for the writer).
fn build_index(trees: &Trees) -> Result<(Index, tx::LinkFlows), StoreError> {
    let mut index = Index::default();
    let mut link_flows = tx::LinkFlows::default();
    for kv in trees.tree(T::Tenants).iter() {
        let (k, v) = kv?;
        let t: Tenant = decode(&format!("tenant {}", String::from_utf8_lossy(&k)), &v)?;
        index.put_tenant(&t);
    }
    let now = crate::time::now_ms();
    for kv in trees.tree(T::Links).iter() {
        let (k, v) = kv?;
        let l: ConsentLink = decode("consent link", &v)?;
        index.put_link(&k, &l, now);
    }
    for kv in trees.tree(T::Flows).iter() {
        let (k, v) = kv?;
        if let Ok(f) = decode::<layout::StoredFlow>("pending flow", &v) {
            index.put_flow(&k, f.flow.expires_at);
            link_flows
                .entry(f.flow.link_hash.clone())
                .or_default()
                .push_back(k.to_vec());
        }
    }
    Ok((index, link_flows))
}
