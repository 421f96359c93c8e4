//! The callback's last decision, on the tenant as it is when the consent is stored: keep
//! the grant as its consent, keep it aside for the operator (the identity gate), or refuse
//! it.

use super::callback::Refusal;
use super::grant::{GrantFacts, decide_grant};
use crate::domain::model::{GoogleIdentity, Tenant};

/// What a callback's grant comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentDecision {
    /// The tenant's consent from now on.
    Accept {
        identity: GoogleIdentity,
        granted: Vec<String>,
    },
    /// Another Google account than the one the tenant's consent is by, with no account
    /// pinned: kept aside (its token too) until the operator approves or rejects it.
    AwaitApproval {
        identity: GoogleIdentity,
        granted: Vec<String>,
    },
    /// Not kept (given back at Google when `revoke` says so).
    Refuse(Refusal),
}

/// The identity gate: does a consent by `identity` replace the tenant's current one at
/// once? With an account pinned (`expected`), a mismatch was refused already; without one,
/// another account than the previous consent's waits for the operator.
pub fn needs_approval(tenant: &Tenant, identity: &GoogleIdentity) -> bool {
    tenant.expected.is_none()
        && tenant
            .google
            .as_ref()
            .is_some_and(|g| g.sub != identity.sub)
}

/// Decide what the grant described by `facts` comes to for `tenant` (as it is now).
pub fn decide_consent(tenant: &Tenant, facts: &GrantFacts) -> ConsentDecision {
    match decide_grant(tenant.expected.as_ref(), &tenant.scopes, facts) {
        Err(r) => ConsentDecision::Refuse(r),
        Ok(a) if needs_approval(tenant, &a.identity) => ConsentDecision::AwaitApproval {
            identity: a.identity,
            granted: a.granted,
        },
        Ok(a) => ConsentDecision::Accept {
            identity: a.identity,
            granted: a.granted,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{NewTenant, new_tenant};
    use crate::domain::model::{ExpectedAccount, FailureKind};

    fn tenant(expected: Option<&str>, consented_by: Option<&str>) -> Tenant {
        let input = NewTenant {
            slug: "acme".into(),
            expected_email: expected.map(Into::into),
            ..Default::default()
        };
        let mut t = new_tenant(&input, 1).unwrap().0;
        t.google = consented_by.map(|sub| who(sub, "old@acme.com"));
        t
    }

    fn who(sub: &str, email: &str) -> GoogleIdentity {
        GoogleIdentity {
            sub: sub.into(),
            email: Some(email.into()),
            email_verified: true,
            hd: None,
        }
    }

    fn granted(id: GoogleIdentity) -> GrantFacts {
        GrantFacts {
            kept: Default::default(),
            has_refresh_token: true,
            scopes: None,
            identity: Some(Ok(id)),
        }
    }

    #[test]
    fn a_first_consent_is_accepted() {
        let d = decide_consent(&tenant(None, None), &granted(who("1", "ann@acme.com")));
        assert!(matches!(d, ConsentDecision::Accept { identity, .. } if identity.sub == "1"));
    }

    #[test]
    fn the_same_account_again_is_accepted() {
        let d = decide_consent(&tenant(None, Some("1")), &granted(who("1", "ann@acme.com")));
        assert!(matches!(d, ConsentDecision::Accept { .. }), "{d:?}");
    }

    #[test]
    fn another_account_with_none_pinned_waits_for_the_operator() {
        let t = tenant(None, Some("1"));
        let d = decide_consent(&t, &granted(who("2", "bob@acme.com")));
        assert!(
            matches!(&d, ConsentDecision::AwaitApproval { identity, .. } if identity.sub == "2"),
            "{d:?}"
        );
        assert!(needs_approval(&t, &who("2", "bob@acme.com")));
        assert!(!needs_approval(&t, &who("1", "ann@acme.com")));
    }

    #[test]
    fn with_an_account_pinned_another_is_refused_not_kept_aside() {
        let t = tenant(Some("ann@acme.com"), Some("1"));
        assert_eq!(
            t.expected,
            Some(ExpectedAccount::Email("ann@acme.com".into()))
        );
        let d = decide_consent(&t, &granted(who("2", "bob@acme.com")));
        let ConsentDecision::Refuse(r) = d else {
            panic!("{d:?}")
        };
        assert_eq!(r.kind, Some(FailureKind::WrongAccount));
        assert!(r.revoke, "the grant was made: it goes back");
        // The pinned account itself, under a new sub: no gate (the pin decides).
        assert!(!needs_approval(&t, &who("3", "ann@acme.com")));
    }

    #[test]
    fn a_grant_without_a_refresh_token_is_refused_with_nothing_to_give_back() {
        let mut f = granted(who("1", "ann@acme.com"));
        f.has_refresh_token = false;
        let ConsentDecision::Refuse(r) = decide_consent(&tenant(None, None), &f) else {
            panic!()
        };
        assert_eq!(r.kind, Some(FailureKind::NoRefreshToken));
        assert!(!r.revoke);
    }
}
