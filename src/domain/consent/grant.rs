//! After the exchange: what Google's token endpoint gave, and whether the grant is kept
//! (who signed in, with which scopes) or refused (and given back when it was made).

use super::callback::Refusal;
use super::page::Failure;
use crate::domain::google_errors::{GoogleCode, NO_REFRESH_TOKEN, Stage};
use crate::domain::model::{ExpectedAccount, FailureKind, GoogleIdentity};

/// What Google's token endpoint gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantFacts {
    pub has_refresh_token: bool,
    /// `None` when Google did not list scopes (RFC 6749: then they equal the requested).
    pub scopes: Option<Vec<String>>,
    /// The id_token's claims, or why they could not be read; `None`: no id_token.
    pub identity: Option<Result<GoogleIdentity, String>>,
    /// What the token's later refusals are classed by (see `token_facts`).
    pub kept: KeptAtConsent,
}

/// What is kept at consent beside the token, to class its later refusals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeptAtConsent {
    /// The id_token's issuer.
    pub issuer: Option<String>,
    /// The app is in Testing status (`google.app_in_testing`).
    pub testing: bool,
    /// Google's `refresh_token_expires_in` (seconds): a time-limited grant.
    pub expires_in: Option<u64>,
}

/// A grant to keep: who, and what was granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub identity: GoogleIdentity,
    pub granted: Vec<String>,
}

/// Google reports `email`/`profile` under their long names.
fn normalise_scope(s: &str) -> &str {
    match s {
        "https://www.googleapis.com/auth/userinfo.email" => "email",
        "https://www.googleapis.com/auth/userinfo.profile" => "profile",
        other => other,
    }
}

/// Requested scopes missing from the granted ones.
pub fn missing_scopes(requested: &[String], granted: &[String]) -> Vec<String> {
    requested
        .iter()
        .filter(|r| {
            !granted
                .iter()
                .any(|g| normalise_scope(g) == normalise_scope(r))
        })
        .cloned()
        .collect()
}

/// Does the signed-in account match what the operator expected? `Err` says who signed in.
pub fn check_account(
    expected: Option<&ExpectedAccount>,
    id: &GoogleIdentity,
) -> Result<(), String> {
    let email = id
        .email
        .as_deref()
        .unwrap_or("an account without an email")
        .to_ascii_lowercase();
    match expected {
        None => Ok(()),
        Some(ExpectedAccount::Email(want)) => {
            if id.email_verified && email == *want {
                Ok(())
            } else if !id.email_verified && email == *want {
                Err(format!(
                    "{email} (address not verified by Google), expected {want}"
                ))
            } else {
                Err(format!("{email}, expected {want}"))
            }
        }
        Some(ExpectedAccount::Domain(want)) => match id.hd.as_deref() {
            Some(hd) if hd.eq_ignore_ascii_case(want) => Ok(()),
            Some(hd) => Err(format!(
                "{email} of Workspace domain {hd}, expected domain {want}"
            )),
            None => Err(format!(
                "{email} (not a Workspace account), expected domain {want}"
            )),
        },
    }
}

/// After the exchange: keep the grant, or refuse it (and give it back when it was made).
pub fn decide_grant(
    expected: Option<&ExpectedAccount>,
    requested: &[String],
    g: &GrantFacts,
) -> Result<Accepted, Refusal> {
    if !g.has_refresh_token {
        let code = GoogleCode::new(Stage::Token, NO_REFRESH_TOKEN);
        return Err(Refusal::fail(
            FailureKind::NoRefreshToken,
            code.reason(None),
            Failure::NoRefreshToken,
        ));
    }
    let granted = g.scopes.clone().unwrap_or_else(|| requested.to_vec());
    let missing = missing_scopes(requested, &granted);
    if !missing.is_empty() {
        return Err(Refusal::fail(
            FailureKind::ScopeMissing,
            format!("the customer did not grant {}", missing.join(", ")),
            Failure::ScopeMissing,
        )
        .revoking());
    }
    let identity = match &g.identity {
        Some(Ok(id)) => id.clone(),
        Some(Err(e)) => {
            return Err(Refusal::fail(
                FailureKind::ExchangeFailed,
                format!("the id_token was refused: {e}"),
                Failure::ExchangeFailed,
            )
            .revoking());
        }
        None => {
            return Err(Refusal::fail(
                FailureKind::ScopeMissing,
                "Google returned no id_token (openid scope not granted)",
                Failure::ScopeMissing,
            )
            .revoking());
        }
    };
    if let Err(who) = check_account(expected, &identity)
        && let Some(expected) = expected
    {
        return Err(Refusal::fail(
            FailureKind::WrongAccount,
            format!("wrong Google account: signed in as {who}"),
            Failure::WrongAccount {
                signed_in: identity.email.clone(),
                expected: expected.clone(),
            },
        )
        .revoking());
    }
    Ok(Accepted {
        identity: GoogleIdentity {
            email: identity.email.map(|e| e.to_ascii_lowercase()),
            ..identity
        },
        granted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::GMAIL_SEND_SCOPE;
    use rstest::rstest;

    fn id(email: &str, verified: bool, hd: Option<&str>) -> GoogleIdentity {
        GoogleIdentity {
            sub: "1".into(),
            email: Some(email.into()),
            email_verified: verified,
            hd: hd.map(Into::into),
        }
    }

    fn requested() -> Vec<String> {
        ["openid", "email", "profile", GMAIL_SEND_SCOPE]
            .map(String::from)
            .to_vec()
    }

    fn facts(
        refresh: bool,
        scopes: Option<&[&str]>,
        identity: Option<Result<GoogleIdentity, String>>,
    ) -> GrantFacts {
        GrantFacts {
            kept: Default::default(),
            has_refresh_token: refresh,
            scopes: scopes.map(|s| s.iter().map(|x| (*x).to_owned()).collect()),
            identity,
        }
    }

    const LONG: [&str; 4] = [
        "openid",
        "https://www.googleapis.com/auth/userinfo.email",
        "https://www.googleapis.com/auth/userinfo.profile",
        GMAIL_SEND_SCOPE,
    ];

    #[rstest]
    #[case::all_good(facts(true, Some(&LONG), Some(Ok(id("Ann@Acme.com", true, None)))), None, None)]
    #[case::scopes_omitted_mean_requested(
        facts(true, None, Some(Ok(id("a@b.co", true, None)))),
        None,
        None
    )]
    #[case::no_refresh(facts(false, Some(&LONG), Some(Ok(id("a@b.co", true, None)))), Some(FailureKind::NoRefreshToken), Some(false))]
    #[case::scope_unticked(facts(true, Some(&LONG[..3]), Some(Ok(id("a@b.co", true, None)))), Some(FailureKind::ScopeMissing), Some(true))]
    #[case::no_id_token(facts(true, Some(&LONG), None), Some(FailureKind::ScopeMissing), Some(true))]
    #[case::bad_id_token(facts(true, Some(&LONG), Some(Err("x".into()))), Some(FailureKind::ExchangeFailed), Some(true))]
    fn grant_decisions(
        #[case] g: GrantFacts,
        #[case] kind: Option<FailureKind>,
        #[case] revoke: Option<bool>,
    ) {
        match decide_grant(None, &requested(), &g) {
            Ok(a) => {
                assert_eq!(kind, None);
                assert!(a.identity.email.unwrap().chars().all(|c| !c.is_uppercase()));
            }
            Err(r) => {
                assert_eq!(r.kind, kind);
                assert_eq!(Some(r.revoke), revoke);
            }
        }
    }

    #[test]
    fn the_wrong_account_is_refused_and_given_back() {
        let want = ExpectedAccount::Email("ann@acme.com".into());
        let r = decide_grant(
            Some(&want),
            &requested(),
            &facts(true, None, Some(Ok(id("bob@acme.com", true, None)))),
        )
        .unwrap_err();
        assert_eq!(r.kind, Some(FailureKind::WrongAccount));
        assert!(r.revoke);
        assert_eq!(
            r.page,
            Failure::WrongAccount {
                signed_in: Some("bob@acme.com".into()),
                expected: ExpectedAccount::Email("ann@acme.com".into())
            }
        );
    }

    #[test]
    fn scope_comparison_understands_googles_long_names() {
        let granted: Vec<String> = LONG[..3].iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(
            missing_scopes(&requested(), &granted),
            vec![GMAIL_SEND_SCOPE.to_owned()]
        );
        let all: Vec<String> = LONG.iter().map(|s| (*s).to_owned()).collect();
        assert!(missing_scopes(&requested(), &all).is_empty());
    }

    #[test]
    fn account_checks() {
        let want = ExpectedAccount::Email("ann@acme.com".into());
        assert!(check_account(Some(&want), &id("Ann@Acme.com", true, Some("acme.com"))).is_ok());
        assert!(
            check_account(Some(&want), &id("ann@acme.com", false, None))
                .unwrap_err()
                .contains("not verified")
        );
        assert!(check_account(Some(&want), &id("bob@acme.com", true, None)).is_err());
        let dom = ExpectedAccount::Domain("acme.com".into());
        assert!(check_account(Some(&dom), &id("x@acme.com", true, Some("acme.com"))).is_ok());
        // A personal account whose address merely ends in the domain is not a member.
        assert!(
            check_account(Some(&dom), &id("x@acme.com", true, None))
                .unwrap_err()
                .contains("not a Workspace")
        );
        assert!(check_account(None, &id("any@x.io", false, None)).is_ok());
    }
}
