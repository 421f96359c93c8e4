//! The revoke step of an offboarding (a tenant's, or one integration's): give its grants
//! back at Google, unless a consent by the same account through the same OAuth client
//! still stands elsewhere (Google's revoke ends an account's whole grant to a client, every
//! refresh token with it).
//!
//! Offboarding a tenant whole gives its grants back once, at the end: each added
//! integration's job gives back only a consent of its own waiting for approval and leaves
//! its refresh token to the tenant's job (its first integration's), which waits until
//! every other integration's job is done and then gives back each token left, one per
//! OAuth client (a second token of the same client and account ends with the first).

use secrecy::SecretString;

use super::grants::{PENDING_TOKEN, REFRESH_TOKEN, holding_on_client};
use crate::domain::actor::Actor;
use crate::domain::consent::{holders_besides, holding};
use crate::domain::held::integration_secret;
use crate::domain::model::{Integration, Tenant, TenantStatus};
use crate::domain::offboarding::leaving_whole;
use crate::engine::core::Core;
use crate::engine::operation::Operation;

/// What giving the grants back came to.
pub enum RevokeResult {
    /// Done (or nothing to do): what to put on the timeline.
    Done(String),
    /// Not now (no answer, Google failing, or other integrations of the tenant still
    /// leaving): try again later, saying why.
    Retry(String),
    /// Cannot be done as things are (no Google client, a refusal): stop with this reason.
    Fail(String),
    /// Not sent: this node does not lead now (the leader does it; nothing to record).
    NotLeader,
}

/// The revoke step: give the refresh token (and a consent waiting for approval) of the
/// tenant's first integration (`integration` `None`) or of one added after it back at
/// Google, unless another consent by that account stands; see the module's note for a
/// tenant offboarded whole.
pub struct GiveBackGrants {
    pub tenant: Tenant,
    /// An integration added after the tenant's first, whose grant alone goes back (`None`:
    /// the tenant's).
    pub integration: Option<Integration>,
}

/// One token to give back: by the account `sub`, through `client`'s OAuth client.
struct Grant {
    token: SecretString,
    sub: Option<String>,
    what: String,
    client: Integration,
}

/// The tokens stored for these integrations of `slug` (`None`: its first), each with its
/// base name (`REFRESH_TOKEN` or `PENDING_TOKEN`).
type Stored = Vec<(Option<Integration>, &'static str, SecretString)>;

impl Operation for GiveBackGrants {
    type Output = RevokeResult;

    async fn run(self, core: &Core, actor: &Actor) -> RevokeResult {
        let (slug, integration) = (self.tenant.slug.clone(), self.integration);
        let s = slug.clone();
        let read = core
            .store()
            .read(move |st| {
                let Some(whole) = st.tenant(&s)? else {
                    return Ok(None);
                };
                let mut names: Vec<(Option<Integration>, &'static str)> = match integration {
                    Some(i) => vec![(Some(i), REFRESH_TOKEN), (Some(i), PENDING_TOKEN)],
                    None => vec![(None, REFRESH_TOKEN), (None, PENDING_TOKEN)],
                };
                if integration.is_none() {
                    // The tenant's job gives back what its added integrations left it.
                    names.extend(
                        whole
                            .added
                            .iter()
                            .map(|a| (Some(a.integration), REFRESH_TOKEN)),
                    );
                }
                let mut stored: Stored = Vec::new();
                for (i, base) in names {
                    if let Some(t) = st.secret(&s, &integration_secret(i, base))? {
                        stored.push((i, base, t));
                    }
                }
                Ok(Some((whole, stored)))
            })
            .await;
        let (whole, stored) = match read {
            Ok(Some(r)) => r,
            Ok(None) => return RevokeResult::Done("the tenant is gone".into()),
            Err(e) => return RevokeResult::Retry(format!("reading the tokens: {e}")),
        };
        if integration.is_none() {
            let leaving: Vec<&str> = whole
                .added
                .iter()
                .filter(|a| a.status == TenantStatus::Offboarding)
                .map(|a| a.integration.name())
                .collect();
            if !leaving.is_empty() {
                return RevokeResult::Retry(format!(
                    "the grant goes back once, at the end: waiting until the offboarding of {} is done",
                    leaving.join(", ")
                ));
            }
        }
        let (grants, mut said) = grants(&whole, integration, stored);
        if grants.is_empty() && said.is_empty() {
            return RevokeResult::Done("no grant to give back at Google (no token stored)".into());
        }
        let leaving = (slug.as_str(), integration.unwrap_or(whole.integration));
        let mut ended: Vec<(String, Option<Integration>)> = Vec::new();
        // Tokens kept for the same holders are said together: (holders, what).
        let mut kept: Vec<(String, Vec<String>)> = Vec::new();
        for g in grants {
            if let Some(sub) = &g.sub {
                let holders = holders_besides(leaving, &holding_on_client(core, sub, g.client));
                if !holders.is_empty() {
                    let who = holding(&holders);
                    match kept.iter_mut().find(|(h, _)| *h == who) {
                        Some((_, whats)) => whats.push(g.what),
                        None => kept.push((who, vec![g.what])),
                    }
                    continue;
                }
            }
            let grant = g.sub.clone().map(|s| (s, core.client_key(g.client)));
            if grant.as_ref().is_some_and(|k| ended.contains(k)) {
                said.push(format!(
                    "{} ended with it (one grant to the client)",
                    g.what
                ));
                continue;
            }
            let google = match core.google_as(actor, g.client) {
                Ok(google) => google,
                Err(why) => {
                    return RevokeResult::Fail(format!(
                        "the grant cannot be given back at Google: {why}"
                    ));
                }
            };
            match google.revoke_status(&g.token).await {
                Ok((200, _)) => {
                    said.push(format!("{} was revoked at Google", g.what));
                    ended.extend(grant);
                }
                Ok((400, body)) if body.contains("invalid_token") => {
                    said.push(format!("{} was no longer live at Google", g.what))
                }
                Ok((s, body)) if s == 429 || s >= 500 => {
                    return RevokeResult::Retry(format!(
                        "Google answered {s} to the revoke: {body}"
                    ));
                }
                Ok((s, body)) => {
                    return RevokeResult::Fail(format!("Google refused the revoke ({s}: {body})"));
                }
                Err(crate::google::GoogleError::NotLeader(_)) => return RevokeResult::NotLeader,
                Err(e) => return RevokeResult::Retry(format!("could not reach Google: {e}")),
            }
        }
        for (who, whats) in kept {
            let (what, verb) = match whats.as_slice() {
                [one] => (one.clone(), "was"),
                _ => (whats.join(" and "), "were"),
            };
            said.push(format!(
                "{what} {verb} kept at Google: {who} a consent by the same account, which giving it back would end"
            ));
        }
        RevokeResult::Done(said.join("; "))
    }
}

/// The grants the step gives back from the tokens `stored`, and what it says of those it
/// leaves to the tenant's job (an added integration's refresh token, while the tenant is
/// offboarded whole).
fn grants(
    whole: &Tenant,
    integration: Option<Integration>,
    stored: Stored,
) -> (Vec<Grant>, Vec<String>) {
    let account = whole.google.as_ref().map(|g| g.sub.clone());
    let mut said = Vec::new();
    let mut out = Vec::new();
    for (i, base, token) in stored {
        let client = i.unwrap_or(whole.integration);
        let facet = whole.facet(client);
        let pending = base == PENDING_TOKEN;
        let sub = if pending {
            facet.and_then(|f| f.pending).map(|p| p.identity.sub)
        } else {
            account.clone()
        };
        let what = match (pending, i == integration) {
            (true, true) => "the consent waiting for approval".to_owned(),
            (false, true) => "the refresh token".to_owned(),
            (_, false) => format!("{client}'s refresh token"),
        };
        if integration.is_some() && !pending && leaving_whole(whole) {
            said.push(format!(
                "{what} goes back with the tenant's, once, at the end"
            ));
            continue;
        }
        out.push(Grant {
            token,
            sub,
            what,
            client,
        });
    }
    (out, said)
}
