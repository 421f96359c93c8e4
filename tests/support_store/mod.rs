//! What the store's tests share: who their writes are done for, a master key, a new tenant
//! and adding one.
#![allow(dead_code)]

use base64::Engine as _;
use mcp_onboard::domain::actor::{Actor, Worker};
use mcp_onboard::domain::model::{AuditEvent, Tenant};
use mcp_onboard::engine::lifecycle::{NewTenant, new_tenant};
use mcp_onboard::store::{Durability, KeySource, Store};
use secrecy::SecretString;

/// Who these writes are done for: nobody the audit chain names.
pub const ME: Actor = Actor::System(Worker::Owner);

/// A master key of `byte` repeated.
pub fn key(byte: u8) -> KeySource {
    KeySource::Env(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([byte; 32]),
    ))
}

/// A new tenant `slug` and the event of its adding.
pub fn fresh(slug: &str) -> (Tenant, AuditEvent) {
    new_tenant(
        &NewTenant {
            slug: slug.into(),
            ..Default::default()
        },
        1,
    )
    .unwrap()
}

/// Add the tenant `slug`, durably.
pub async fn add(store: &Store, slug: &str) {
    let (t, e) = fresh(slug);
    let inserted = store
        .commit(&ME, Durability::Durable, move |tx| {
            tx.insert_tenant(t.clone(), e.clone())
        })
        .await
        .unwrap();
    assert!(inserted);
}
