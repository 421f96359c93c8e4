//! Continue: a press on the link's page starts a fresh single-use OAuth flow (state, PKCE
//! verifier, bound to this browser) and sends the customer to Google.

use std::time::Duration;

use url::Url;

use super::driver::record_refusal;
use super::open::{count, live_link};
use super::page::CustomerPage;
use crate::domain::actor::Actor;
use crate::domain::consent::{ContinueRequest, browser_hash, check_continue};
use crate::domain::model::{ExpectedAccount, LinkState, PendingFlow};
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::token::{hex, random_token, sha256};
use crate::google;
use crate::store::Tx;
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
            return Err(CustomerPage::continue_refused());
        }
    };
    let google = match core.google() {
        Ok(g) => g,
        Err(why) => {
            tracing::error!(error = %why, "consent flow refused: Google is not configured");
            record_refusal(
                core,
                actor,
                &brief.slug,
                None,
                &format!("Continue refused: consent is disabled ({why})"),
            )
            .await;
            return Err(CustomerPage::not_configured());
        }
    };
    let state = random_token(32);
    let (challenge, verifier) = google::new_pkce();
    let now = now_ms();
    let flow = PendingFlow {
        tenant: brief.slug.clone(),
        link_id: link.id.clone(),
        link_hash: hex(&hash),
        redirect_uri: core.config().redirect_uri().to_string(),
        created_at: now,
        expires_at: add(now, FLOW_TTL),
        browser,
    };
    let state_hash = sha256(&state);
    let sealed = core.store().seal_flow_verifier(&state_hash, &verifier);
    if core.store().node().count_again(&hash, true) {
        // A repeat Continue: the flow is staged (the callback finds it at once) and
        // written with the next lazy write.
        core.store().node().stage_flow(&state_hash, flow, sealed);
    } else {
        // The first Continue goes on the timeline. Queued, not waited for: the callback,
        // which comes after Google, takes the flow through the same queue.
        core.commit_detached(actor, "start a flow", move |tx| {
            start_flow(tx, &hash, &state_hash, flow.clone(), sealed.clone())
        });
    }
    let hint = match &brief.expected {
        Some(ExpectedAccount::Email(m)) => Some(m.as_str()),
        _ => None,
    };
    Ok(google.authorize_url(&state, challenge, &brief.integration.scopes(), hint))
}
