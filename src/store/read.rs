//! Reads outside a transaction: what a backend answers from its committed state. Every
//! call may block (run them through [`super::Store::read`], on a blocking thread) and may
//! fail. A read sees everything committed before it began; writes committed while it runs
//! may or may not be seen.

use secrecy::SecretString;

use super::audit::Verdict;
use super::error::StoreError;
use crate::domain::anchor::AuditAnchor;
use crate::domain::audit::{AuditHead, AuditRecord};
use crate::domain::model::{ConsentLink, PendingFlow, Tenant, TimelineEntry, UsedFlow};
use crate::domain::outbox::OutboxEvent;
use crate::time::Millis;

pub trait Reader: Send + Sync {
    fn tenant(&self, slug: &str) -> Result<Option<Tenant>, StoreError>;
    /// Every tenant record (slow with many tenants: lists come from [`super::NodeLocal`]).
    fn tenants(&self) -> Result<Vec<Tenant>, StoreError>;
    /// A tenant's timeline, oldest first.
    fn timeline(&self, slug: &str) -> Result<Vec<TimelineEntry>, StoreError>;
    /// Timeline entries with a sequence number above `after`, in order, at most `limit`.
    fn entries_since(&self, after: u64, limit: usize) -> Result<Vec<TimelineEntry>, StoreError>;
    fn secret(&self, slug: &str, name: &str) -> Result<Option<SecretString>, StoreError>;
    fn link(&self, code_hash: &[u8]) -> Result<Option<ConsentLink>, StoreError>;
    /// A tenant's links, oldest first, with the opens and Continues counted so far.
    fn links_for(&self, slug: &str) -> Result<Vec<ConsentLink>, StoreError>;
    /// The pending flow stored under `state_hash` (one staged and not yet written is not
    /// there).
    fn pending_flow(&self, state_hash: &[u8]) -> Result<Option<PendingFlow>, StoreError>;
    fn used_flow(&self, state_hash: &[u8]) -> Result<Option<UsedFlow>, StoreError>;
    /// The audit chain's entries in order, those of `tenant` only when given, from `since`.
    fn audit_records(
        &self,
        tenant: Option<&str>,
        since: Option<Millis>,
    ) -> Result<Vec<AuditRecord>, StoreError>;
    /// Check the audit chain (see [`super::audit::verify`]), with the anchors an operator
    /// noted outside the box.
    fn verify_audit(&self, anchors: &[AuditAnchor]) -> Result<Verdict, StoreError>;
    /// The audit chain's head and when its entry was written, if its MAC holds.
    fn audit_head(&self) -> Result<Result<(AuditHead, Millis), String>, StoreError>;
    /// Up to `limit` events of the webhook outbox after `after` (from the oldest when
    /// `None`), in order, with their keys.
    fn outbox_after(
        &self,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, OutboxEvent)>, StoreError>;
    /// The import journal's chunks not written yet, in order.
    fn pending_import_chunks(&self) -> Result<Vec<Vec<u8>>, StoreError>;
    /// The claims of Google's security events received, as recorded (JSON).
    fn security_events(&self) -> Result<Vec<Vec<u8>>, StoreError>;
    /// The schema version the data has now.
    fn schema_version(&self) -> Result<u32, StoreError>;
    /// Tests: a secret's stored ciphertext, as it lies on disk.
    #[doc(hidden)]
    fn sealed_secret_for_tests(&self, slug: &str, name: &str) -> Option<Vec<u8>>;
    /// Tests: try to open a ciphertext of `slug`'s with whatever key the store has for it
    /// now (none once the tenant was offboarded).
    #[doc(hidden)]
    fn open_sealed_for_tests(
        &self,
        slug: &str,
        name: &str,
        sealed: &[u8],
    ) -> Result<SecretString, StoreError>;
}
