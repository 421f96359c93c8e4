//! The domain: stored records and the pure decisions over them. A leaf module: it performs
//! no IO and imports nothing from the store, the engine or the edges, so every face and the
//! store can share it.
//!
//! - `model`: tenants, their jobs and timeline entries (the stored shapes); `link`: consent
//!   links and OAuth flows;
//! - `actor`: who an operation is done for (an operator, a customer, a worker);
//! - `audit`: the audit chain's records (who an operator is, an entry, the head);
//! - `outbox`: a webhook event waiting in the outbox;
//! - `transition`: the `Transition` vocabulary and helpers shared by the lifecycle rules;
//! - `lifecycle`: `apply(tenant, transition, now)` (and, re-exported, the input's checks);
//! - `input`: what an operator gives about a tenant, checked (the one check of free text);
//! - `provisioning`: the Blaxel job's transitions and the deploy-timeout rule;
//! - `consent`: the consent flow's decisions (the identity gate, the callback's decision
//!   tree, links used, superseded and withdrawn, grants given back);
//! - `health`: what a refresh's answer says about a consent (token health);
//! - `brief`: the compact summary of a tenant that in-memory indexes keep;
//! - `before_consent`: what a tenant that failed before consenting can do instead of a retry;
//! - `anchor`: an audit chain entry noted outside the box (`SEQ:HASH`);
//! - `link_ttl`: a consent link's lifetime, its range and how an operator types it.

pub mod actor;
pub mod anchor;
pub mod audit;
pub mod before_consent;
pub mod brief;
pub mod consent;
pub mod health;
mod input;
pub mod lifecycle;
pub mod link;
pub mod link_ttl;
pub mod model;
pub mod outbox;
pub mod provisioning;
#[cfg(test)]
mod tests;
pub mod transition;
