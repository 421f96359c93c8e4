//! Offboarding a tenant whole, over every integration it holds. Each integration with
//! anything at Google or Blaxel (a consent, now or before, a job, a consent waiting) goes
//! through its own offboarding job (its grant, MCP server and connection); one that never
//! had any ends `offboarded` at once. The first integration's job is the tenant's: it waits
//! until every other integration's job is done, then gives the account's grants back once
//! (unless another tenant still holds a consent by it) and, after its own Blaxel resources,
//! wipes the tenant's secrets. An integration already leaving on its own (`tenant
//! integration remove`) goes on as it was.

use super::facet::apply_to;
use super::held::left_traces;
use super::model::{AuditEvent, EventKind, Tenant, TenantStatus};
use super::transition::{Transition, TransitionError, ensure_active, event};
use crate::time::Millis;

/// Whether an integration (or a tenant) at `status` is leaving or gone.
pub fn is_leaving(status: TenantStatus) -> bool {
    matches!(status, TenantStatus::Offboarding | TenantStatus::Offboarded)
}

/// Whether `t` is being offboarded whole (its first integration's job is the tenant's).
pub fn leaving_whole(t: &Tenant) -> bool {
    is_leaving(t.status)
}

/// Start offboarding `t` whole: the tenant as it is then, and the timeline entries, the
/// first integration's first.
pub fn offboard_whole(
    t: &Tenant,
    now: Millis,
) -> Result<(Tenant, Vec<AuditEvent>), TransitionError> {
    ensure_active(t)?;
    let (mut next, first) = apply_to(t, None, &Transition::OffboardRequested, now)?;
    let mut events = vec![first];
    for s in t.added.clone() {
        let i = s.integration;
        if matches!(
            s.status,
            TenantStatus::Offboarding | TenantStatus::Offboarded
        ) {
            continue;
        }
        let facet = next
            .facet(i)
            .ok_or_else(|| TransitionError::NotHeld(t.slug.clone(), i))?;
        if left_traces(&facet) {
            let (n, e) = apply_to(&next, Some(i), &Transition::OffboardRequested, now)?;
            next = n;
            events.push(e);
            continue;
        }
        if let Some(a) = next.added.iter_mut().find(|a| a.integration == i) {
            a.status = TenantStatus::Offboarded;
        }
        let mut e = event(
            &t.slug,
            now,
            EventKind::Offboarded,
            format!(
                "{i} was never consented: nothing of it is at Google or Blaxel; offboarded with the tenant"
            ),
        );
        e.integration = Some(i);
        events.push(e);
    }
    Ok((next, events))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::held::any_traces;
    use crate::domain::integration::Integration::GoogleDrive;
    use crate::domain::lifecycle::{NewTenant, new_tenant};
    use crate::domain::model::GoogleIdentity;

    fn acme() -> Tenant {
        let input = NewTenant {
            slug: "acme".into(),
            ..Default::default()
        };
        new_tenant(&input, 1).unwrap().0
    }

    fn consented(t: &Tenant, i: Option<crate::domain::integration::Integration>) -> Tenant {
        let c = Transition::Consented {
            identity: GoogleIdentity {
                sub: "1".into(),
                email: None,
                email_verified: true,
                hd: None,
            },
            granted_scopes: vec![],
        };
        apply_to(t, i, &c, 2).unwrap().0
    }

    #[test]
    fn every_integration_with_traces_gets_its_own_job_and_the_others_end_at_once() {
        let mut t = consented(&acme(), None);
        t.add_integration(GoogleDrive, 3).unwrap();
        let (next, events) = offboard_whole(&t, 4).unwrap();
        assert_eq!(next.status, TenantStatus::Offboarding);
        assert_eq!(next.status_of(GoogleDrive), Some(TenantStatus::Offboarded));
        assert_eq!(events.len(), 2);
        assert_eq!(events[1].integration, Some(GoogleDrive));
        assert_eq!(next.summary_status(), TenantStatus::Offboarding);

        let t = consented(&t, Some(GoogleDrive));
        let (next, events) = offboard_whole(&t, 4).unwrap();
        assert_eq!(next.status_of(GoogleDrive), Some(TenantStatus::Offboarding));
        assert!(
            next.added[0]
                .provision
                .as_ref()
                .unwrap()
                .step
                .is_offboarding()
        );
        assert_eq!(events[1].kind, EventKind::OffboardRequested);
    }

    #[test]
    fn a_tenant_whose_only_consent_is_an_added_integrations_is_offboarded_whole() {
        let mut t = acme();
        t.add_integration(GoogleDrive, 2).unwrap();
        assert!(!any_traces(&t));
        assert!(matches!(
            offboard_whole(&t, 3),
            Err(TransitionError::NeverConsented(_))
        ));
        let t = consented(&t, Some(GoogleDrive));
        assert!(any_traces(&t));
        let (next, _) = offboard_whole(&t, 3).unwrap();
        // The first's job is the tenant's, though it never consented itself.
        assert!(next.provision.as_ref().unwrap().step.is_offboarding());
        assert_eq!(next.status, TenantStatus::Offboarding);
        assert_eq!(next.status_of(GoogleDrive), Some(TenantStatus::Offboarding));
    }
}
