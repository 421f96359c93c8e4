//! A tenant that failed before it consented (the customer pressed Deny, signed in with
//! another account, ...). Nothing of it exists at Google or Blaxel, so there is nothing to
//! retry; its stored status stays `failed`. What can be done instead: the customer's link
//! stays active until it expires (opening it again starts over), or a new link is issued.
//! One story for every face; each names its own way to issue a link (`n`, a command).

use super::model::{FailureKind, LinkState, TenantStatus};
use crate::time::Millis;

/// Whether a tenant in `status`, with or without a provisioning job, failed before it
/// consented.
pub fn failed_before_consent(status: TenantStatus, has_job: bool) -> bool {
    status == TenantStatus::Failed && !has_job
}

/// How a failed tenant reads: `declined` when the customer pressed Deny, else `failed`.
pub fn failed_word(failure: Option<FailureKind>) -> &'static str {
    if failure == Some(FailureKind::ConsentDenied) {
        "declined"
    } else {
        "failed"
    }
}

/// Until when the tenant's links can still be used: the last expiry among the active ones.
pub fn link_works_until(links: impl IntoIterator<Item = (LinkState, Millis)>) -> Option<Millis> {
    links
        .into_iter()
        .filter(|(state, _)| *state == LinkState::Active)
        .map(|(_, expires)| expires)
        .max()
}

/// What can be done instead of a retry; `new_link` is how this face issues a link.
pub fn instead(link_until: Option<Millis>, new_link: &str) -> String {
    match link_until {
        Some(at) => format!(
            "their link works until {}; {new_link} issues a new one",
            minute_utc(at)
        ),
        None => format!("they have no active link; {new_link} issues a new one"),
    }
}

/// Why a retry is refused, and what can be done instead.
pub fn retry_refusal(
    slug: &str,
    failure: Option<FailureKind>,
    reason: Option<&str>,
    link_until: Option<Millis>,
    new_link: &str,
) -> String {
    let what = if failure == Some(FailureKind::ConsentDenied) {
        "declined at Google".to_owned()
    } else {
        let why = reason.map(|r| format!(" ({r})")).unwrap_or_default();
        format!("failed before it consented{why}")
    };
    format!(
        "tenant {slug} {what}: nothing to retry; {}",
        instead(link_until, new_link)
    )
}

/// `2026-12-06 12:01 UTC`.
fn minute_utc(at: Millis) -> String {
    let t = crate::time::rfc3339(at);
    match (t.get(..10), t.get(11..16)) {
        (Some(day), Some(hm)) => format!("{day} {hm} UTC"),
        _ => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Millis = 86_400_000;

    #[test]
    fn only_a_failure_without_a_job_is_before_consent() {
        assert!(failed_before_consent(TenantStatus::Failed, false));
        assert!(!failed_before_consent(TenantStatus::Failed, true));
        assert!(!failed_before_consent(TenantStatus::LinkOpened, false));
    }

    #[test]
    fn the_last_active_link_says_until_when() {
        let links = [
            (LinkState::Active, 3 * DAY),
            (LinkState::Revoked, 9 * DAY),
            (LinkState::Active, 5 * DAY),
        ];
        assert_eq!(link_works_until(links), Some(5 * DAY));
        assert_eq!(link_works_until([(LinkState::Expired, DAY)]), None);
    }

    #[test]
    fn a_denied_tenant_reads_as_declined_and_its_refusal_says_what_to_do() {
        assert_eq!(failed_word(Some(FailureKind::ConsentDenied)), "declined");
        assert_eq!(failed_word(Some(FailureKind::WrongAccount)), "failed");
        let text = retry_refusal(
            "acme",
            Some(FailureKind::ConsentDenied),
            Some("the customer declined access at Google (access_denied)"),
            Some(DAY + 61_000),
            "`n`",
        );
        assert_eq!(
            text,
            "tenant acme declined at Google: nothing to retry; their link works until \
             1970-01-02 00:01 UTC; `n` issues a new one"
        );
        let text = retry_refusal(
            "acme",
            Some(FailureKind::WrongAccount),
            Some("signed in as eve@x.com"),
            None,
            "`mcp-onboard link acme`",
        );
        assert!(
            text.contains("failed before it consented (signed in as eve@x.com)")
                && text.ends_with(
                    "they have no active link; `mcp-onboard link acme` issues a new one"
                ),
            "{text}"
        );
    }
}
