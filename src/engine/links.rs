//! Issuing a consent link and withdrawing a tenant's links. One rule for a withdrawal (the
//! links are marked revoked, the flows started through them end, the timeline says so),
//! used by `link --revoke` and by `link --replace`, which withdraws the tenant's other
//! active links in the same commit as it issues the new one.

use std::time::Duration;

use super::api::LinkView;
use super::error::EngineError;
use super::handle::{Engine, apply_in, random_token, sha256};
use crate::domain::lifecycle::Transition;
use crate::domain::model::{ConsentLink, EventKind, LinkState};
use crate::store::{Durability, Tx};
use crate::time::{Millis, add, rfc3339};

/// What an issue did to the tenant's other links.
struct Others {
    active: usize,
    until: Option<Millis>,
    withdrawn: Vec<String>,
}

impl Engine {
    /// Issue a link to `slug`; with `replace`, withdraw its other active links in the same
    /// commit. The view says how many others stay active (and until when) or which were
    /// withdrawn.
    pub(super) async fn issue_link(
        &self,
        slug: &str,
        ttl: Duration,
        replace: bool,
    ) -> Result<LinkView, EngineError> {
        self.may_issue_links(ttl)?;
        let code = random_token(16);
        let hash = sha256(&code);
        let id: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
        let s = slug.to_owned();
        let link_id = id.clone();
        let (expires_at, others) = self
            .commit(Durability::Durable, move |tx| {
                let now = tx.now();
                let link = ConsentLink::new(&s, &link_id, now, add(now, ttl));
                let expires_at = link.expires_at;
                let withdrawn = if replace {
                    withdraw_links(tx, &s, &format!(" (replaced by link {link_id})"), |l| {
                        l.state(now) == LinkState::Active
                    })?
                } else {
                    Vec::new()
                };
                // The transition before the link: an offboarded tenant refuses it, and then
                // nothing is written (the whole operation is discarded).
                apply_in(
                    tx,
                    &s,
                    &Transition::LinkIssued {
                        link_id: link_id.clone(),
                        expires_at,
                    },
                )?;
                let active: Vec<Millis> = tx
                    .links_of(&s)?
                    .into_iter()
                    .filter(|(_, l)| l.state(now) == LinkState::Active)
                    .map(|(_, l)| l.expires_at)
                    .collect();
                tx.put_link(&hash, link)?;
                Ok((
                    expires_at,
                    Others {
                        active: active.len(),
                        until: active.into_iter().max(),
                        withdrawn,
                    },
                ))
            })
            .await?;
        Ok(LinkView {
            slug: slug.to_owned(),
            url: self.config().public_path(&format!("/c/{code}")).to_string(),
            id,
            expires_at: rfc3339(expires_at),
            expires_ms: expires_at,
            earlier_active: others.active,
            earlier_active_until: others.until.map(rfc3339),
            earlier_active_until_ms: others.until,
            withdrawn: others.withdrawn,
        })
    }

    /// Withdraw every unused link of the tenant (`link --revoke`).
    pub(super) async fn revoke_links(&self, slug: &str) -> Result<(), EngineError> {
        let s = slug.to_owned();
        self.commit(Durability::Durable, move |tx| {
            withdraw_links(tx, &s, "", |l| l.used_at.is_none() && !l.revoked).map(|_| ())
        })
        .await
    }
}

/// Withdraw the tenant's links that `pick` chooses, end the flows already started through
/// them, and put one line on the timeline (`why` follows the ids); their ids (none: nothing
/// is written).
fn withdraw_links(
    tx: &mut dyn Tx,
    slug: &str,
    why: &str,
    pick: impl Fn(&ConsentLink) -> bool,
) -> Result<Vec<String>, EngineError> {
    let now = tx.now();
    let mut tenant = tx
        .tenant(slug)?
        .ok_or_else(|| EngineError::UnknownTenant(slug.to_owned()))?;
    let mut ids = Vec::new();
    for (hash, mut link) in tx.links_of(slug)? {
        if pick(&link) {
            link.revoked = true;
            link.revoked_at = Some(now);
            ids.push(link.id.clone());
            tx.put_link(&hash, link)?;
        }
    }
    if ids.is_empty() {
        return Ok(ids);
    }
    for (state_hash, flow) in tx.flows_of(slug)? {
        if ids.contains(&flow.link_id) {
            tx.end_flow(&state_hash, &flow)?;
        }
    }
    tenant.updated_at = now;
    let event = crate::domain::transition::event(
        slug,
        now,
        EventKind::LinksRevoked,
        format!("operator withdrew consent links {}{why}", ids.join(", ")),
    );
    tx.put_tenant(tenant, Some(event))?;
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use crate::engine::Command;
    use crate::engine::api::LinkView;

    #[test]
    fn clients_that_know_nothing_of_replace_still_speak_the_same_protocol() {
        let old: Command =
            serde_json::from_str(r#"{"command":"issue_link","slug":"acme","ttl_secs":60}"#)
                .expect("an older client's command");
        assert_eq!(
            old,
            Command::IssueLink {
                slug: "acme".into(),
                ttl_secs: 60,
                replace: false
            }
        );
        let view: LinkView = serde_json::from_str(
            r#"{"slug":"acme","url":"https://x/c/a","id":"ab12cd34","expires_at":"2026-12-08T12:00:00Z"}"#,
        )
        .expect("an older owner's reply");
        assert_eq!((view.earlier_active, view.withdrawn.len()), (0, 0));
        assert_eq!(view.earlier_active_until, None);
    }
}
