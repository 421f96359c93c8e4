//! Every page the customer can get, with made-up facts: what the snapshot tests, the
//! browser's accessibility check and a preview of the pages render.

use super::{Brand, Failure, Gone, PageKind};
use crate::domain::consent::several::Progress;
use crate::domain::google_errors::{GoogleCode, Stage};
use crate::domain::model::{ExpectedAccount, Integration};
use crate::http::brand_color::Rgb;

/// A made-up brand with every field set.
pub fn sample_brand() -> Brand {
    Brand {
        name: "Parcel AI".into(),
        google_app: "Parcel Mail Assistant".into(),
        logo_url: Some("/brand/logo".into()),
        accent: Rgb(0x0b, 0x7a, 0x75),
        support_contact: Some("help@parcel.example".into()),
        privacy_policy_url: Some("https://parcel.example/privacy".into()),
        terms_url: Some("https://parcel.example/terms".into()),
    }
}

/// Gmail's consent through a link that asks for Drive's next; `link_page`: the way back.
fn one_of_two(tenant: &str, link_page: Option<String>) -> PageKind {
    PageKind::Connected {
        tenant: tenant.to_owned(),
        email: Some("ann@example.com".into()),
        integrations: vec![Integration::Gmail],
        progress: Some(Progress {
            done: vec![Integration::Gmail],
            remaining: vec![Integration::GoogleDrive],
        }),
        link_page,
    }
}

/// Every page kind (each reason a link is gone, each kind of expected account), by name.
pub fn samples(tenant: &str) -> Vec<(&'static str, PageKind)> {
    let failed = |failure| PageKind::Failed {
        tenant: Some(tenant.to_owned()),
        failure,
    };
    let anonymous = |failure| PageKind::Failed {
        tenant: None,
        failure,
    };
    vec![
        (
            "ask",
            PageKind::Ask {
                tenant: tenant.to_owned(),
                integrations: vec![Integration::Gmail],
                account: Some(ExpectedAccount::Email("ann@example.com".into())),
                continue_path: "/c/SAMPLECODE/continue".into(),
                token: "sample-form-token".into(),
            },
        ),
        (
            "ask-drive-and-gmail",
            PageKind::Ask {
                tenant: tenant.to_owned(),
                integrations: vec![Integration::Gmail, Integration::GoogleDrive],
                account: Some(ExpectedAccount::Domain("example.com".into())),
                continue_path: "/c/SAMPLECODE/continue".into(),
                token: "sample-form-token".into(),
            },
        ),
        (
            "connected",
            PageKind::Connected {
                tenant: tenant.to_owned(),
                email: Some("ann@example.com".into()),
                integrations: vec![Integration::Gmail],
                progress: None,
                link_page: None,
            },
        ),
        (
            "connected-1-of-2",
            one_of_two(tenant, Some("/c/SAMPLECODE".into())),
        ),
        // Back without the link's own cookie: Continue was pressed on another link in the
        // same browser before Google came back.
        ("connected-1-of-2-open-link-again", one_of_two(tenant, None)),
        (
            "connected-2-of-2",
            PageKind::Connected {
                tenant: tenant.to_owned(),
                email: Some("ann@example.com".into()),
                integrations: vec![Integration::Gmail, Integration::GoogleDrive],
                progress: Some(Progress {
                    done: vec![Integration::Gmail, Integration::GoogleDrive],
                    remaining: vec![],
                }),
                link_page: None,
            },
        ),
        (
            "awaiting-approval",
            PageKind::AwaitingApproval {
                tenant: tenant.to_owned(),
                email: Some("intern@example.org".into()),
            },
        ),
        ("link-unknown", anonymous(Failure::LinkUnknown)),
        ("link-used", failed(Failure::LinkGone(Gone::Used))),
        ("link-withdrawn", failed(Failure::LinkGone(Gone::Withdrawn))),
        (
            "link-superseded",
            failed(Failure::LinkGone(Gone::Superseded)),
        ),
        ("link-expired", failed(Failure::LinkGone(Gone::Expired))),
        ("link-inactive", failed(Failure::LinkGone(Gone::Inactive))),
        ("not-configured", failed(Failure::NotConfigured)),
        ("internal", anonymous(Failure::Internal)),
        (
            "callback-incomplete",
            anonymous(Failure::CallbackIncomplete),
        ),
        ("state-unknown", anonymous(Failure::StateUnknown)),
        ("replayed", anonymous(Failure::Replayed)),
        ("flow-expired", failed(Failure::FlowExpired { minutes: 10 })),
        ("denied", failed(Failure::Denied)),
        (
            "google-error",
            failed(Failure::GoogleError(GoogleCode::new(
                Stage::Authorization,
                "brand_new_error",
            ))),
        ),
        (
            "google-setup",
            failed(Failure::GoogleError(GoogleCode::new(
                Stage::Authorization,
                "invalid_scope",
            ))),
        ),
        (
            "google-busy",
            failed(Failure::GoogleError(GoogleCode::new(
                Stage::Authorization,
                "server_error",
            ))),
        ),
        (
            "google-retry",
            failed(Failure::GoogleError(GoogleCode::new(
                Stage::Token,
                "invalid_grant",
            ))),
        ),
        ("exchange-failed", failed(Failure::ExchangeFailed)),
        ("no-refresh-token", failed(Failure::NoRefreshToken)),
        ("scope-missing", failed(Failure::ScopeMissing)),
        (
            "wrong-account",
            failed(Failure::WrongAccount {
                signed_in: Some("bob@example.org".into()),
                expected: ExpectedAccount::Email("ann@example.com".into()),
            }),
        ),
        (
            "wrong-account-domain",
            failed(Failure::WrongAccount {
                signed_in: None,
                expected: ExpectedAccount::Domain("example.com".into()),
            }),
        ),
        ("wrong-browser", failed(Failure::WrongBrowser)),
        ("continue-refused", failed(Failure::ContinueRefused)),
        ("rate-limited", anonymous(Failure::RateLimited)),
        ("not-found", anonymous(Failure::NotFound)),
        ("uri-too-long", anonymous(Failure::UriTooLong)),
        ("headers-too-large", anonymous(Failure::HeadersTooLarge)),
    ]
}
