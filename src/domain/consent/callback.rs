//! Before the exchange: is the callback's flow still good for one (the redirect URI, the
//! sign-in window, its link), and did Google send a code or an error? And what a refusal
//! is: which failure, which page, whether a grant goes back.

use super::page::Failure;
use crate::domain::google_errors::{GoogleCode, Stage};
use crate::domain::link::Gone;
use crate::domain::model::{FailureKind, LinkState, PendingFlow};
use crate::time::Millis;

/// A callback that does not end in a stored consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `Some`: the tenant's consent failed (status `failed` unless it holds one already);
    /// `None`: only recorded on the timeline (a replay, a dead link).
    pub kind: Option<FailureKind>,
    pub reason: String,
    pub page: Failure,
    /// Give the grant back at Google (it was made but will not be kept).
    pub revoke: bool,
}

impl Refusal {
    /// A refusal that fails the tenant's consent with `kind`.
    pub fn fail(kind: FailureKind, reason: impl Into<String>, page: Failure) -> Self {
        Self {
            kind: Some(kind),
            reason: reason.into(),
            page,
            revoke: false,
        }
    }

    /// The same, and the grant is given back (it was made, and is not kept).
    pub fn revoking(mut self) -> Self {
        self.revoke = true;
        self
    }
}

/// The refusal for an error Google said (at the callback or from its token endpoint), as
/// the table words it: its failure, the tenant's reason (Google's description after the
/// code) and the customer's page.
pub fn google_refused(code: &GoogleCode, description: Option<&str>) -> Refusal {
    let entry = code.entry();
    let page = if entry.kind == FailureKind::ConsentDenied {
        Failure::Denied
    } else {
        Failure::GoogleError(code.clone())
    };
    Refusal::fail(entry.kind, code.reason(description), page)
}

/// What the callback's query carried (after duplicate parameters were dropped).
#[derive(Debug, Default, Clone)]
pub struct CallbackParams {
    /// The authorization code: a secret until it is exchanged (wiped when dropped).
    pub code: Option<secrecy::SecretString>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

pub const MAX_CODE_LEN: usize = 2048;

/// Before anything reaches Google: is this flow still good for an exchange? Returns the
/// authorization code to exchange.
pub fn before_exchange<'a>(
    flow: &PendingFlow,
    link: Option<LinkState>,
    link_id: &str,
    params: &'a CallbackParams,
    redirect_uri: &str,
    now: Millis,
) -> Result<&'a str, Refusal> {
    if flow.redirect_uri != redirect_uri {
        return Err(Refusal {
            kind: None,
            reason: "a sign-in response for another redirect URI was refused".into(),
            page: Failure::StateUnknown,
            revoke: false,
        });
    }
    if flow.expires_at <= now {
        // The sign-in window, in whole minutes (rounded up).
        let minutes = (flow.expires_at - flow.created_at + 59_999) / 60_000;
        return Err(Refusal::fail(
            FailureKind::FlowExpired,
            format!(
                "the customer came back from Google after the {minutes}-minute sign-in window; they can open the consent link again"
            ),
            Failure::FlowExpired { minutes },
        ));
    }
    // One consent per link: a second tab, or a flow started before the link was used,
    // withdrawn or superseded, stops here.
    match link {
        Some(LinkState::Active) | Some(LinkState::Expired) => {}
        Some(state) => {
            return Err(Refusal {
                kind: None,
                reason: format!(
                    "a sign-in through consent link {link_id} was refused: the link is {state}"
                ),
                page: Failure::LinkGone(Gone::from(state)),
                revoke: false,
            });
        }
        None => {
            return Err(Refusal {
                kind: None,
                reason: format!(
                    "a sign-in through consent link {link_id} was refused: the link is unknown"
                ),
                page: Failure::LinkGone(Gone::Inactive),
                revoke: false,
            });
        }
    }
    if let Some(err) = params.error.as_deref() {
        return Err(google_refused(
            &GoogleCode::new(Stage::Authorization, err),
            params.error_description.as_deref(),
        ));
    }
    params
        .code
        .as_ref()
        .map(secrecy::ExposeSecret::expose_secret)
        .filter(|c| !c.is_empty() && c.len() <= MAX_CODE_LEN)
        .ok_or_else(|| {
            Refusal::fail(
                FailureKind::MissingCode,
                "Google's response had no authorization code",
                Failure::CallbackIncomplete,
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn flow(expires_at: Millis) -> PendingFlow {
        PendingFlow {
            tenant: "acme".into(),
            link_id: "ab".into(),
            link_hash: String::new(),
            redirect_uri: "https://x/cb".into(),
            created_at: 0,
            expires_at,
            browser: String::new(),
            integration: None,
            lang: None,
        }
    }

    fn params(code: Option<&str>, error: Option<&str>) -> CallbackParams {
        CallbackParams {
            code: code.map(|c| secrecy::SecretString::from(c.to_owned())),
            error: error.map(Into::into),
            error_description: Some("desc".into()),
        }
    }

    #[rstest]
    #[case::fine(
        flow(100),
        Some(LinkState::Active),
        params(Some("c"), None),
        "https://x/cb",
        None,
        None
    )]
    #[case::link_expired_after_continue_still_fine(
        flow(100),
        Some(LinkState::Expired),
        params(Some("c"), None),
        "https://x/cb",
        None,
        None
    )]
    #[case::other_redirect(
        flow(100),
        Some(LinkState::Active),
        params(Some("c"), None),
        "https://y/cb",
        None,
        Some(Failure::StateUnknown)
    )]
    #[case::used_link(
        flow(100),
        Some(LinkState::Used),
        params(Some("c"), None),
        "https://x/cb",
        None,
        Some(Failure::LinkGone(Gone::Used))
    )]
    #[case::revoked_link(
        flow(100),
        Some(LinkState::Revoked),
        params(Some("c"), None),
        "https://x/cb",
        None,
        Some(Failure::LinkGone(Gone::Withdrawn))
    )]
    #[case::flow_expired(
        flow(5),
        Some(LinkState::Active),
        params(Some("c"), None),
        "https://x/cb",
        Some(FailureKind::FlowExpired),
        Some(Failure::FlowExpired { minutes: 1 })
    )]
    #[case::denied(
        flow(100),
        Some(LinkState::Active),
        params(None, Some("access_denied")),
        "https://x/cb",
        Some(FailureKind::ConsentDenied),
        Some(Failure::Denied)
    )]
    #[case::google_error(
        flow(100),
        Some(LinkState::Active),
        params(None, Some("server_error")),
        "https://x/cb",
        Some(FailureKind::ConsentError),
        Some(Failure::GoogleError(GoogleCode::new(Stage::Authorization, "server_error")))
    )]
    #[case::no_code(
        flow(100),
        Some(LinkState::Active),
        params(Some(""), None),
        "https://x/cb",
        Some(FailureKind::MissingCode),
        Some(Failure::CallbackIncomplete)
    )]
    fn before_exchange_decisions(
        #[case] f: PendingFlow,
        #[case] link: Option<LinkState>,
        #[case] p: CallbackParams,
        #[case] redirect: &str,
        #[case] kind: Option<FailureKind>,
        #[case] page: Option<Failure>,
    ) {
        match before_exchange(&f, link, "ab", &p, redirect, 10) {
            Ok(code) => {
                assert_eq!(page, None);
                assert_eq!(code, "c");
            }
            Err(r) => {
                assert_eq!(r.kind, kind);
                assert_eq!(Some(r.page), page);
                assert!(!r.revoke, "nothing was granted yet");
            }
        }
    }
}
