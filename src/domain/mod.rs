//! The domain: stored records and the pure decisions over them. A leaf module: it performs
//! no IO and imports nothing from the store, the engine or the edges, so every face and the
//! store can share it.
//!
//! - `integration`: the integration profiles (one table: scopes, page text, secret and
//!   resource names);
//! - `model`: tenants, their jobs and timeline entries (the stored shapes); `link`: consent
//!   links and OAuth flows;
//! - `actor`: who an operation is done for (an operator, a customer, a worker);
//! - `audit`: the audit chain's records (who an operator is, an entry, the head);
//! - `outbox`: a webhook event waiting in the outbox;
//! - `transition`: the `Transition` vocabulary and helpers shared by the lifecycle rules;
//! - `lifecycle`: `apply(tenant, transition, now)` (and, re-exported, the input's checks);
//! - `input`: what an operator gives about a tenant, checked (the one check of free text);
//! - `summary`: the tenant's status as a summary of its integrations'; `held`: the
//!   integrations a tenant holds beyond its first; `facet`: one integration as a tenant of
//!   it alone (transitions on it, provisioning job keys);
//! - `provisioning`: the Blaxel job's transitions and the deploy-timeout rule;
//!   `offboarding`: offboarding a tenant whole, over every integration it holds;
//! - `consent`: the consent flow's decisions (the identity gate, the callback's decision
//!   tree, links used, superseded and withdrawn, grants given back);
//! - `google_errors`: every known Google OAuth error with the customer's text, the tenant's
//!   reason and the operator's fix (one table);
//! - `health`: what a refresh's answer says about a consent (token health); `health_each`:
//!   a tenant's check over its integrations; `health_alarm`: the alarms about our OAuth
//!   clients, one per client; `mcp_health`: the last check of an MCP server, and when it
//!   is unreachable; `mcp_record`: a check recorded on an integration, with its timeline entry;
//!   `mcp_events`: the webhook events of its changes;
//! - `brief`: the compact summary of a tenant that in-memory indexes keep;
//! - `before_consent`: what a tenant that failed before consenting can do instead of a retry;
//! - `anchor`: an audit chain entry noted outside the box (`SEQ:HASH`);
//! - `no_callback`: a customer who went on to Google and never came back (flows that
//!   expired unused), one timeline entry per link;
//! - `link_ttl`: a consent link's lifetime, its range and how an operator types it;
//! - `refusals`: a tenant's refused and failed sign-ins since its last consent;
//! - `risc`: Google's security events and whom they name (`risc_kind`: their kinds);
//!   `token_facts`: what we know of a refresh token we hold (its hashed identifiers, what
//!   tells a refusal's likely cause); `token_cause`: those facts kept at consent, marked by a
//!   migration, and a refusal classed by its likely cause.

pub mod actor;
pub mod anchor;
pub mod audit;
pub mod before_consent;
pub mod brief;
pub mod consent;
pub mod facet;
pub mod google_errors;
pub mod health;
pub mod health_alarm;
pub mod health_each;
pub mod held;
mod input;
pub mod integration;
pub mod lifecycle;
pub mod link;
pub mod link_asks;
pub mod link_mail;
pub mod link_ttl;
pub mod mail_address;
pub mod mail_record;
pub mod mcp_events;
pub mod mcp_health;
pub mod mcp_record;
pub mod mcp_worth;
pub mod model;
pub mod no_callback;
pub mod offboarding;
pub mod outbox;
pub mod provisioner;
pub mod provisioning;
pub mod refusals;
pub mod risc;
pub mod risc_act;
pub mod risc_kind;
pub mod standing;
pub mod summary;
#[cfg(test)]
mod tests;
pub mod token_cause;
pub mod token_facts;
pub mod transition;
