//! Opening a consent link: the link behind a code (or the page that says why it cannot
//! start a flow), and the interstitial page with the open counted.

use std::sync::Arc;

use super::page::{CustomerPage, Interstitial};
use crate::domain::actor::Actor;
use crate::domain::brief::Brief;
use crate::domain::consent::form_token;
use crate::domain::lifecycle::Transition;
use crate::domain::model::{ConsentLink, ExpectedAccount, LinkState, TenantStatus};
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::ops::apply_in;
use crate::engine::token::{LINK_CODE_LEN, sha256, well_formed};
use crate::store::{Counted, Tx};
use crate::time::now_ms;

/// The page for a link that can no longer start a flow.
pub(super) fn gone(state: LinkState) -> CustomerPage {
    CustomerPage::link_gone(match state {
        LinkState::Used => "This link was already used to connect an account.",
        LinkState::Revoked => "This link was withdrawn.",
        LinkState::Superseded => "A newer link was used to connect an account.",
        LinkState::Expired => "This link has expired.",
        LinkState::Active => "This invitation is no longer active.",
    })
}

fn inactive(status: TenantStatus) -> bool {
    matches!(status, TenantStatus::Offboarded | TenantStatus::Offboarding)
}

/// The link behind `code` if it can still start a flow, with its tenant in brief; else the
/// page that says why not.
pub(super) async fn live_link(
    core: &Core,
    code: &str,
) -> Result<([u8; 32], ConsentLink, Arc<Brief>), CustomerPage> {
    if !well_formed(code, LINK_CODE_LEN) {
        return Err(CustomerPage::link_unknown());
    }
    let hash = sha256(code);
    let now = now_ms();
    let node = core.store().node();
    if let Some(link) = node.live_link(&hash, now) {
        return match node.brief(&link.tenant) {
            Some(b) if !inactive(b.status) => Ok((hash, link, b)),
            _ => Err(CustomerPage::link_gone(
                "This invitation is no longer active.",
            )),
        };
    }
    // Not live: the stored record says why (a blocking read, off the workers).
    match core.store().read(move |s| s.link(&hash)).await {
        Ok(Some(l)) => Err(gone(l.state(now))),
        Ok(None) => Err(CustomerPage::link_unknown()),
        Err(e) => Err(CustomerPage::internal(&e.to_string())),
    }
}

/// Count an open of the link (`continued`: a press of its Continue); the first of each
/// goes on the tenant's timeline.
pub(super) fn count(tx: &mut dyn Tx, hash: &[u8], continued: bool) -> Result<(), EngineError> {
    if let Counted::First(link) = tx.count_on_link(hash, continued)? {
        let link_id = link.id.clone();
        let t = if continued {
            Transition::ConsentStarted { link_id }
        } else {
            Transition::LinkOpened { link_id }
        };
        // A tenant being offboarded refuses the transition; the count still stands.
        let _ = apply_in(tx, &link.tenant, &t);
    }
    Ok(())
}

pub(super) async fn open_link(
    core: &Core,
    actor: &Actor,
    code: &str,
    browser: &str,
) -> Result<Interstitial, CustomerPage> {
    let (hash, _link, brief) = live_link(core, code).await?;
    // A repeat open is only counted (in memory, written with the next lazy write); the
    // first is queued, not waited for: the page does not wait for the disk.
    if !core.store().node().count_again(&hash, false) {
        core.commit_detached(actor, "count a link open", move |tx| {
            count(tx, &hash, false)
        });
    }
    Ok(Interstitial {
        display_name: brief.display_name.clone(),
        access: brief.integration.access_summary().to_owned(),
        account_hint: brief.expected.as_ref().map(|e| match e {
            ExpectedAccount::Email(m) => m.clone(),
            ExpectedAccount::Domain(d) => format!("an account of {d}"),
        }),
        continue_path: core
            .config()
            .public_path(&format!("/c/{code}/continue"))
            .path()
            .to_owned(),
        token: form_token(core.store().form_key(), browser, &hash),
    })
}
