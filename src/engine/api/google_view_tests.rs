//! What a tenant's view says of Google's errors, from the tenant and its timeline.

use super::*;
use crate::domain::google_errors::Stage;
use crate::domain::lifecycle::{NewTenant, new_tenant};
use crate::domain::model::TenantStatus;
use crate::engine::api::fixtures;
use crate::time::Millis;

fn entry(seq: u64, kind: EventKind, detail: &str) -> TimelineEntry {
    TimelineEntry {
        seq,
        at: seq as Millis * 1_000,
        tenant: "acme".into(),
        kind,
        detail: detail.into(),
        status: TenantStatus::Deployed,
        integration: None,
    }
}

fn help(t: &Tenant, events: &[TimelineEntry]) -> TenantView {
    fixtures::view("acme", "Acme Ltd").with_google_help(
        t,
        events,
        "https://onboard.example.com/oauth/callback",
        &|_| "1234-abc.apps.googleusercontent.com".to_owned(),
    )
}

fn consented() -> Tenant {
    let input = NewTenant {
        slug: "acme".into(),
        ..Default::default()
    };
    let mut t = new_tenant(&input, 1).unwrap().0;
    t.status = TenantStatus::NeedsReconsent;
    t.consented_at = Some(1_000);
    t
}

const FAILED: &str = "Google refused the authorization code (Google token endpoint: \
                      invalid_grant) (earlier consent kept)";

#[test]
fn a_failed_re_consent_gives_its_fix_from_its_timeline_entry() {
    let t = consented();
    assert_eq!(t.reason, None, "a failed re-consent sets no reason");
    let events = [
        entry(1, EventKind::Consented, "consent granted by ann@acme.com"),
        entry(2, EventKind::ConsentFailed, FAILED),
    ];
    let v = help(&t, &events);
    assert_eq!(v.google_fixes.len(), 1, "{:?}", v.google_fixes);
    assert_eq!(v.google_fixes[0].code, "invalid_grant");
    assert_eq!(v.google_fixes[0].at, Stage::Token);
    assert!(
        v.google_fixes[0].fix.contains("clock"),
        "{:?}",
        v.google_fixes
    );
}

#[test]
fn a_consent_after_the_failure_leaves_no_fix() {
    let events = [
        entry(1, EventKind::ConsentFailed, FAILED),
        entry(2, EventKind::Consented, "consent granted by ann@acme.com"),
    ];
    assert!(help(&consented(), &events).google_fixes.is_empty());
}
