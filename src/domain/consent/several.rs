//! One link, several consents: a link covers every integration of its tenant not yet
//! consented (or the one it was issued for), one Google consent each with only that
//! integration's scopes; the customer is offered the next after each, and the link counts
//! as used after the last. In between, it takes only the account of its first consent.
//! A link never asks for an integration leaving, nor for another than it was for: with
//! nothing left to ask, it has ended.

use crate::domain::integration::Integration;
use crate::domain::link::Gone;
use crate::domain::model::{ConsentLink, TenantStatus};
use crate::domain::offboarding::is_leaving;

/// The integrations of a tenant (each it holds with its status, its first first) that a
/// link may ask a consent for: not one leaving (`offboarding`, `offboarded`).
pub fn may_ask(statuses: &[(Integration, TenantStatus)]) -> Vec<Integration> {
    statuses
        .iter()
        .filter(|(_, s)| !is_leaving(*s))
        .map(|(i, _)| *i)
        .collect()
}

/// The integrations a consent through `link` is still asked for, in the order Continue asks
/// them: the one it was issued for (if the tenant holds it and it is not leaving), else
/// those of `integrations` (the tenant's that [`may_ask`], its first first) neither
/// consented (`consented`) nor done through the link; with none left and none done through
/// it, the tenant's first (a new consent for it, as a link of one integration always
/// gave). Never another integration than the link is for: with nothing left, nothing (the
/// link has ended, see [`ended`]).
pub fn to_consent(
    integrations: &[Integration],
    consented: &[Integration],
    link: &ConsentLink,
) -> Vec<Integration> {
    if let Some(only) = link.only {
        return integrations
            .iter()
            .copied()
            .filter(|i| *i == only)
            .collect();
    }
    let left = left_to_consent(integrations, consented, link);
    if left.is_empty() && link.done.is_empty() {
        integrations.first().copied().into_iter().collect()
    } else {
        left
    }
}

/// Those of `integrations` a link for every integration not consented still asks for:
/// neither consented nor done through it.
fn left_to_consent(
    integrations: &[Integration],
    consented: &[Integration],
    link: &ConsentLink,
) -> Vec<Integration> {
    integrations
        .iter()
        .copied()
        .filter(|i| !consented.contains(i) && !link.done.contains(i))
        .collect()
}

/// What a live link that asks nothing any more is to the customer: used, when consents went
/// through it (the last of what it asked is done), else withdrawn (what it asked for went).
pub fn ended(link: &ConsentLink) -> Gone {
    if link.done.is_empty() {
        Gone::Withdrawn
    } else {
        Gone::Used
    }
}

/// Whether `link`, live, asks a consent for `leaving` and nothing else (for it alone, or
/// for every integration not consented when only it is left): it ends when `leaving` goes.
/// `integrations`: as for [`to_consent`], with `leaving` still among them.
pub fn asks_only(
    integrations: &[Integration],
    consented: &[Integration],
    link: &ConsentLink,
    leaving: Integration,
) -> bool {
    match link.only {
        Some(only) => only == leaving,
        None => left_to_consent(integrations, consented, link) == [leaving],
    }
}

/// The integration a Continue on `link` asks a consent for: the first of [`to_consent`].
pub fn next_to_consent(
    integrations: &[Integration],
    consented: &[Integration],
    link: &ConsentLink,
) -> Option<Integration> {
    to_consent(integrations, consented, link).first().copied()
}

/// Where a link stands after a consent to `integration` through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Consented through the link so far, this one last.
    pub done: Vec<Integration>,
    /// Still to consent through it, in order (empty: the link is used).
    pub remaining: Vec<Integration>,
}

impl Progress {
    pub fn finished(&self) -> bool {
        self.remaining.is_empty()
    }

    pub fn total(&self) -> usize {
        self.done.len() + self.remaining.len()
    }
}

/// `integration` consented through `link`; `consented`: the tenant's integrations holding
/// a consent now, this one included.
pub fn after_consent(
    integrations: &[Integration],
    consented: &[Integration],
    link: &ConsentLink,
    integration: Integration,
) -> Progress {
    let mut done = link.done.clone();
    if !done.contains(&integration) {
        done.push(integration);
    }
    let remaining = if link.only.is_some() {
        Vec::new()
    } else {
        integrations
            .iter()
            .filter(|i| !consented.contains(i) && !done.contains(i))
            .copied()
            .collect()
    };
    Progress { done, remaining }
}

/// Whether a consent through `link` must be by the account of its first consent (one
/// went through it already).
pub fn first_account_only(link: &ConsentLink) -> bool {
    !link.done.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Integration::{Gmail, GoogleDrive};

    fn link() -> ConsentLink {
        ConsentLink::new("acme", "ab", 0, 100)
    }

    #[test]
    fn a_link_asks_each_integration_not_consented_in_turn_and_is_used_after_the_last() {
        let both = [Gmail, GoogleDrive];
        let mut l = link();
        assert_eq!(to_consent(&both, &[], &l), both);
        assert_eq!(next_to_consent(&both, &[], &l), Some(Gmail));
        assert!(!first_account_only(&l));
        let p = after_consent(&both, &[Gmail], &l, Gmail);
        assert_eq!(p.done, [Gmail]);
        assert_eq!(p.remaining, [GoogleDrive]);
        assert!(!p.finished());
        assert_eq!((p.done.len(), p.total()), (1, 2));
        l.done = p.done;
        assert!(first_account_only(&l));
        assert_eq!(next_to_consent(&both, &[Gmail], &l), Some(GoogleDrive));
        let p = after_consent(&both, &[Gmail, GoogleDrive], &l, GoogleDrive);
        assert_eq!(p.done, [Gmail, GoogleDrive]);
        assert!(p.finished());
        assert_eq!(p.total(), 2);
    }

    #[test]
    fn a_link_skips_what_is_consented_already() {
        let both = [Gmail, GoogleDrive];
        let l = link();
        // Gmail works: a new link asks for Drive alone.
        assert_eq!(next_to_consent(&both, &[Gmail], &l), Some(GoogleDrive));
        let p = after_consent(&both, &[Gmail, GoogleDrive], &l, GoogleDrive);
        assert!(p.finished());
        assert_eq!(p.total(), 1);
        // Everything consented: a new consent for the first (re-consent), as before.
        assert_eq!(next_to_consent(&both, &both, &l), Some(Gmail));
        assert!(after_consent(&both, &both, &l, Gmail).finished());
        // A tenant of one integration: as it always was.
        assert_eq!(next_to_consent(&[Gmail], &[], &l), Some(Gmail));
        assert!(after_consent(&[Gmail], &[Gmail], &l, Gmail).finished());
    }

    #[test]
    fn a_link_never_asks_for_another_integration_than_it_was_for() {
        let both = [Gmail, GoogleDrive];
        // For Drive alone, and Drive is no longer held (or leaving): nothing, not Gmail.
        let mut l = link();
        l.only = Some(GoogleDrive);
        assert_eq!(to_consent(&[Gmail], &[], &l), []);
        assert_eq!(next_to_consent(&[Gmail], &[Gmail], &l), None);
        assert_eq!(ended(&l), Gone::Withdrawn);
        // Gmail consented through it, Drive gone since: its consents are done.
        let mut l = link();
        l.done = vec![Gmail];
        assert_eq!(to_consent(&[Gmail], &[Gmail], &l), []);
        assert_eq!(ended(&l), Gone::Used);
        assert_eq!(to_consent(&both, &[Gmail], &l), [GoogleDrive]);
        // Which links end when Drive goes: those asking for it alone.
        assert!(asks_only(&both, &[Gmail], &l, GoogleDrive));
        assert!(!asks_only(&both, &[], &link(), GoogleDrive), "Gmail too");
        assert!(asks_only(&both, &[Gmail], &link(), GoogleDrive));
        assert!(
            !asks_only(&both, &both, &link(), GoogleDrive),
            "Gmail again"
        );
        let mut drive = link();
        drive.only = Some(GoogleDrive);
        assert!(asks_only(&both, &both, &drive, GoogleDrive));
        drive.only = Some(Gmail);
        assert!(!asks_only(&both, &[], &drive, GoogleDrive));
    }

    #[test]
    fn an_integration_leaving_is_not_asked_for() {
        use crate::domain::model::TenantStatus::{Deployed, Offboarded, Offboarding};
        let statuses = [(Gmail, Deployed), (GoogleDrive, Offboarding)];
        assert_eq!(may_ask(&statuses), [Gmail]);
        assert_eq!(
            may_ask(&[(Gmail, Deployed), (GoogleDrive, Offboarded)]),
            [Gmail]
        );
        // A new link to a tenant whose Gmail works and whose Drive leaves: a new consent
        // for Gmail, as a link to a tenant of Gmail alone gives.
        let l = link();
        assert_eq!(to_consent(&may_ask(&statuses), &[Gmail], &l), [Gmail]);
        // One halfway through: nothing left for it once Drive leaves.
        let mut l = link();
        l.done = vec![Gmail];
        let p = after_consent(&may_ask(&statuses), &[Gmail], &l, Gmail);
        assert!(p.finished(), "{p:?}");
    }

    #[test]
    fn a_link_for_one_integration_asks_that_one_only() {
        let both = [Gmail, GoogleDrive];
        let mut l = link();
        l.only = Some(GoogleDrive);
        assert_eq!(next_to_consent(&both, &[], &l), Some(GoogleDrive));
        assert!(after_consent(&both, &[GoogleDrive], &l, GoogleDrive).finished());
        assert_eq!(next_to_consent(&[Gmail], &[], &l), None);
    }
}
