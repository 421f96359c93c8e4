//! Google's security events (RISC), received at `POST /risc` on any node: the token
//! checked (`google::risc`), its `jti` recorded once (a duplicate is accepted and changes
//! nothing), and each event acted on for every tenant and integration it names (see
//! `domain::risc_act`), on the timeline and the audit chain, in one transaction. A
//! revocation fires `tenant.needs_reconsent` through the outbox as any status change does.
//! Google retries a few times only: token checks stay the source of truth.

use crate::domain::actor::Actor;
use crate::domain::facet::with_facet;
use crate::domain::model::Integration;
use crate::domain::risc::{RiscKind, SecurityEvent, integrations_named};
use crate::domain::risc_act::{Effect, act_on};
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::operation::Operation;
use crate::google::risc::{RiscError, VerifiedSet};
use crate::store::{Durability, StoreError};

use super::apply::tenant_in;

/// A Security Event Token as received (the request's body).
pub struct ReceiveSecurityEvent {
    pub token: String,
}

/// What became of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Checked and recorded: the tenants' integrations it acted on (or recorded on).
    Accepted(Vec<(String, Integration, RiscKind)>),
    /// Its `jti` was received before: nothing done again.
    Duplicate,
}

/// Why a token was not taken.
#[derive(Debug)]
pub enum Refused {
    Risc(RiscError),
    /// The receiver is off (`google.risc`).
    Off,
    Engine(EngineError),
}

impl Operation for ReceiveSecurityEvent {
    type Output = Result<Received, Refused>;

    async fn run(self, core: &Core, actor: &Actor) -> Self::Output {
        let verifier = core.risc().ok_or(Refused::Off)?;
        let set = verifier.verify(&self.token).await.map_err(Refused::Risc)?;
        for e in &set.events {
            log_event(&set.jti, e);
        }
        record(core, actor, set).await.map_err(Refused::Engine)
    }
}

fn log_event(jti: &str, e: &SecurityEvent) {
    match e.kind {
        RiscKind::Verification => tracing::info!(
            jti,
            state = e.note.as_deref().unwrap_or(""),
            "Google's security events: verification event received"
        ),
        kind => tracing::info!(jti, event = %kind, "Google's security event received"),
    }
}

/// The tenants each event names, as stored now (a read, off the commit).
async fn candidates(core: &Core, events: &[SecurityEvent]) -> Result<Vec<String>, EngineError> {
    let subjects: Vec<_> = events.iter().map(|e| e.subject.clone()).collect();
    let tenants = core.store().read(|st| st.tenants()).await?;
    Ok(tenants
        .iter()
        .filter(|t| {
            subjects
                .iter()
                .any(|s| !integrations_named(t, s).is_empty())
        })
        .map(|t| t.slug.clone())
        .collect())
}

async fn record(core: &Core, actor: &Actor, set: VerifiedSet) -> Result<Received, EngineError> {
    let slugs = candidates(core, &set.events).await?;
    let record = serde_json::to_vec(&set.claims).unwrap_or_default();
    let (jti, events) = (set.jti.clone(), set.events.clone());
    let done = core
        .commit(actor, Durability::Durable, move |tx| {
            if !tx.record_security_event(&jti, &record)? {
                return Ok(Received::Duplicate);
            }
            let mut acted = Vec::new();
            for slug in &slugs {
                let mut t = match tenant_in(tx, slug) {
                    Ok(t) => t,
                    Err(EngineError::UnknownTenant(_)) => continue,
                    Err(e) => return Err(e),
                };
                for e in &events {
                    for i in integrations_named(&t, &e.subject) {
                        let added = (i != t.integration).then_some(i);
                        let now = tx.now();
                        let mut effect = Effect::Recorded;
                        let (next, line) = with_facet(&t, added, |f| {
                            let (next, line, did) = act_on(f, e, now);
                            effect = did;
                            Ok::<_, EngineError>((next, Some(line)))
                        })?;
                        if effect == Effect::Held {
                            tracing::error!(
                                tenant = %slug, integration = %i,
                                "ALARM: Google disabled the customer's account (RISC account-disabled): the tenant is on hold"
                            );
                        }
                        tx.put_tenant(next.clone(), line)?;
                        t = next;
                        acted.push((slug.clone(), i, e.kind));
                    }
                }
            }
            if acted.is_empty() {
                // About no tenant of ours (or a verification): on the audit chain alone.
                for e in &events {
                    tx.append_audit("security_event", e.kind.name(), None, &jti)?;
                }
            }
            Ok(Received::Accepted(acted))
        })
        .await?;
    Ok(done)
}

/// `risc verify`: whether a verification event carrying `state` was received (by any
/// node: it is read from the store).
pub async fn verified(core: &Core, state: &str) -> Result<crate::engine::api::Reply, EngineError> {
    let records = core.store().read(|st| st.security_events()).await?;
    let uri = RiscKind::Verification.uri();
    let seen = records.iter().any(|r| {
        serde_json::from_slice::<serde_json::Value>(r)
            .ok()
            .and_then(|c| {
                c["events"][uri.as_str()]["state"]
                    .as_str()
                    .map(|s| s == state)
            })
            .unwrap_or(false)
    });
    Ok(crate::engine::api::Reply::RiscVerified { seen })
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Self {
        Refused::Engine(e.into())
    }
}
