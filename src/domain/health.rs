//! Token health: what Google's answer to a refresh says about a tenant's consent, and the
//! Google-aware warnings around it. Pure: the check itself is done by the engine.

use serde::{Deserialize, Serialize};

use crate::time::Millis;

/// What the token endpoint said to a refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshAnswer {
    /// 200 with an access token.
    Granted,
    /// Any other answer: the HTTP status and, when the body is an OAuth error, its code
    /// and description.
    Refused {
        status: u16,
        error: Option<String>,
        description: Option<String>,
    },
    /// No answer: connection refused, timeout, TLS.
    Unreachable(String),
}

/// The four classes of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// The refresh token works.
    Healthy,
    /// No verdict (network, 5xx, 429): try again later; the status never changes for it.
    Transient,
    /// Google no longer honours the token: the customer must consent again.
    NeedsReconsent,
    /// Google condemns our OAuth client, not the tenant: checks pause, one alarm is raised.
    ClientError,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Transient => "transient",
            Health::NeedsReconsent => "needs_reconsent",
            Health::ClientError => "client_error",
        }
    }
}

impl std::fmt::Display for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The likely causes of an `invalid_grant` to a refresh, as Google documents them.
pub const INVALID_GRANT_CAUSES: &str = "the customer removed the app's access, the token expired (7 days after consent while the app is in Testing, or 6 months unused), the account's password changed (Gmail scopes), or the account has more than 100 live tokens for this client (the oldest go first)";

/// Classify an answer; the reason is what an operator reads.
pub fn classify(answer: &RefreshAnswer) -> (Health, String) {
    match answer {
        RefreshAnswer::Granted => (Health::Healthy, "the refresh token works".into()),
        RefreshAnswer::Unreachable(e) => (
            Health::Transient,
            format!("could not reach Google's token endpoint: {e}"),
        ),
        RefreshAnswer::Refused {
            status,
            error,
            description,
        } => {
            let said = crate::text::clean(&match (error.as_deref(), description.as_deref()) {
                (Some(e), Some(d)) => format!("{status} {e}: {d}"),
                (Some(e), None) => format!("{status} {e}"),
                (None, _) => format!("{status}"),
            });
            match (error.as_deref(), *status) {
                (Some("invalid_grant"), _) => (
                    Health::NeedsReconsent,
                    format!(
                        "Google refused the refresh token ({said}); likely causes: {INVALID_GRANT_CAUSES}"
                    ),
                ),
                // Refusals about one customer's account, not about our client.
                (Some("admin_policy_enforced"), _) => (
                    Health::NeedsReconsent,
                    format!(
                        "the customer's Google Workspace administrator blocks this app ({said}): they must allow it, then a new consent brings the tenant back"
                    ),
                ),
                (Some("policy_enforced"), _) => (
                    Health::NeedsReconsent,
                    format!(
                        "a Google policy on the customer's account refuses this app, e.g. Advanced Protection ({said}); a new consent by an account it allows brings the tenant back"
                    ),
                ),
                (Some("invalid_client" | "unauthorized_client" | "deleted_client"), _) => (
                    Health::ClientError,
                    format!(
                        "Google refused our OAuth client ({said}): the client was deleted or its secret rotated; no tenant is to blame, checks are paused until the client works again"
                    ),
                ),
                (_, 429) | (_, 500..=599) => (
                    Health::Transient,
                    format!("Google's token endpoint is busy or failing ({said}); will try again"),
                ),
                (_, 408) => (
                    Health::Transient,
                    format!("Google's token endpoint timed out ({said}); will try again"),
                ),
                (_, 200..=299) => (
                    Health::Transient,
                    format!(
                        "Google's token endpoint answered {said} without an access token; will try again"
                    ),
                ),
                _ => (
                    Health::ClientError,
                    format!(
                        "Google's token endpoint refused the request ({said}): something is wrong with how we ask, not with the tenant; checks are paused"
                    ),
                ),
            }
        }
    }
}

/// What a tenant keeps of its last checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenHealth {
    pub checked_at: Millis,
    pub health: Health,
    pub reason: String,
    /// When the refresh token last worked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy_at: Option<Millis>,
    /// Transient answers in a row (reset by any verdict).
    #[serde(default)]
    pub transient_in_a_row: u32,
}

/// The alarm raised when Google condemns our OAuth client: token checks pause (probing
/// one tenant per round) until the client works again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthAlarm {
    pub reason: String,
    pub since: String,
}

/// The alarm once a check said `now` (`None`: the client works): raised once, its time is
/// when it was first raised.
pub fn next_alarm(raised: Option<&HealthAlarm>, now: Option<HealthAlarm>) -> Option<HealthAlarm> {
    match (raised, now) {
        (Some(old), Some(mut new)) => {
            new.since.clone_from(&old.since);
            Some(new)
        }
        (_, new) => new,
    }
}

/// Google expires the refresh tokens of an app in Testing status 7 days after consent.
pub const TESTING_TOKEN_LIFETIME_MS: Millis = 7 * 24 * 3600 * 1000;

/// When a tenant's refresh token expires, for an app in Testing status.
pub fn testing_expiry(consented_at: Millis) -> Millis {
    consented_at + TESTING_TOKEN_LIFETIME_MS
}

/// Google's limit on live refresh tokens per Google account and OAuth client.
pub const TOKENS_PER_ACCOUNT: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn refused(status: u16, error: Option<&str>) -> RefreshAnswer {
        RefreshAnswer::Refused {
            status,
            error: error.map(str::to_owned),
            description: Some("said Google".into()),
        }
    }

    #[rstest]
    #[case::granted(RefreshAnswer::Granted, Health::Healthy)]
    #[case::revoked(refused(400, Some("invalid_grant")), Health::NeedsReconsent)]
    #[case::deleted_client(refused(401, Some("invalid_client")), Health::ClientError)]
    #[case::unauthorized_client(refused(400, Some("unauthorized_client")), Health::ClientError)]
    #[case::busy(refused(429, Some("rate_limit_exceeded")), Health::Transient)]
    #[case::down(refused(503, None), Health::Transient)]
    #[case::internal(refused(500, Some("internal_failure")), Health::Transient)]
    #[case::timeout(refused(408, None), Health::Transient)]
    #[case::unreachable(RefreshAnswer::Unreachable("connection refused".into()), Health::Transient)]
    #[case::bad_request(refused(400, Some("invalid_request")), Health::ClientError)]
    #[case::deleted(refused(401, Some("deleted_client")), Health::ClientError)]
    #[case::workspace_policy(refused(400, Some("admin_policy_enforced")), Health::NeedsReconsent)]
    #[case::advanced_protection(refused(400, Some("policy_enforced")), Health::NeedsReconsent)]
    #[case::unreadable_200(refused(200, None), Health::Transient)]
    fn each_answer_has_its_class(#[case] answer: RefreshAnswer, #[case] want: Health) {
        assert_eq!(classify(&answer).0, want);
    }

    #[test]
    fn an_invalid_grant_names_the_likely_causes_and_what_google_said() {
        let (_, why) = classify(&refused(400, Some("invalid_grant")));
        assert!(why.contains("400 invalid_grant: said Google"), "{why}");
        for cause in ["removed the app's access", "7 days", "password", "100"] {
            assert!(why.contains(cause), "{why}");
        }
    }

    #[test]
    fn what_google_says_is_cleaned_before_anyone_reads_it() {
        let (_, why) = classify(&RefreshAnswer::Refused {
            status: 400,
            error: Some("invalid_grant".into()),
            description: Some("bad\u{1b}[31m red\nline".into()),
        });
        assert!(!why.contains('\u{1b}') && !why.contains('\n'), "{why:?}");
    }

    #[test]
    fn testing_tokens_live_seven_days() {
        assert_eq!(testing_expiry(1_000), 1_000 + 604_800_000);
    }
}
