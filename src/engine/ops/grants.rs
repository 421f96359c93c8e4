//! Google grants: where a tenant's refresh tokens are kept, and giving an unwanted grant
//! back at Google, unless that would end a consent a tenant holds (Google revokes an
//! account's whole grant to our client, every refresh token with it).

use secrecy::SecretString;

use crate::domain::actor::Actor;
use crate::domain::consent::{GiveBack, give_back as decide};
use crate::domain::model::EventKind;
use crate::engine::core::Core;
use crate::google::GoogleOAuth;
use crate::store::Durability;

/// The secret holding a tenant's refresh token.
pub const REFRESH_TOKEN: &str = "refresh_token";
/// The secret holding a consent's refresh token while it waits for approval.
pub const PENDING_TOKEN: &str = "pending_refresh_token";

/// Give `refresh` (a grant by the account `sub`) back at Google, unless a tenant holds a
/// consent by that account. Returns what to add to the operator's reason.
pub async fn give_back(
    core: &Core,
    google: &GoogleOAuth,
    refresh: &SecretString,
    sub: Option<&str>,
    slug: &str,
) -> String {
    let holders = sub.map_or_else(Vec::new, |s| core.store().node().consents_by(s));
    if let GiveBack::Keep(why) = decide(sub, &holders) {
        return format!(" (the grant was kept at Google: {why})");
    }
    match google.revoke(refresh).await {
        Ok(()) => " (the grant was given back at Google)".into(),
        Err(e) => {
            tracing::warn!(tenant = slug, error = %e, "could not revoke an unwanted grant");
            format!(" (giving the grant back at Google failed: {e})")
        }
    }
}

/// Give a grant back (see [`give_back`]) and say on the tenant's timeline what was done.
pub async fn give_back_and_note(
    core: &Core,
    actor: &Actor,
    slug: &str,
    token: &SecretString,
    sub: &str,
    whose: &str,
) {
    let note = match core.google() {
        Ok(g) => give_back(core, g, token, Some(sub), slug).await,
        Err(_) => " (the grant was kept at Google: no Google client is configured)".into(),
    };
    let said = note.trim().trim_start_matches('(').trim_end_matches(')');
    let detail = format!("{whose} grant: {said}");
    let s = slug.to_owned();
    let res = core
        .commit(actor, Durability::Lazy, move |tx| {
            let Some(mut cur) = tx.tenant(&s)? else {
                return Ok(());
            };
            let now = tx.now();
            cur.updated_at = now;
            let e =
                crate::domain::transition::event(&s, now, EventKind::GrantRevoked, detail.clone());
            tx.put_tenant(cur, Some(e))?;
            Ok(())
        })
        .await;
    if let Err(e) = res {
        tracing::warn!(tenant = slug, error = %e, "could not note a grant given back");
    }
}
