//! What a consent link's issue and first open do to the integrations of its tenant: each
//! integration the link asks for (a link for one integration: that one; else every one)
//! that holds no consent moves to `link_issued`, then `link_opened`, as a tenant of one
//! integration always did, so the tenant's status (their summary) follows a live link. The
//! tenant gets one timeline entry per link event, not one per integration.
//!
//! An integration that holds a consent keeps its status (a re-consent link does not make a
//! working server read as waiting); one being offboarded keeps it too; one whose consent
//! waits for approval keeps reading so, the status it would have otherwise moving beneath.

use super::integration::Integration;
use super::model::{Tenant, TenantStatus};
use super::transition::set_status;

/// Whether a link issued for `only` (`None`: every integration) asks for `integration`.
pub fn asks(only: Option<Integration>, integration: Integration) -> bool {
    only.is_none_or(|o| o == integration)
}

/// Move each integration of `tenant` a link for `only` asks for to `to` (`link_issued` or
/// `link_opened`) in `next` (the tenant being changed).
pub fn move_asked(tenant: &Tenant, next: &mut Tenant, only: Option<Integration>, to: TenantStatus) {
    if asks(only, tenant.integration) && !tenant.holds_consent() {
        // A first whose consent waits: the lifecycle keeps it reading so (see `apply`).
        set_status(next, to);
    }
    for s in next.added.iter_mut().filter(|s| asks(only, s.integration)) {
        if s.holds_consent()
            || matches!(
                s.status,
                TenantStatus::Offboarding | TenantStatus::Offboarded
            )
        {
            continue;
        }
        if s.status == TenantStatus::AwaitingApproval {
            if let Some(p) = s.pending.as_mut() {
                p.underlying = to;
            }
            continue;
        }
        s.status = to;
        s.failure = None;
        s.reason = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{NewTenant, Transition, apply, new_tenant};
    use crate::domain::model::{EventKind, FailureKind};
    use Integration::{Gmail, GoogleDrive};
    use TenantStatus::*;

    fn acme_with_drive() -> Tenant {
        let input = NewTenant {
            slug: "acme".into(),
            ..Default::default()
        };
        let mut t = new_tenant(&input, 1).unwrap().0;
        t.add_integration(GoogleDrive, 2).unwrap();
        t
    }

    fn issued(only: Option<Integration>) -> Transition {
        Transition::LinkIssued {
            link_id: "ab12".into(),
            expires_at: 100,
            only,
        }
    }

    fn statuses(t: &Tenant) -> Vec<TenantStatus> {
        t.integrations()
            .into_iter()
            .filter_map(|i| t.status_of(i))
            .collect()
    }

    #[test]
    fn a_link_for_all_moves_each_integration_with_one_entry() {
        let t = acme_with_drive();
        let (next, event) = apply(&t, &issued(None), 3).unwrap();
        assert_eq!(statuses(&next), [LinkIssued, LinkIssued]);
        assert_eq!(next.summary_status(), LinkIssued);
        assert_eq!(event.kind, EventKind::LinkIssued);
        assert_eq!(event.integration, None);
        let opened = Transition::LinkOpened {
            link_id: "ab12".into(),
            only: None,
        };
        let (next, _) = apply(&next, &opened, 4).unwrap();
        assert_eq!(statuses(&next), [LinkOpened, LinkOpened]);
    }

    #[test]
    fn a_link_for_one_integration_moves_that_one() {
        let t = acme_with_drive();
        let (next, _) = apply(&t, &issued(Some(GoogleDrive)), 3).unwrap();
        assert_eq!(statuses(&next), [Created, LinkIssued]);
        let (next, _) = apply(&t, &issued(Some(Gmail)), 3).unwrap();
        assert_eq!(statuses(&next), [LinkIssued, Created]);
    }

    #[test]
    fn what_holds_a_consent_or_leaves_keeps_its_status_and_a_failure_is_cleared() {
        let mut t = acme_with_drive();
        t.status = Deployed;
        t.consented_at = Some(2);
        t.added[0].status = Failed;
        t.added[0].failure = Some(FailureKind::ConsentDenied);
        t.added[0].reason = Some("declined".into());
        let (next, _) = apply(&t, &issued(None), 3).unwrap();
        assert_eq!(statuses(&next), [Deployed, LinkIssued]);
        assert_eq!(next.summary_status(), LinkIssued);
        assert_eq!(next.added[0].failure, None);
        assert_eq!(next.added[0].reason, None);
        // Drive consented and deployed: neither moves.
        let mut both = next.clone();
        both.added[0].status = Deployed;
        both.added[0].consented_at = Some(4);
        let (again, _) = apply(&both, &issued(None), 5).unwrap();
        assert_eq!(statuses(&again), [Deployed, Deployed]);
        // Drive leaving: it stays so.
        let mut leaving = next;
        leaving.added[0].status = Offboarding;
        let (after, _) = apply(&leaving, &issued(Some(GoogleDrive)), 5).unwrap();
        assert_eq!(statuses(&after), [Deployed, Offboarding]);
    }

    #[test]
    fn a_consent_waiting_for_approval_keeps_reading_so_and_moves_beneath() {
        let mut t = acme_with_drive();
        t.added[0].status = AwaitingApproval;
        t.added[0].pending = Some(crate::domain::model::PendingConsent {
            identity: crate::domain::model::GoogleIdentity {
                sub: "222".into(),
                email: None,
                email_verified: true,
                hd: None,
            },
            granted_scopes: Vec::new(),
            at: 2,
            underlying: Created,
        });
        let opened = Transition::LinkOpened {
            link_id: "ab12".into(),
            only: None,
        };
        let (next, _) = apply(&t, &opened, 3).unwrap();
        assert_eq!(statuses(&next), [LinkOpened, AwaitingApproval]);
        let beneath = next.added[0].pending.as_ref().map(|p| p.underlying);
        assert_eq!(beneath, Some(LinkOpened));
    }
}
