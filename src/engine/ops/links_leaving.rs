//! The links of an integration leaving alone (`tenant integration remove`): in the commit
//! that removes it or starts its offboarding, each live link that asks a consent for it
//! and nothing else is withdrawn, and every flow started for it ends (its callback is then
//! refused and its grant given back). A link that asks for others too goes on asking for
//! them alone ([`crate::domain::consent::several`] never asks for one leaving).

use super::apply::tenant_in;
use super::links::write_withdrawn;
use crate::domain::consent::several::{asks_only, may_ask};
use crate::domain::consent::withdraw_these;
use crate::domain::model::{Integration, LinkState};
use crate::engine::error::EngineError;
use crate::store::Tx;

/// Withdraw `slug`'s links that ask for `leaving` alone and end the flows started for it;
/// called while the tenant still holds it, before it starts leaving.
pub(super) fn withdraw_asking(
    tx: &mut dyn Tx,
    slug: &str,
    leaving: Integration,
) -> Result<(), EngineError> {
    let t = tenant_in(tx, slug)?;
    let now = tx.now();
    let (held, consented) = (may_ask(&t.statuses()), t.consented_integrations());
    let changes = withdraw_these(
        &tx.links_of(slug)?,
        |l| l.state(now) == LinkState::Active && asks_only(&held, &consented, l, leaving),
        now,
    );
    let why = format!(" (they asked only for {leaving}, which is being removed)");
    write_withdrawn(tx, slug, &why, changes)?;
    for (state_hash, flow) in tx.flows_of(slug)? {
        if flow.integration == Some(leaving) {
            tx.end_flow(&state_hash, &flow)?;
        }
    }
    Ok(())
}
