//! What a security event from Google does to one integration it names (seen as a tenant of
//! it alone, its facet): the two revocations make it `needs_reconsent` (cause: revoked);
//! `account-disabled` puts it on hold (Google asks that sessions end, not that tokens be
//! dropped) and `account-enabled` lifts that; `account-credential-change-required` is
//! recorded; `sessions-revoked` and `verification` change nothing. An integration that
//! holds no grant (never consented, offboarded, its grant given back, or needing a new
//! consent already) only records it. Pure: the engine writes what this returns.

use super::health::{Health, TokenHealth};
use super::model::{AuditEvent, EventKind, Tenant, TenantStatus};
use super::risc::{RiscKind, SecurityEvent};
use super::token_facts::{FailureCause, SecurityNote};
use super::transition::set_status;
use crate::time::Millis;

/// What an event did to an integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// It needs a new consent now.
    Revoked,
    Held,
    Released,
    /// Recorded and shown.
    Recorded,
    /// Recorded only: it holds no grant to act on.
    NotActedOn,
}

/// Apply `event` to the facet `f` at `now`: the facet after, its timeline line, and what
/// was done.
pub fn act_on(f: &Tenant, event: &SecurityEvent, now: Millis) -> (Tenant, AuditEvent, Effect) {
    let mut next = f.clone();
    next.updated_at = now;
    let note = SecurityNote {
        kind: event.kind,
        at: now,
        note: event.note.clone(),
    };
    let why = event
        .note
        .as_deref()
        .map(|n| format!(" (reason: {n})"))
        .unwrap_or_default();
    let said = format!("Google's security event {}{why}", event.kind);
    let line = |detail: String| AuditEvent {
        at: now,
        tenant: f.slug.clone(),
        kind: EventKind::SecurityEvent,
        detail,
        integration: None,
    };
    let facts = next.token_facts.get_or_insert_with(|| {
        // An event about an account we hold no token facts for (none is kept before a
        // consent): its record starts here.
        super::token_facts::TokenFacts::marks_only("")
    });
    if !f.holds_consent() {
        facts.security = Some(note);
        let detail = format!(
            "{said}: recorded, not acted on (the integration holds no grant: {})",
            f.status
        );
        return (next, line(detail), Effect::NotActedOn);
    }
    let effect = match event.kind {
        RiscKind::TokensRevoked | RiscKind::TokenRevoked => {
            facts.security = Some(note);
            facts.cause = Some(FailureCause::RevokedByCustomer);
            let reason = format!(
                "{said}: the grant was revoked at Google; a new consent link brings the tenant back"
            );
            set_status(&mut next, TenantStatus::NeedsReconsent);
            next.reason = Some(reason.clone());
            next.health = Some(TokenHealth {
                checked_at: now,
                health: Health::NeedsReconsent,
                reason,
                healthy_at: f.health.as_ref().and_then(|h| h.healthy_at),
                transient_in_a_row: 0,
            });
            Effect::Revoked
        }
        RiscKind::AccountDisabled => {
            facts.security = Some(note.clone());
            facts.hold = Some(note);
            Effect::Held
        }
        RiscKind::AccountEnabled => {
            facts.security = Some(note);
            facts.hold = None;
            Effect::Released
        }
        RiscKind::AccountCredentialChangeRequired => {
            facts.security = Some(note.clone());
            facts.credential_change = Some(note);
            Effect::Recorded
        }
        RiscKind::SessionsRevoked | RiscKind::Verification => {
            facts.security = Some(note);
            Effect::Recorded
        }
    };
    let detail = match effect {
        Effect::Revoked => format!("{said}: the grant was revoked; needs a new consent"),
        Effect::Held => {
            format!("{said}: Google disabled the account; on hold until Google enables it again")
        }
        Effect::Released => format!("{said}: Google enabled the account again; hold lifted"),
        _ => format!("{said}: recorded"),
    };
    (next, line(detail), effect)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{NewTenant, new_tenant};
    use crate::domain::model::GoogleIdentity;
    use crate::domain::risc::Subject;

    fn consented() -> Tenant {
        let input = NewTenant {
            slug: "acme".into(),
            ..Default::default()
        };
        let mut t = new_tenant(&input, 1).unwrap().0;
        t.status = TenantStatus::Deployed;
        t.consented_at = Some(2);
        t.google = Some(GoogleIdentity {
            sub: "42".into(),
            email: None,
            email_verified: true,
            hd: None,
        });
        t
    }

    fn event(kind: RiscKind) -> SecurityEvent {
        SecurityEvent {
            kind,
            subject: Subject::Other,
            note: Some("hijacking".into()),
        }
    }

    #[test]
    fn each_event_does_what_google_asks_of_it() {
        let t = consented();
        let (n, e, x) = act_on(&t, &event(RiscKind::TokensRevoked), 9);
        assert_eq!(
            (n.status, x),
            (TenantStatus::NeedsReconsent, Effect::Revoked)
        );
        assert_eq!(e.kind, EventKind::SecurityEvent);
        let facts = n.token_facts.as_ref().unwrap();
        assert_eq!(facts.cause, Some(FailureCause::RevokedByCustomer));
        let (n, _, x) = act_on(&t, &event(RiscKind::AccountDisabled), 9);
        assert_eq!((n.status, x), (TenantStatus::Deployed, Effect::Held));
        assert!(n.token_facts.as_ref().unwrap().hold.is_some());
        let (n, _, x) = act_on(&n, &event(RiscKind::AccountEnabled), 10);
        assert_eq!(x, Effect::Released);
        assert!(n.token_facts.as_ref().unwrap().hold.is_none());
        let (n, _, x) = act_on(&t, &event(RiscKind::AccountCredentialChangeRequired), 9);
        assert_eq!(x, Effect::Recorded);
        assert!(n.token_facts.unwrap().credential_change.is_some());
        let mut gone = t.clone();
        gone.status = TenantStatus::Offboarded;
        let (n, e, x) = act_on(&gone, &event(RiscKind::TokensRevoked), 9);
        assert_eq!(
            (n.status, x),
            (TenantStatus::Offboarded, Effect::NotActedOn)
        );
        assert!(e.detail.contains("not acted on"), "{}", e.detail);
    }
}
