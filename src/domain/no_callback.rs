//! A customer who went on to Google and never came back: from a tenant's flows that
//! expired unused (the sweep drops them), one timeline entry per link (not per flow) saying
//! so, unless a callback came back for the tenant after the link's first of them (the
//! customer pressed Continue again and came back through a later flow). Google shows some
//! errors on its own page and never redirects back; this is how we learn of them.

use std::collections::BTreeMap;

use super::integration::Integration;
use super::link::PendingFlow;
use super::model::{AuditEvent, EventKind, Tenant};
use super::offboarding::is_leaving;
use crate::time::{Millis, rfc3339};

/// Whether a callback came back for `t` (any integration) at or after `since`: a consent,
/// one waiting for approval, or a refused sign-in on the timeline.
fn came_back_since(t: &Tenant, since: Millis) -> bool {
    let mut times = vec![
        t.consented_at,
        t.refusals.last_at,
        t.pending.as_ref().map(|p| p.at),
    ];
    for a in &t.added {
        times.extend([
            a.consented_at,
            a.refusals.last_at,
            a.pending.as_ref().map(|p| p.at),
        ]);
    }
    times.into_iter().flatten().any(|at| at >= since)
}

/// The timeline entries (at `now`) for `t`'s `expired` flows, one per link and
/// integration; none for a tenant that is leaving.
pub fn no_callback_entries(t: &Tenant, expired: &[PendingFlow], now: Millis) -> Vec<AuditEvent> {
    if is_leaving(t.status) {
        return Vec::new();
    }
    // Per link: the first flow's start, the last one's expiry, how many.
    let mut by_link: BTreeMap<(&str, Option<Integration>), (Millis, Millis, usize)> =
        BTreeMap::new();
    for f in expired.iter().filter(|f| f.tenant == t.slug) {
        let e = by_link
            .entry((f.link_id.as_str(), f.integration))
            .or_insert((f.created_at, f.expires_at, 0));
        e.0 = e.0.min(f.created_at);
        e.1 = e.1.max(f.expires_at);
        e.2 += 1;
    }
    by_link
        .into_iter()
        .filter(|(_, (first, _, _))| !came_back_since(t, *first))
        .map(|((link, integration), (_, expired_at, n))| {
            let times = if n == 1 {
                "once".to_owned()
            } else {
                format!("{n} times")
            };
            AuditEvent {
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
        let entries = no_callback_entries(&acme(), &flows, 1_000_000);
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

    #[test]
    fn a_callback_after_the_first_flow_means_the_customer_came_back() {
        let mut t = acme();
        t.refusals.last_at = Some(15);
        let entries = no_callback_entries(&t, &[flow("ab", 10), flow("cd", 30)], 1_000_000);
        assert_eq!(entries.len(), 1);
        assert!(entries[0].detail.contains("link cd"));
        t.consented_at = Some(40);
        assert!(no_callback_entries(&t, &[flow("cd", 30)], 1_000_000).is_empty());
    }

    #[test]
    fn a_leaving_tenant_or_another_tenants_flow_gets_nothing() {
        let mut t = acme();
        let mut other = flow("ab", 10);
        other.tenant = "beta".into();
        assert!(no_callback_entries(&t, &[other], 1_000_000).is_empty());
        t.status = TenantStatus::Offboarded;
        assert!(no_callback_entries(&t, &[flow("ab", 10)], 1_000_000).is_empty());
    }
}
