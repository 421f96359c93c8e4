//! The callback's browser binding, checked before the state is taken: a callback that
//! comes back to another browser than the one that pressed Continue gets its page, is
//! counted and logged, and changes nothing. Whoever holds a callback URL can then neither
//! spend the flow nor fail the tenant, and the customer's own browser still completes the
//! consent with the same state.

use super::error::EngineError;
use super::handle::Engine;
use super::outcome::Outcome;
use crate::domain::consent::same_browser;
use crate::store::{TakenFlow, Tx};

/// What a callback found under its state.
pub(super) enum Taking {
    /// Taken (or used, or unknown) as before.
    Flow(TakenFlow),
    /// A pending flow of another browser, left in place.
    OtherBrowser { tenant: String },
}

/// Take the flow under `state_hash`, unless it was started in another browser than the
/// one `cookie` comes from; in one transaction, so the check and the take cannot be told
/// apart by a racing callback.
pub(super) fn take_in_same_browser(
    tx: &mut dyn Tx,
    state_hash: &[u8],
    cookie: Option<&str>,
) -> Result<Taking, EngineError> {
    if let Some(flow) = tx.pending_flow(state_hash)?
        && !same_browser(&flow.browser, cookie)
    {
        return Ok(Taking::OtherBrowser {
            tenant: flow.tenant,
        });
    }
    Ok(Taking::Flow(tx.take_flow(state_hash)?))
}

impl Engine {
    /// The answer to a callback in another browser: counted and logged, nothing stored.
    pub(super) fn other_browser(&self, tenant: &str) -> Outcome {
        self.metrics()
            .consent_failures
            .get_or_create(&crate::metrics::Kind {
                kind: "wrong_browser".into(),
            })
            .inc();
        tracing::warn!(
            tenant,
            "a sign-in came back to another browser than the one that pressed Continue (the link's cookie was missing or different): refused, the flow is kept for the customer's own browser"
        );
        Outcome::wrong_browser()
    }
}
