//! A consent stored with what we keep of its token beside it (its hashed identifiers for
//! Google's security events, what tells a later refusal's cause: see
//! [`crate::domain::token_facts`]), in the consent's own write.

use secrecy::{ExposeSecret, SecretString};

use crate::domain::consent::KeptAtConsent;
use crate::domain::facet;
use crate::domain::health::Health;
use crate::domain::lifecycle::Transition;
use crate::domain::model::{Integration, Tenant, TenantStatus};
use crate::domain::token_facts::TokenFacts;
use crate::engine::error::EngineError;
use crate::engine::ops::tenant_in;
use crate::store::Tx;

/// Apply the consent `t` to `integration` of the tenant (`None`: its first) and write it
/// with the facts of its token `token`; the tenant as written.
pub(super) fn consent_keeping_facts(
    tx: &mut dyn Tx,
    slug: &str,
    integration: Option<Integration>,
    t: &Transition,
    kept: &KeptAtConsent,
    token: &SecretString,
) -> Result<Tenant, EngineError> {
    let cur = tenant_in(tx, slug)?;
    let which = integration.unwrap_or(cur.integration);
    // A new consent of one that needed it (its link may have moved its status on since,
    // its last verdict stays): its next deploy is a recovery.
    let recovering = cur.facet(which).is_some_and(|f| {
        f.status == TenantStatus::NeedsReconsent
            || f.health
                .as_ref()
                .is_some_and(|h| h.health == Health::NeedsReconsent)
    });
    let (mut next, event) = facet::apply_to(&cur, integration, t, tx.now())?;
    let issued = next.tokens_issued_for_account();
    if let Some(slot) = next.token_facts_mut(which) {
        let mut facts = TokenFacts::at_consent(token.expose_secret(), kept, issued);
        facts.recovering = recovering;
        *slot = Some(facts);
    }
    tx.put_tenant(next.clone(), Some(event))?;
    Ok(next)
}
