//! The tenant's status: one word summarising the statuses of its integrations, the one
//! needing attention first. A tenant of one integration has that integration's status, so
//! a Gmail-only tenant reads exactly as before integrations were several.
//!
//! Attention order: a consent waiting for the operator's approval, then a failure, then a
//! consent to renew, then offboarding under way, then the least advanced onboarding (an
//! integration not yet consented holds the customer up most), then `deployed`, and
//! `offboarded` last.

use super::model::TenantStatus;

/// Lower comes first: how much a status needs someone's attention.
pub fn attention(status: TenantStatus) -> u8 {
    match status {
        TenantStatus::AwaitingApproval => 0,
        TenantStatus::Failed => 1,
        TenantStatus::NeedsReconsent => 2,
        TenantStatus::Offboarding => 3,
        TenantStatus::Created => 4,
        TenantStatus::LinkIssued => 5,
        TenantStatus::LinkOpened => 6,
        TenantStatus::Consented => 7,
        TenantStatus::ConnectionReady => 8,
        TenantStatus::ServerCreated => 9,
        TenantStatus::Deployed => 10,
        TenantStatus::Offboarded => 11,
    }
}

/// The tenant's status from its integrations' (`None`: it holds none).
pub fn tenant_status(integrations: impl IntoIterator<Item = TenantStatus>) -> Option<TenantStatus> {
    integrations.into_iter().min_by_key(|s| attention(*s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use TenantStatus::*;

    #[test]
    fn one_integration_gives_its_own_status() {
        for s in TenantStatus::ALL {
            assert_eq!(tenant_status([s]), Some(s));
        }
        assert_eq!(tenant_status([]), None);
    }

    #[test]
    fn the_integration_needing_attention_names_the_tenant() {
        assert_eq!(tenant_status([Deployed, Failed]), Some(Failed));
        assert_eq!(tenant_status([Failed, Deployed]), Some(Failed));
        assert_eq!(tenant_status([Deployed, Created]), Some(Created));
        assert_eq!(tenant_status([Deployed, LinkIssued]), Some(LinkIssued));
        assert_eq!(tenant_status([LinkIssued, Deployed]), Some(LinkIssued));
        assert_eq!(tenant_status([Deployed, Deployed]), Some(Deployed));
        assert_eq!(
            tenant_status([Failed, AwaitingApproval]),
            Some(AwaitingApproval)
        );
        assert_eq!(
            tenant_status([NeedsReconsent, Deployed]),
            Some(NeedsReconsent)
        );
        assert_eq!(tenant_status([Failed, NeedsReconsent]), Some(Failed));
        assert_eq!(tenant_status([Deployed, Offboarding]), Some(Offboarding));
        assert_eq!(tenant_status([Offboarded, Deployed]), Some(Deployed));
        assert_eq!(tenant_status([ServerCreated, Consented]), Some(Consented));
    }

    #[test]
    fn every_status_has_its_own_place() {
        let mut ranks: Vec<u8> = TenantStatus::ALL.into_iter().map(attention).collect();
        ranks.sort_unstable();
        ranks.dedup();
        assert_eq!(ranks.len(), TenantStatus::ALL.len());
    }
}
