//! The domain: stored records and the pure decisions over them. A leaf module: it performs
//! no IO and imports nothing from the store, the engine or the edges, so every face and the
//! store can share it.
//!
//! - `model`: tenants, links, flows, timeline entries (the stored shapes);
//! - `actor`: who an operation is done for (an operator, a customer, a worker);
//! - `audit`: the audit chain's records (who an operator is, an entry, the head);
//! - `outbox`: a webhook event waiting in the outbox;
//! - `transition`: the `Transition` vocabulary and helpers shared by the lifecycle rules;
//! - `lifecycle`: tenant input validation and `apply(tenant, transition, now)`;
//! - `input`: the one check of free text an operator gives;
//! - `provisioning`: the Blaxel job's transitions and the deploy-timeout rule;
//! - `consent`: the callback's decision tree (which failure, which page, whether to revoke);
//! - `health`: what a refresh's answer says about a consent (token health);
//! - `brief`: the compact summary of a tenant that in-memory indexes keep;
//! - `before_consent`: what a tenant that failed before consenting can do instead of a retry;
//! - `anchor`: an audit chain entry noted outside the box (`SEQ:HASH`).

pub mod actor;
pub mod anchor;
pub mod audit;
pub mod before_consent;
pub mod brief;
pub mod consent;
pub mod health;
mod input;
pub mod lifecycle;
pub mod model;
pub mod outbox;
pub mod provisioning;
#[cfg(test)]
mod tests;
pub mod transition;
