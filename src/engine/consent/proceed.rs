//! Continue: a press on the link's page starts a fresh single-use OAuth flow (state, PKCE
//! verifier, bound to this browser) for the next integration the link covers and sends the
//! customer to Google for that integration's scopes alone.

use std::time::Duration;

use url::Url;

use super::driver::record_refusal;
use super::open::{count, live_link};
use super::page::CustomerPage;
use crate::domain::actor::Actor;
use crate::domain::consent::page::Failure;
use crate::domain::consent::several::{ended, may_ask, next_to_consent};
use crate::domain::consent::{ContinueRequest, browser_hash, check_continue};
use crate::domain::link::Gone;
use crate::domain::model::{ExpectedAccount, LinkState, PendingFlow};
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::token::{hex, random_token, sha256};
use crate::google;
use crate::i18n::Asked;
use crate::store::{Durability, Tx};
use crate::time::{add, now_ms};

/// How long a customer has at Google before the flow expires.
pub const FLOW_TTL: Duration = Duration::from_secs(10 * 60);

/// Store a new flow for a link that can still start one; count the Continue.
fn start_flow(
    tx: &mut dyn Tx,
    hash: &[u8],
    state_hash: &[u8],
    flow: PendingFlow,
    sealed_verifier: String,
) -> Result<(), EngineError> {
    let link = tx
        .link(hash)?
        .ok_or_else(|| EngineError::Conflict("the link is gone".into()))?;
    let state = link.state(tx.now());
    if state != LinkState::Active {
        return Err(EngineError::Conflict(format!("the link is {state}")));
    }
    tx.put_sealed_flow(state_hash, flow, sealed_verifier)?;
    count(tx, hash, true)
}

pub(super) async fn continue_link(
    core: &Core,
    actor: &Actor,
    code: &str,
    req: &ContinueRequest,
    asked: &Asked,
) -> Result<Url, CustomerPage> {
    let (hash, link, brief) = live_link(core, code).await?;
    let origin = core
        .config()
        .listener
        .public_url
        .origin()
        .ascii_serialization();
    let browser = match check_continue(&origin, core.store().form_key(), &hash, req) {
        Ok(b) => browser_hash(b),
        Err(why) => {
            tracing::warn!(tenant = %brief.slug, link = %link.id, reason = why.reason(), "Continue refused");
            return Err(CustomerPage::failed_for(
                &brief.display_name,
                brief.lang,
                Failure::ContinueRefused,
            ));
        }
    };
    // One consent per integration, each asking only its own scopes; none left: the link
    // has ended (never a consent for another integration than it asks for).
    let Some(integration) = next_to_consent(&may_ask(&brief.statuses), &brief.consented, &link)
    else {
        return Err(CustomerPage::failed_for(
            &brief.display_name,
            brief.lang,
            Failure::LinkGone(ended(&link)),
        ));
    };
    let google = match core.google_for(integration) {
        Ok(g) => g,
        Err(why) => {
            tracing::error!(error = %why, "consent flow refused: Google is not configured");
            record_refusal(
                core,
                actor,
                &brief.slug,
                None,
                None,
                &format!("Continue refused: consent is disabled ({why})"),
            )
            .await;
            return Err(CustomerPage::failed_for(
                &brief.display_name,
                brief.lang,
                Failure::NotConfigured,
            ));
        }
    };
    let state = random_token(32);
    let (challenge, verifier) = google::new_pkce();
    let now = now_ms();
    let lang = asked.lang(brief.lang);
    let flow = PendingFlow {
        tenant: brief.slug.clone(),
        link_id: link.id.clone(),
        link_hash: hex(&hash),
        redirect_uri: core.config().redirect_uri().to_string(),
        created_at: now,
        expires_at: add(now, FLOW_TTL),
        browser,
        integration: (integration != brief.integration).then_some(integration),
        lang: Some(lang.tag().to_owned()),
    };
    let state_hash = sha256(&state);
    let sealed = core.store().seal_flow_verifier(&state_hash, &verifier);
    let node = core.store().node();
    let repeat = node.count_again(&hash, true);
    if node.stages_flows() {
        if repeat {
            // A repeat Continue: the flow is staged (the callback finds it at once) and
            // written with the next lazy write.
            node.stage_flow(&state_hash, flow, sealed);
        } else {
            // The first Continue goes on the timeline. Queued, not waited for: the
            // callback, which comes after Google, takes the flow through the same queue.
            core.commit_detached(actor, "start a flow", move |tx| {
                start_flow(tx, &hash, &state_hash, flow.clone(), sealed.clone())
            });
        }
    } else {
        // Another process may take the callback: the flow is committed before the
        // customer goes to Google.
        let committed = core
            .commit(actor, Durability::Lazy, move |tx| {
                if repeat {
                    tx.put_sealed_flow(&state_hash, flow.clone(), sealed.clone())?;
                    Ok(())
                } else {
                    start_flow(tx, &hash, &state_hash, flow.clone(), sealed.clone())
                }
            })
            .await;
        match committed {
            Ok(()) => {}
            // The link stopped being live meanwhile (withdrawn, used by another tab).
            Err(EngineError::Conflict(_)) => {
                return Err(CustomerPage::link_gone(Gone::Inactive));
            }
            Err(e) => return Err(CustomerPage::internal(&e.to_string())),
        }
    }
    let hint = match &brief.expected {
        Some(ExpectedAccount::Email(m)) => Some(m.as_str()),
        _ => None,
    };
    Ok(google.authorize_url(&state, challenge, &integration.scopes(), hint, lang.tag()))
}
