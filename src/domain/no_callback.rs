//! A customer who went on to Google and never came back: from the flows that expired unused
//! (the sweep drops them, and a withdrawal ends those of its links), one timeline entry per
//! link and integration saying so, unless a callback came back for the tenant and that
//! integration after the link's first of them (the customer pressed Continue again and came
//! back through a later flow). A link is noted once: the sweep marks it
//! ([`super::link::ConsentLink::no_callback_at`]). Google shows some errors on its own page
//! and never redirects back; this is how we learn of them.

use std::collections::BTreeMap;

use super::integration::Integration;
use super::link::PendingFlow;
use super::model::{AuditEvent, EventKind, Tenant};
use super::offboarding::is_leaving;
use crate::time::{Millis, rfc3339};

/// Whether a callback came back for `t`'s `integration` (`None`: its first) at or after
/// `since`: a consent, one waiting for approval, or a refused or failed sign-in (counted
/// on the tenant whether or not it went on the timeline).
pub fn came_back_since(t: &Tenant, integration: Option<Integration>, since: Millis) -> bool {
    let times = match integration.and_then(|i| t.added.iter().find(|a| a.integration == i)) {
        Some(a) => [
            a.consented_at,
            a.refusals.latest_at,
            a.pending.as_ref().map(|p| p.at),
        ],
        None => [
            t.consented_at,
            t.refusals.latest_at,
            t.pending.as_ref().map(|p| p.at),
        ],
    };
    times.into_iter().flatten().any(|at| at >= since)
}

/// A link noted: the hex SHA-256 of its code (as its flows carry it) and its entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Noted {
    pub link_hash: String,
    pub entry: AuditEvent,
}

/// The timeline entries (at `now`) for `t`'s `expired` flows, one per link and
/// integration; none for a tenant that is leaving.
pub fn no_callback_entries(t: &Tenant, expired: &[PendingFlow], now: Millis) -> Vec<Noted> {
    if is_leaving(t.status) {
        return Vec::new();
    }
    // Per link: its code's hash, the first flow's start, the last one's expiry, how many.
    type Seen<'a> = (&'a str, Millis, Millis, usize);
    let mut by_link: BTreeMap<(&str, Option<Integration>), Seen<'_>> = BTreeMap::new();
    for f in expired.iter().filter(|f| f.tenant == t.slug) {
        let e = by_link
            .entry((f.link_id.as_str(), f.integration))
            .or_insert((f.link_hash.as_str(), f.created_at, f.expires_at, 0));
        e.1 = e.1.min(f.created_at);
        e.2 = e.2.max(f.expires_at);
        e.3 += 1;
    }
    by_link
        .into_iter()
        .filter(|((_, integration), (_, first, _, _))| !came_back_since(t, *integration, *first))
        .map(|((link, integration), (hash, _, expired_at, n))| {
            let times = if n == 1 {
                "once".to_owned()
            } else {
                format!("{n} times")
            };
            let entry = AuditEvent {
                at: now,
                tenant: t.slug.clone(),
                kind: EventKind::NoCallback,
                detail: format!(
                    "customer continued to Google from link {link} ({times}), no callback \
                     before the flow expired at {}: Google may have shown an error on its own \
                     page",
                    rfc3339(expired_at)
                ),
                integration,
            };
            Noted {
                link_hash: hash.to_owned(),
                entry,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{NewTenant, new_tenant};
    use crate::domain::model::TenantStatus;

    fn acme() -> Tenant {
        let input = NewTenant {
            slug: "acme".into(),
            ..Default::default()
        };
        new_tenant(&input, 1).unwrap().0
    }

    fn flow(link: &str, created_at: Millis) -> PendingFlow {
        PendingFlow {
            tenant: "acme".into(),
            link_id: link.into(),
            link_hash: String::new(),
            redirect_uri: String::new(),
            created_at,
            expires_at: created_at + 600_000,
            browser: String::new(),
            integration: None,
            lang: None,
        }
    }

    #[test]
    fn one_entry_per_link_however_many_flows_expired() {
        let flows = [flow("ab", 10), flow("ab", 20), flow("cd", 30)];
        let entries = events(&acme(), &flows);
        assert_eq!(entries.len(), 2, "{entries:?}");
        assert!(entries.iter().all(|e| e.kind == EventKind::NoCallback));
        assert!(
            entries[0].detail.contains("link ab (2 times)"),
            "{}",
            entries[0].detail
        );
        assert!(
            entries[1].detail.contains("link cd (once)"),
            "{}",
            entries[1].detail
        );
    }

    fn events(t: &Tenant, flows: &[PendingFlow]) -> Vec<AuditEvent> {
        no_callback_entries(t, flows, 1_000_000)
            .into_iter()
            .map(|n| n.entry)
            .collect()
    }

    #[test]
    fn a_callback_after_the_first_flow_means_the_customer_came_back() {
        let mut t = acme();
        t.refusals.latest_at = Some(15);
        let entries = events(&t, &[flow("ab", 10), flow("cd", 30)]);
        assert_eq!(entries.len(), 1);
        assert!(entries[0].detail.contains("link cd"));
        t.consented_at = Some(40);
        assert!(events(&t, &[flow("cd", 30)]).is_empty());
    }

    #[test]
    fn a_refused_sign_in_only_counted_is_a_callback_all_the_same() {
        use crate::domain::lifecycle::note_refusal;
        let mut t = acme();
        let mut refused = AuditEvent {
            at: 0,
            tenant: "acme".into(),
            kind: EventKind::CallbackRefused,
            detail: "refused".into(),
            integration: None,
        };
        assert!(
            note_refusal(&mut t, &mut refused, 5),
            "the first goes on the timeline"
        );
        // The customer pressed Continue at 10 and came back, refused, at 20: within the
        // minute of the last refusal on the timeline, so only counted.
        assert!(!note_refusal(&mut t, &mut refused, 20));
        assert!(events(&t, &[flow("ab", 10)]).is_empty());
    }

    #[test]
    fn a_callback_for_another_integration_does_not_count() {
        use crate::domain::model::Integration::GoogleDrive;
        let mut t = acme();
        t.add_integration(GoogleDrive, 2).unwrap();
        t.added[0].consented_at = Some(40);
        let entries = events(&t, &[flow("ab", 30)]);
        assert_eq!(
            entries.len(),
            1,
            "Gmail's flow had no callback: {entries:?}"
        );
        let mut drive = flow("cd", 30);
        drive.integration = Some(GoogleDrive);
        assert!(events(&t, &[drive]).is_empty(), "Drive's consent came back");
    }

    #[test]
    fn a_leaving_tenant_or_another_tenants_flow_gets_nothing() {
        let mut t = acme();
        let mut other = flow("ab", 10);
        other.tenant = "beta".into();
        assert!(events(&t, &[other]).is_empty());
        t.status = TenantStatus::Offboarded;
        assert!(events(&t, &[flow("ab", 10)]).is_empty());
    }
}
