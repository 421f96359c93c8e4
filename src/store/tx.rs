//! The transaction an operation runs in: everything the engine reads and writes in one
//! commit, as object-safe traits a backend implements ([`Tx`] gathers them).
//!
//! What every implementation promises:
//! - reads see what was committed before the transaction, plus its own writes so far;
//! - everything written is committed together, or nothing is (the operation returned an
//!   error, or the commit failed);
//! - every tenant or link written is published as one [`super::Change`], numbered in the
//!   one sequence in commit order; a timeline entry shares its change's number;
//! - any call may block (it is made on a thread that may block, never on an async worker)
//!   and any call may fail: a database loses its connection, or refuses the transaction.
//!
//! An operation may be run more than once (a database retries a transaction that lost a
//! serialization conflict): it must change nothing outside the transaction and may not
//! consume what it captured (it is `Fn`; clone what a call takes by value).

use secrecy::SecretString;

use super::change::{Counted, TakenFlow};
use super::error::StoreError;
use crate::domain::lifecycle::NewTenant;
use crate::domain::model::{AuditEvent, ConsentLink, PendingFlow, ProvisionerState, Tenant};
use crate::domain::outbox::OutboxEvent;
use crate::time::Millis;

/// Pending flows kept per link: a few browser tabs' worth. Pressing Continue again and
/// again cannot grow the store without bound: the oldest flow goes (its callback is then
/// not recognised).
pub const MAX_FLOWS_PER_LINK: usize = 4;

/// Tenants and their timeline.
pub trait TenantTx {
    fn tenant(&self, slug: &str) -> Result<Option<Tenant>, StoreError>;
    /// Write a tenant, with the timeline line its transition produced (if any; it goes on
    /// the audit chain too); returns the change's sequence number.
    fn put_tenant(&mut self, tenant: Tenant, entry: Option<AuditEvent>) -> Result<u64, StoreError>;
    /// Add a new tenant; `false` (and nothing written) if the slug is taken (by a tenant,
    /// or by an import decided and not yet written).
    fn insert_tenant(&mut self, tenant: Tenant, entry: AuditEvent) -> Result<bool, StoreError>;
    /// Delete a tenant with its timeline, links, flows and secrets.
    fn remove_tenant(&mut self, slug: &str) -> Result<(), StoreError>;
}

/// Consent links, by the SHA-256 of their code.
pub trait LinkTx {
    /// A link, with the opens and Continues counted but not written yet.
    fn link(&self, hash: &[u8]) -> Result<Option<ConsentLink>, StoreError>;
    /// Write a link (new or changed) and publish it. A changed link must have been read
    /// through [`LinkTx::link`] in this transaction (it then carries the counts not
    /// written yet).
    fn put_link(&mut self, hash: &[u8], link: ConsentLink) -> Result<(), StoreError>;
    /// A tenant's links with their hashes, oldest first.
    fn links_of(&self, slug: &str) -> Result<Vec<(Vec<u8>, ConsentLink)>, StoreError>;
    /// Count an open of a link's page (`continued`: a press of its Continue). The first of
    /// each is written now (the caller puts it on the timeline); later ones may be written
    /// together later (node-local counts, see [`super::NodeLocal::count_again`]).
    fn count_on_link(&mut self, hash: &[u8], continued: bool) -> Result<Counted, StoreError>;
    /// Let this node's read model forget links that expired (they stay stored).
    fn sweep_live_links(&mut self) -> Result<(), StoreError>;
}

/// Pending OAuth flows, by the SHA-256 of their `state`, and their tombstones.
pub trait FlowTx {
    /// Store a flow, its PKCE verifier sealed under the master key.
    fn put_flow(
        &mut self,
        state_hash: &[u8],
        flow: PendingFlow,
        verifier: &SecretString,
    ) -> Result<(), StoreError>;
    /// Store a flow whose verifier was sealed already ([`super::Store::seal_flow_verifier`]).
    /// A link keeps at most [`super::MAX_FLOWS_PER_LINK`] flows: the oldest goes.
    fn put_sealed_flow(
        &mut self,
        state_hash: &[u8],
        flow: PendingFlow,
        sealed: String,
    ) -> Result<(), StoreError>;
    /// The pending flow under `state_hash`, staged or written, left in place.
    fn pending_flow(&self, state_hash: &[u8]) -> Result<Option<PendingFlow>, StoreError>;
    /// Remove the flow and leave a tombstone, so a replay is told apart from a state that
    /// never existed; of two callbacks for one state exactly one gets it.
    fn take_flow(&mut self, state_hash: &[u8]) -> Result<TakenFlow, StoreError>;
    /// Pending flows of a tenant, with their state hashes.
    fn flows_of(&self, slug: &str) -> Result<Vec<(Vec<u8>, PendingFlow)>, StoreError>;
    /// End a pending flow without using it (its link was withdrawn): a callback for it is
    /// then refused as already used.
    fn end_flow(&mut self, state_hash: &[u8], flow: &PendingFlow) -> Result<(), StoreError>;
    /// Drop flows that expired and tombstones older than `before`; returns how many went,
    /// and the flows among them (those that could be read) as they were.
    fn sweep_flows(&mut self, before: Millis) -> Result<Swept, StoreError>;
}

/// What [`FlowTx::sweep_flows`] dropped.
#[derive(Debug, Default)]
pub struct Swept {
    /// Flows and tombstones.
    pub count: usize,
    /// The flows that expired unused (no callback took them), as they were stored.
    pub expired: Vec<PendingFlow>,
}

/// A tenant's secrets, sealed under its own data key (itself sealed under the master key).
pub trait SecretTx {
    fn secret(&self, slug: &str, name: &str) -> Result<Option<SecretString>, StoreError>;
    /// Store a secret under the tenant's data key (made on first use).
    fn put_secret(
        &mut self,
        slug: &str,
        name: &str,
        value: &SecretString,
    ) -> Result<(), StoreError>;
    fn delete_secret(&mut self, slug: &str, name: &str) -> Result<(), StoreError>;
    /// Delete every secret of the tenant.
    fn delete_secrets_of(&mut self, slug: &str) -> Result<(), StoreError>;
    /// Destroy the tenant's data key: whatever was sealed under it can never be opened
    /// again, wherever a copy lies.
    fn destroy_tenant_key(&mut self, slug: &str) -> Result<(), StoreError>;
}

/// The webhook outbox (filled by [`TenantTx::put_tenant`] once enabled).
pub trait OutboxTx {
    /// Note that the receiver recorded as `receiver` (its id, never its URL) took the event
    /// under `key`; once `done` says every receiver that wants it has, the event goes.
    fn outbox_delivered(
        &mut self,
        key: &[u8],
        receiver: &str,
        done: &dyn Fn(&OutboxEvent) -> bool,
    ) -> Result<(), StoreError>;
    /// Drop an event from the outbox (nobody wants it, or it is too old to matter).
    fn outbox_drop(&mut self, key: &[u8]) -> Result<(), StoreError>;
}

/// Imports decided as one, written in chunks (see `sled::import`).
pub trait ImportTx {
    /// Decide an import (`rows` checked valid by the caller): `Err` with the slugs taken
    /// (by a tenant, or by another import) and nothing written; else the rows journaled
    /// and their slugs reserved, and the ids of the chunks to write.
    fn import_decide(
        &mut self,
        id: &str,
        rows: Vec<NewTenant>,
    ) -> Result<Result<Vec<Vec<u8>>, Vec<String>>, StoreError>;
    /// Write the journal chunk `chunk` as tenants and take it off the journal; `0` when it
    /// was written already.
    fn import_apply(&mut self, chunk: &[u8]) -> Result<usize, StoreError>;
}

/// Google's security events received, by their `jti`: each is acted on once.
pub trait SecurityEventTx {
    /// Record the event `jti` (`record`: what it said, JSON) received at the transaction's
    /// time; `false`, and nothing written, when it was recorded before.
    fn record_security_event(&mut self, jti: &str, record: &[u8]) -> Result<bool, StoreError>;
}

/// One transaction: all of the above, the batch's clock and the audit chain.
pub trait Tx:
    TenantTx + LinkTx + FlowTx + SecretTx + OutboxTx + ImportTx + SecurityEventTx
{
    /// The transaction's clock: one time for everything it writes.
    fn now(&self) -> Millis;
    /// Append an entry to the audit chain, naming the commit's operator if there is one.
    fn append_audit(
        &mut self,
        kind: &str,
        what: &str,
        tenant: Option<&str>,
        detail: &str,
    ) -> Result<(), StoreError>;
    /// Publish the provisioner's state (nothing is stored).
    fn publish_provisioner(&mut self, state: ProvisionerState) -> Result<(), StoreError>;
}
