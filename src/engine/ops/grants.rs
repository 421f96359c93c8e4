//! Google grants: where a tenant's refresh tokens are kept, who holds a consent on an
//! account's grant to one OAuth client, and giving an unwanted grant back at Google, unless
//! that would end a consent a tenant holds (Google revokes an account's whole grant to one
//! client, every refresh token issued through that client with it; a grant to another
//! client, an integration's own, is not touched).

use secrecy::SecretString;

use crate::domain::actor::Actor;
use crate::domain::consent::{GiveBack, give_back as decide};
use crate::domain::model::{EventKind, Integration};
use crate::engine::core::Core;
use crate::google::GoogleOAuth;
use crate::store::Durability;

/// The secret holding a tenant's refresh token.
pub use crate::domain::token_facts::REFRESH_TOKEN;
/// The secret holding a consent's refresh token while it waits for approval.
pub const PENDING_TOKEN: &str = "pending_refresh_token";

/// Each tenant holding a consent by the account `sub` now, with the integrations holding
/// one (a consent waiting for approval counts, whichever integration's it is).
pub fn holding_consents_by(core: &Core, sub: &str) -> Vec<(String, Vec<Integration>)> {
    let node = core.store().node();
    node.consents_by(sub)
        .into_iter()
        .filter_map(|slug| {
            let held = node.brief(&slug)?.holding(sub);
            Some((slug, held))
        })
        .collect()
}

/// Each tenant holding a consent by the account `sub` on its grant to the OAuth client of
/// `client`'s consents, with the integrations holding one (see [`holding_consents_by`]):
/// only those made through the same client, whose grant a revoke would end.
pub fn holding_on_client(
    core: &Core,
    sub: &str,
    client: Integration,
) -> Vec<(String, Vec<Integration>)> {
    let key = core.client_key(client);
    holding_consents_by(core, sub)
        .into_iter()
        .filter_map(|(slug, held)| {
            let held: Vec<Integration> = held
                .into_iter()
                .filter(|i| core.client_key(*i) == key)
                .collect();
            (!held.is_empty()).then_some((slug, held))
        })
        .collect()
}

/// Give the grant of the account `sub` to `google` (the client of `integration`'s
/// consents) back at Google with `tokens` (refresh tokens of that grant), unless a tenant
/// holds a consent by that account through that client. Each token is tried in turn until
/// Google takes one: one no longer live (Google retires an account's oldest past 100) leaves
/// the grant live. Returns what to add to the operator's reason.
pub async fn give_back(
    core: &Core,
    google: &GoogleOAuth,
    integration: Integration,
    tokens: &[SecretString],
    sub: Option<&str>,
    slug: &str,
) -> String {
    let holders: Vec<String> = sub.map_or_else(Vec::new, |s| {
        holding_on_client(core, s, integration)
            .into_iter()
            .map(|(slug, _)| slug)
            .collect()
    });
    if let GiveBack::Keep(why) = decide(sub, &holders) {
        return format!(" (the grant was kept at Google: {why})");
    }
    let mut refused = None;
    for token in tokens {
        match google.revoke(token).await {
            Ok(()) => return " (the grant was given back at Google)".into(),
            Err(e) => refused = Some(e),
        }
    }
    let Some(e) = refused else {
        return " (no token to give the grant back with)".into();
    };
    tracing::warn!(tenant = slug, error = %e, "could not revoke an unwanted grant");
    match tokens.len() {
        1 => format!(" (giving the grant back at Google failed: {e})"),
        n => format!(
            " (giving the grant back at Google failed with each of its {n} tokens, the last: {e})"
        ),
    }
}

/// Give a grant back with `tokens` (see [`give_back`]) with `integration`'s OAuth client
/// and say on the tenant's timeline what was done (naming an integration added after its
/// first).
pub async fn give_back_and_note(
    core: &Core,
    actor: &Actor,
    slug: &str,
    tokens: &[SecretString],
    sub: &str,
    whose: &str,
    integration: Integration,
) {
    let note = match core.google_as(actor, integration) {
        Ok(g) => give_back(core, g, integration, tokens, Some(sub), slug).await,
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
            let mut e =
                crate::domain::transition::event(&s, now, EventKind::GrantRevoked, detail.clone());
            e.integration = (integration != cur.integration).then_some(integration);
            tx.put_tenant(cur, Some(e))?;
            Ok(())
        })
        .await;
    if let Err(e) = res {
        tracing::warn!(tenant = slug, error = %e, "could not note a grant given back");
    }
}
