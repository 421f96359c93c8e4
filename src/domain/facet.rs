//! Lifecycle transitions on one integration of a tenant: every transition (consent,
//! provisioning, token checks, offboarding) applies to an integration added after the first
//! exactly as to a tenant of one, since it runs on the integration seen as a tenant of it
//! alone (its facet, [`Tenant::facet`]) and its result is written back into that
//! integration's state. The Google account stays the tenant's. Provisioning jobs are keyed
//! by [`job_key`]: the slug for a tenant's first integration, `slug/integration` for another.

use super::integration::Integration;
use super::lifecycle;
use super::model::{AuditEvent, Tenant};
use super::transition::{Transition, TransitionError};
use crate::time::Millis;

/// The provisioning job of `slug`'s `integration` (`None`: its first).
pub fn job_key(slug: &str, integration: Option<Integration>) -> String {
    match integration {
        None => slug.to_owned(),
        Some(i) => format!("{slug}/{}", i.name()),
    }
}

/// A job key's slug and integration (`None`: the first); `None` for a key naming no
/// known integration.
pub fn parse_job_key(key: &str) -> Option<(String, Option<Integration>)> {
    match key.split_once('/') {
        None => Some((key.to_owned(), None)),
        Some((slug, name)) => name.parse().ok().map(|i| (slug.to_owned(), Some(i))),
    }
}

/// Run a change `f` (a lifecycle rule) on one integration of `tenant` (`None`, or its
/// first: on the tenant itself) and write its result back; the event names an added
/// integration.
pub fn with_facet<E: From<TransitionError>>(
    tenant: &Tenant,
    integration: Option<Integration>,
    f: impl FnOnce(&Tenant) -> Result<(Tenant, Option<AuditEvent>), E>,
) -> Result<(Tenant, Option<AuditEvent>), E> {
    let Some(i) = integration.filter(|i| *i != tenant.integration) else {
        return f(tenant);
    };
    let facet = tenant
        .facet(i)
        .ok_or_else(|| TransitionError::NotHeld(tenant.slug.clone(), i))?;
    let (done, mut event) = f(&facet)?;
    let mut next = tenant.clone();
    next.merge_facet(done);
    if let Some(e) = event.as_mut() {
        e.integration = Some(i);
    }
    Ok((next, event))
}

/// Apply `t` to one integration of `tenant` (`None`: its first, as
/// [`lifecycle::apply`] does); the event names an added integration.
pub fn apply_to(
    tenant: &Tenant,
    integration: Option<Integration>,
    t: &Transition,
    now: Millis,
) -> Result<(Tenant, AuditEvent), TransitionError> {
    let (next, event) = with_facet(tenant, integration, |f| {
        lifecycle::apply(f, t, now).map(|(n, e)| (n, Some(e)))
    })?;
    let event = event.ok_or_else(|| TransitionError::Stale(tenant.slug.clone()))?;
    Ok((next, event))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{NewTenant, new_tenant};
    use crate::domain::model::{GoogleIdentity, TenantStatus};

    fn acme() -> Tenant {
        let input = NewTenant {
            slug: "acme".into(),
            ..Default::default()
        };
        new_tenant(&input, 1).unwrap().0
    }

    fn ann() -> GoogleIdentity {
        GoogleIdentity {
            sub: "111".into(),
            email: Some("ann@acme.com".into()),
            email_verified: true,
            hd: None,
        }
    }

    #[test]
    fn job_keys_name_the_integration_beyond_the_first() {
        assert_eq!(job_key("acme", None), "acme");
        assert_eq!(
            job_key("acme", Some(Integration::GoogleDrive)),
            "acme/google-drive"
        );
        assert_eq!(parse_job_key("acme"), Some(("acme".into(), None)));
        assert_eq!(
            parse_job_key("acme/google-drive"),
            Some(("acme".into(), Some(Integration::GoogleDrive)))
        );
        assert_eq!(parse_job_key("acme/nothing"), None);
    }

    #[test]
    fn a_consent_to_an_added_integration_starts_its_own_job_with_its_own_names() {
        let mut t = acme();
        t.add_integration(Integration::GoogleDrive, 2).unwrap();
        let consent = Transition::Consented {
            identity: ann(),
            granted_scopes: Integration::GoogleDrive.scopes(),
        };
        let (next, event) = apply_to(&t, Some(Integration::GoogleDrive), &consent, 3).unwrap();
        assert_eq!(event.integration, Some(Integration::GoogleDrive));
        // The first integration is untouched, the account is the tenant's.
        assert_eq!(next.status, TenantStatus::Created);
        assert!(next.provision.is_none());
        assert_eq!(next.consented_at, None);
        assert_eq!(next.google.as_ref().map(|g| g.sub.as_str()), Some("111"));
        let drive = next.added_state(Integration::GoogleDrive).unwrap();
        assert_eq!(drive.status, TenantStatus::Consented);
        assert_eq!(drive.consented_at, Some(3));
        assert_eq!(drive.added_at, 2);
        let job = drive.provision.as_ref().unwrap();
        let names = Integration::GoogleDrive.resource_names("acme").unwrap();
        assert_eq!(job.connection_name, names.connection);
        assert_eq!(job.function_name, names.function);
        let gmail = Integration::Gmail.resource_names("acme").unwrap();
        assert_ne!(job.connection_name, gmail.connection);
        assert_ne!(job.function_name, gmail.function);
        // The first's transition is the plain one.
        let (first, event) = apply_to(&next, None, &consent, 4).unwrap();
        assert_eq!(event.integration, None);
        assert_eq!(first.status, TenantStatus::Consented);
        assert_eq!(first.added, next.added);
    }

    #[test]
    fn an_integration_not_held_takes_no_transition() {
        let t = acme();
        let r = apply_to(
            &t,
            Some(Integration::GoogleDrive),
            &Transition::RetryRequested,
            2,
        );
        assert!(matches!(r, Err(TransitionError::NotHeld(..))), "{r:?}");
    }

    #[test]
    fn the_first_integrations_facet_round_trips() {
        let mut t = acme();
        t.add_integration(Integration::GoogleDrive, 2).unwrap();
        let mut back = t.clone();
        back.merge_facet(t.facet(Integration::Gmail).unwrap());
        assert_eq!(back, t);
        let mut back = t.clone();
        back.merge_facet(t.facet(Integration::GoogleDrive).unwrap());
        assert_eq!(back, t);
    }
}
