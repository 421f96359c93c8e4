//! `retry SLUG`: provisioning that stopped runs again. A tenant that failed before it
//! consented (the customer pressed Deny, ...) has nothing to retry: the refusal says what
//! can be done instead (its link still works until it expires; a new link), the same story
//! the console tells.

use super::api::Reply;
use super::error::EngineError;
use super::handle::Engine;
use crate::domain::before_consent;
use crate::domain::transition::{Transition, TransitionError};
use crate::store::Durability;
use crate::time::now_ms;

impl Engine {
    pub(super) async fn retry(&self, slug: &str) -> Result<Reply, EngineError> {
        let done = self
            .transition(slug, Transition::RetryRequested, Durability::Durable)
            .await;
        if let Err(e) = done {
            if matches!(
                e,
                EngineError::Transition(TransitionError::NothingToRetry(..))
            ) && let Some(why) = self.before_consent_refusal(slug).await?
            {
                return Err(EngineError::Conflict(why));
            }
            return Err(e);
        }
        self.wake_provisioner();
        self.show(slug).await
    }

    /// The refusal for a tenant that failed before it consented; `None` for any other.
    async fn before_consent_refusal(&self, slug: &str) -> Result<Option<String>, EngineError> {
        let s = slug.to_owned();
        let (tenant, links) = self
            .store
            .read(move |st| Ok((st.tenant(&s)?, st.links_for(&s)?)))
            .await?;
        let Some(t) = tenant else {
            return Ok(None);
        };
        if !before_consent::failed_before_consent(t.status, t.provision.is_some()) {
            return Ok(None);
        }
        let now = now_ms();
        let until =
            before_consent::link_works_until(links.iter().map(|l| (l.state(now), l.expires_at)));
        Ok(Some(before_consent::retry_refusal(
            slug,
            t.failure,
            t.reason.as_deref(),
            until,
            &format!("`mcp-onboard link {slug}`"),
        )))
    }
}
