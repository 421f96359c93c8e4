//! The identity gate per integration. Each integration of a tenant may hold a consent by
//! another Google account waiting for the operator; `approve` and `reject` act on the one
//! named, or on the only one waiting. One Google account per tenant: approving a consent by
//! a new account moves the whole tenant to it, so the tenant's other integrations holding a
//! consent by the previous account no longer count as consented: each needs a new consent
//! by the new account (`needs_reconsent`; a provisioning job of theirs on its way stops),
//! and the previous account's grant is given back at Google (unless another tenant holds a
//! consent by it).

use crate::domain::integration::Integration;
use crate::domain::model::{AuditEvent, EventKind, GoogleIdentity, Tenant, TenantStatus};
use crate::domain::provisioning::stop_job;
use crate::domain::transition::{TransitionError, event, set_status};
use crate::time::Millis;

/// Why an `approve` or `reject` has no consent to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotWaiting {
    /// Nothing waits (for the integration named, when one was).
    Nothing(TransitionError),
    /// Several wait and none was named: which, for the operator.
    Several(String),
}

/// The integrations holding a consent that waits for approval, the first first, each with
/// the account it is by.
pub fn waiting(t: &Tenant) -> Vec<(Integration, String)> {
    t.integrations()
        .into_iter()
        .filter_map(|i| {
            let p = t.facet(i)?.pending?;
            Some((i, p.identity.email.unwrap_or(p.identity.sub)))
        })
        .collect()
}

/// The integration whose waiting consent an `approve` or `reject` acts on: `asked`, or the
/// only one waiting.
pub fn which(t: &Tenant, asked: Option<Integration>) -> Result<Integration, NotWaiting> {
    let nothing = || NotWaiting::Nothing(TransitionError::NothingPending(t.slug.clone()));
    let waiting = waiting(t);
    match asked {
        Some(i) if !t.holds(i) => Err(NotWaiting::Nothing(TransitionError::NotHeld(
            t.slug.clone(),
            i,
        ))),
        Some(i) => waiting
            .iter()
            .any(|(w, _)| *w == i)
            .then_some(i)
            .ok_or_else(nothing),
        None => match waiting.as_slice() {
            [] => Err(nothing()),
            [(i, _)] => Ok(*i),
            several => Err(NotWaiting::Several(format!(
                "tenant {slug} has consents waiting for approval for {}: name one, e.g. `mcp-onboard approve {slug} --integration {}` (or `reject`)",
                several
                    .iter()
                    .map(|(i, who)| format!("{i} ({who})"))
                    .collect::<Vec<_>>()
                    .join(" and "),
                several[0].0,
                slug = t.slug
            ))),
        },
    }
}

/// The integrations besides `approved` whose consent no longer counts once `approved`'s
/// waiting consent by `new_sub` is approved: those holding one by the tenant's account now,
/// when `new_sub` is another account.
pub fn superseded(t: &Tenant, approved: Integration, new_sub: &str) -> Vec<Integration> {
    if t.google.as_ref().is_none_or(|g| g.sub == new_sub) {
        return Vec::new();
    }
    t.consented_integrations()
        .into_iter()
        .filter(|i| *i != approved)
        .collect()
}

/// The integrations besides `approved` whose refresh token, if one is stored, is by the
/// tenant's account now, once `approved`'s consent by `new_sub`, another account, is
/// approved: every other one (those [`superseded`], and those leaving or waiting for a
/// new consent, whose token stays stored until their job or their new consent). Each
/// such token goes back as the previous account's then, so that none is later taken for
/// the new account's (an offboarding's revoke step judges a token by the tenant's account).
pub fn previous_accounts(t: &Tenant, approved: Integration, new_sub: &str) -> Vec<Integration> {
    if t.google.as_ref().is_none_or(|g| g.sub == new_sub) {
        return Vec::new();
    }
    t.integrations()
        .into_iter()
        .filter(|i| *i != approved)
        .collect()
}

/// One of those integrations (as a tenant of it alone, `f`): its consent by `was` no
/// longer counts, since the tenant's account is now `now_by`, approved for `approved`.
pub fn supersede(
    f: &Tenant,
    was: &GoogleIdentity,
    now_by: &GoogleIdentity,
    approved: Integration,
    now: Millis,
) -> Result<(Tenant, Option<AuditEvent>), TransitionError> {
    let name = |g: &GoogleIdentity| g.email.clone().unwrap_or_else(|| g.sub.clone());
    let (was, now_by) = (name(was), name(now_by));
    let mut next = f.clone();
    next.updated_at = now;
    set_status(&mut next, TenantStatus::NeedsReconsent);
    next.health = None;
    let reason = format!(
        "its consent by {was} no longer counts: the tenant's Google account is now {now_by} (approved for {approved}); a new consent link asks {now_by} for it (`mcp-onboard link {slug} --integration {i}`)",
        slug = f.slug,
        i = f.integration
    );
    next.reason = Some(reason.clone());
    // Its job, if on its way, was started with the token that goes now.
    stop_job(&mut next, &reason, now);
    // While a consent of its own waits, the status says so; this is what it is beneath.
    if let Some(p) = next.pending.as_mut() {
        p.underlying = TenantStatus::NeedsReconsent;
        next.status = TenantStatus::AwaitingApproval;
    }
    let e = event(&f.slug, now, EventKind::ConsentSuperseded, reason);
    Ok((next, Some(e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::facet::apply_to;
    use crate::domain::lifecycle::{NewTenant, Transition, new_tenant};
    use Integration::{Gmail, GoogleDrive};

    fn who(sub: &str, email: &str) -> GoogleIdentity {
        GoogleIdentity {
            sub: sub.into(),
            email: Some(email.into()),
            email_verified: true,
            hd: None,
        }
    }

    /// Gmail and Drive consented by ann.
    fn both_by_ann() -> Tenant {
        let input = NewTenant {
            slug: "acme".into(),
            ..Default::default()
        };
        let mut t = new_tenant(&input, 1).unwrap().0;
        t.add_integration(GoogleDrive, 2).unwrap();
        for i in [None, Some(GoogleDrive)] {
            let c = Transition::Consented {
                identity: who("1", "ann@acme.com"),
                granted_scopes: vec![],
            };
            t = apply_to(&t, i, &c, 3).unwrap().0;
        }
        t
    }

    fn waits(t: &Tenant, i: Option<Integration>, by: GoogleIdentity) -> Tenant {
        let w = Transition::AwaitApproval {
            identity: by,
            granted_scopes: vec![],
        };
        apply_to(t, i, &w, 4).unwrap().0
    }

    #[test]
    fn the_only_one_waiting_is_taken_and_several_must_be_named() {
        let t = both_by_ann();
        assert!(matches!(which(&t, None), Err(NotWaiting::Nothing(_))));
        let t = waits(&t, Some(GoogleDrive), who("2", "bob@acme.com"));
        assert_eq!(waiting(&t), [(GoogleDrive, "bob@acme.com".into())]);
        assert_eq!(which(&t, None), Ok(GoogleDrive));
        assert_eq!(which(&t, Some(GoogleDrive)), Ok(GoogleDrive));
        assert!(matches!(
            which(&t, Some(Gmail)),
            Err(NotWaiting::Nothing(_))
        ));
        let t = waits(&t, None, who("3", "carol@acme.com"));
        let Err(NotWaiting::Several(why)) = which(&t, None) else {
            panic!("several wait")
        };
        assert!(
            why.contains("gmail (carol@acme.com) and google-drive (bob@acme.com)"),
            "{why}"
        );
        assert_eq!(which(&t, Some(Gmail)), Ok(Gmail));
    }

    #[test]
    fn a_superseded_integrations_job_on_its_way_stops_and_its_results_are_stale() {
        use crate::domain::model::ProvisionStep;
        let t = both_by_ann();
        let f = t.facet(Gmail).unwrap();
        let job = f.provision.clone().unwrap();
        assert_eq!(job.step, ProvisionStep::Connection, "on its way");
        let (next, _) = supersede(
            &f,
            &who("1", "ann@acme.com"),
            &who("2", "bob@acme.com"),
            GoogleDrive,
            5,
        )
        .unwrap();
        let stopped = next.provision.clone().unwrap();
        assert!(!stopped.step.is_active(), "{stopped:?}");
        assert!(stopped.generation > job.generation);
        // A step the provisioner had started (with the previous account's token) comes
        // back: stale, so the job can neither end deployed nor failed with it.
        let ready = Transition::ConnectionReady {
            generation: job.generation,
        };
        assert!(matches!(
            crate::domain::lifecycle::apply(&next, &ready, 6),
            Err(TransitionError::Stale(_))
        ));
        assert_eq!(next.status, TenantStatus::NeedsReconsent);
        // A new consent (by the new account) starts a fresh job.
        let again = Transition::Consented {
            identity: who("2", "bob@acme.com"),
            granted_scopes: vec![],
        };
        let (back, _) = crate::domain::lifecycle::apply(&next, &again, 7).unwrap();
        let fresh = back.provision.unwrap();
        assert_eq!(fresh.step, ProvisionStep::Connection);
        assert!(fresh.generation > stopped.generation);
        // A job done (its server deployed) is left as it is.
        let mut done = f.clone();
        if let Some(j) = done.provision.as_mut() {
            j.step = ProvisionStep::Done;
        }
        let (kept, _) = supersede(
            &done,
            &who("1", "ann@acme.com"),
            &who("2", "bob@acme.com"),
            GoogleDrive,
            5,
        )
        .unwrap();
        assert_eq!(kept.provision, done.provision);
    }

    #[test]
    fn a_new_account_leaves_the_others_to_consent_again() {
        let t = both_by_ann();
        assert_eq!(previous_accounts(&t, GoogleDrive, "2"), [Gmail]);
        assert!(previous_accounts(&t, GoogleDrive, "1").is_empty());
        assert_eq!(superseded(&t, GoogleDrive, "2"), [Gmail]);
        assert_eq!(superseded(&t, Gmail, "2"), [GoogleDrive]);
        assert!(
            superseded(&t, GoogleDrive, "1").is_empty(),
            "the same account"
        );
        let f = t.facet(Gmail).unwrap();
        let (next, e) = supersede(
            &f,
            &who("1", "ann@acme.com"),
            &who("2", "bob@acme.com"),
            GoogleDrive,
            5,
        )
        .unwrap();
        assert_eq!(next.status, TenantStatus::NeedsReconsent);
        assert!(!next.holds_consent());
        let e = e.unwrap();
        assert_eq!(e.kind, EventKind::ConsentSuperseded);
        assert!(
            e.detail.contains("ann@acme.com") && e.detail.contains("now bob@acme.com"),
            "{}",
            e.detail
        );
    }
}
