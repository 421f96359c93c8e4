//! Opening a consent link: the link behind a code (or the page that says why it cannot
//! start a flow), and the interstitial page with the open counted.

use std::sync::Arc;

use super::page::CustomerPage;
use crate::domain::actor::Actor;
use crate::domain::brief::Brief;
use crate::domain::consent::form_token;
use crate::domain::consent::page::{Failure, PageKind};
use crate::domain::consent::several::{ended, may_ask, to_consent};
use crate::domain::lifecycle::Transition;
use crate::domain::link::Gone;
use crate::domain::model::ConsentLink;
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::ops::apply_in;
use crate::engine::token::{LINK_CODE_LEN, sha256, well_formed};
use crate::store::{Counted, Tx};
use crate::time::now_ms;

/// The link behind `code` if it can still start a flow (its tenant is not leaving, and it
/// still asks a consent for an integration the tenant holds), with its tenant in brief;
/// else the page that says why not.
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
        let Some(b) = node.brief(&link.tenant) else {
            return Err(CustomerPage::link_gone(Gone::Inactive));
        };
        // An integration leaving alone leaves the tenant's others' links working.
        let gone = if b.leaving_whole() {
            Some(Gone::Inactive)
        } else if to_consent(&may_ask(&b.statuses), &b.consented, &link).is_empty() {
            Some(ended(&link))
        } else {
            None
        };
        return match gone {
            None => Ok((hash, link, b)),
            Some(why) => Err(CustomerPage::failed_for(
                &b.display_name,
                b.lang,
                Failure::LinkGone(why),
            )),
        };
    }
    // Not live: the stored record says why (a blocking read, off the workers).
    match core.store().read(move |s| s.link(&hash)).await {
        Ok(Some(l)) => Err(CustomerPage::link_gone(Gone::from(l.state(now)))),
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
            // Each integration the link asks for waits on it now.
            Transition::LinkOpened {
                link_id,
                only: link.only,
            }
        };
        // A tenant being offboarded (or gone) refuses the transition; the count still
        // stands. A store error fails the commit.
        match apply_in(tx, &link.tenant, &t) {
            Ok(_) | Err(EngineError::Transition(_) | EngineError::UnknownTenant(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

pub(super) async fn open_link(
    core: &Core,
    actor: &Actor,
    code: &str,
    browser: &str,
) -> Result<CustomerPage, CustomerPage> {
    let (hash, link, brief) = live_link(core, code).await?;
    // A repeat open is only counted (in memory, written with the next lazy write); the
    // first is queued, not waited for: the page does not wait for the disk.
    if !core.store().node().count_again(&hash, false) {
        core.commit_detached(actor, "count a link open", move |tx| {
            count(tx, &hash, false)
        });
    }
    let ask = PageKind::Ask {
        tenant: brief.display_name.clone(),
        // Every integration the link still asks a consent for, one after another.
        integrations: to_consent(&may_ask(&brief.statuses), &brief.consented, &link),
        account: brief.expected.clone(),
        continue_path: core
            .config()
            .public_path(&format!("/c/{code}/continue"))
            .path()
            .to_owned(),
        token: form_token(core.store().form_key(), browser, &hash),
    };
    Ok(CustomerPage::from(ask).in_lang(brief.lang))
}
