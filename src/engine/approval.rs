//! The identity gate's two actions. A consent by another Google account than the previous
//! one waits in `awaiting_approval` with its refresh token kept aside (encrypted);
//! `approve` makes it the tenant's consent (provisioning puts the new token into the same
//! connection) and gives the old account's grant back at Google unless another tenant still
//! holds a consent by it; `reject` gives the new grant back (by the same rule) and wipes it.

use super::api::Reply;
use super::consent::PENDING_TOKEN;
use super::error::EngineError;
use super::handle::{Engine, apply_in};
use crate::domain::lifecycle::Transition;
use crate::domain::model::EventKind;
use crate::domain::transition::TransitionError;
use crate::store::Durability;

impl Engine {
    pub(super) async fn approve(&self, slug: &str) -> Result<Reply, EngineError> {
        let s = slug.to_owned();
        let (old_sub, old_token, new_sub) = self
            .commit(Durability::Durable, move |tx| {
                let cur = tx
                    .tenant(&s)?
                    .ok_or_else(|| EngineError::UnknownTenant(s.clone()))?;
                let pending = cur
                    .pending
                    .clone()
                    .ok_or_else(|| TransitionError::NothingPending(s.clone()))?;
                let new_token = tx.secret(&s, PENDING_TOKEN)?.ok_or_else(|| {
                    EngineError::Conflict(format!(
                        "the consent waiting for {s} has lost its token; reject it and issue a new link"
                    ))
                })?;
                let old_token = tx.secret(&s, "refresh_token")?;
                apply_in(tx, &s, &Transition::Approve)?;
                tx.put_secret(&s, "refresh_token", &new_token)?;
                tx.delete_secret(&s, PENDING_TOKEN)?;
                Ok((
                    cur.google.map(|g| g.sub),
                    old_token,
                    pending.identity.sub,
                ))
            })
            .await?;
        self.wake_provisioner();
        // The old account's grant is no longer wanted here.
        if let (Some(old_sub), Some(old_token)) = (old_sub, old_token)
            && old_sub != new_sub
        {
            self.give_back_and_note(slug, &old_token, &old_sub, "the previous account's")
                .await;
        }
        self.show(slug).await
    }

    pub(super) async fn reject(&self, slug: &str) -> Result<Reply, EngineError> {
        let s = slug.to_owned();
        let (sub, token) = self
            .commit(Durability::Durable, move |tx| {
                let cur = tx
                    .tenant(&s)?
                    .ok_or_else(|| EngineError::UnknownTenant(s.clone()))?;
                let pending = cur
                    .pending
                    .clone()
                    .ok_or_else(|| TransitionError::NothingPending(s.clone()))?;
                let token = tx.secret(&s, PENDING_TOKEN)?;
                apply_in(tx, &s, &Transition::Reject)?;
                tx.delete_secret(&s, PENDING_TOKEN)?;
                Ok((pending.identity.sub, token))
            })
            .await?;
        if let Some(token) = token {
            self.give_back_and_note(slug, &token, &sub, "the rejected account's")
                .await;
        }
        self.show(slug).await
    }

    /// Give a grant back at Google unless a tenant still holds a consent by its account
    /// (Google would end that one too), and say on the timeline what was done.
    async fn give_back_and_note(
        &self,
        slug: &str,
        token: &secrecy::SecretString,
        sub: &str,
        whose: &str,
    ) {
        let note = match &self.google {
            Some(g) => self.give_back(g, token, Some(sub), slug).await,
            None => " (the grant was kept at Google: no Google client is configured)".into(),
        };
        let said = note.trim().trim_start_matches('(').trim_end_matches(')');
        let detail = format!("{whose} grant: {said}");
        let s = slug.to_owned();
        let res = self
            .commit(Durability::Lazy, move |tx| {
                let Some(mut cur) = tx.tenant(&s)? else {
                    return Ok(());
                };
                let now = tx.now();
                cur.updated_at = now;
                let e = crate::domain::transition::event(
                    &s,
                    now,
                    EventKind::GrantRevoked,
                    detail.clone(),
                );
                tx.put_tenant(cur, Some(e))?;
                Ok(())
            })
            .await;
        if let Err(e) = res {
            tracing::warn!(tenant = slug, error = %e, "could not note a grant given back");
        }
    }
}
