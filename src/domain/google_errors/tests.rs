//! The table, entry by entry: each error's three texts, what its fix must say, and the
//! customer's text in every language of the pages.

use super::*;
use crate::i18n::{Lang, has_page_message};

const REDIRECT: &str = "https://onboard.example.com/oauth/callback";

fn cx(integration: Integration) -> FixContext<'static> {
    FixContext {
        slug: "acme",
        integration,
        redirect_uri: REDIRECT,
        client_id: "1234-abc.apps.googleusercontent.com",
    }
}

/// What each entry's fix must say, by where and code: every entry of the table has its
/// case here, and every case its entry.
const CASES: &[(Stage, &str, &[&str])] = &[
    (
        Stage::Authorization,
        "access_denied",
        &["`mcp-onboard link acme`"],
    ),
    (
        Stage::Authorization,
        "invalid_scope",
        &[
            "enable the gmail api",
            "data access",
            "https://www.googleapis.com/auth/gmail.send",
        ],
    ),
    (
        Stage::Authorization,
        "unauthorized_client",
        &["web application", "google.client_id"],
    ),
    (
        Stage::Authorization,
        "invalid_request",
        &[REDIRECT, "google.auth_url"],
    ),
    (
        Stage::Authorization,
        "unsupported_response_type",
        &["google.auth_url"],
    ),
    (
        Stage::Authorization,
        "server_error",
        &["open the link again"],
    ),
    (
        Stage::Authorization,
        "temporarily_unavailable",
        &["open the link again"],
    ),
    (
        Stage::Token,
        "invalid_client",
        &["google.client_secret", "google.client_id", "1234-abc.apps"],
    ),
    (Stage::Token, "invalid_grant", &["clock", REDIRECT]),
    (
        Stage::Token,
        "redirect_uri_mismatch",
        &["register exactly this uri", REDIRECT],
    ),
    (Stage::Token, "unauthorized_client", &["web application"]),
    (Stage::Token, "invalid_request", &["google.token_url"]),
    (
        Stage::Token,
        "unsupported_grant_type",
        &["google.token_url"],
    ),
    (
        Stage::Token,
        NO_REFRESH_TOKEN,
        &[
            "access_type=offline",
            "granted this app already",
            "myaccount.google.com/permissions",
        ],
    ),
    (
        Stage::GooglePage,
        "redirect_uri_mismatch",
        &["register exactly this uri", REDIRECT],
    ),
    (
        Stage::GooglePage,
        "invalid_client",
        &["google.client_id", "1234-abc.apps"],
    ),
    (
        Stage::GooglePage,
        "deleted_client",
        &["restore", "30 days", "1234-abc.apps"],
    ),
    (
        Stage::GooglePage,
        "invalid_scope",
        &[
            "enable the gmail api",
            "data access",
            "https://www.googleapis.com/auth/gmail.send",
        ],
    ),
    (
        Stage::GooglePage,
        "invalid_request",
        &["google.auth_url", REDIRECT, "1234-abc.apps"],
    ),
    (
        Stage::GooglePage,
        "access_denied",
        &["test user", "publish"],
    ),
    (
        Stage::GooglePage,
        "admin_policy_enforced",
        &["workspace admin", "1234-abc.apps.googleusercontent.com"],
    ),
    (Stage::GooglePage, "org_internal", &["external"]),
    (
        Stage::GooglePage,
        "disallowed_useragent",
        &["chrome", "safari"],
    ),
];

/// Each entry's three texts, and what its fix must say.
fn check_entry(at: Stage, code: &str, must: &[&str]) {
    let entry = lookup(at, code).unwrap_or_else(|| panic!("{code} {at:?} is not in the table"));
    let c = GoogleCode::new(at, code);
    assert!(c.known());
    let reason = c.reason(None);
    assert!(
        !entry.reason.is_empty() && reason.contains(code),
        "{reason}"
    );
    let fix = c.fix(&cx(Integration::Gmail));
    assert!(!fix.contains('{'), "a placeholder left in {fix}");
    let low = fix.to_lowercase();
    for m in must {
        assert!(
            low.contains(&m.to_lowercase()),
            "{code}: {m:?} not in {fix}"
        );
    }
    // The fix is found again from the stored reason alone.
    assert_eq!(GoogleCode::in_reason(&reason), Some(c.clone()));
    match entry.customer {
        Some(id) => {
            for lang in Lang::all() {
                assert!(has_page_message(lang, id), "{id} is not in {lang}");
            }
        }
        None => assert_eq!(at, Stage::GooglePage, "{code}: the customer sees our page"),
    }
}

#[test]
fn each_entry_has_its_case_its_three_texts_and_its_fix_says_what_it_must() {
    for e in ENTRIES {
        let (_, _, must) = CASES
            .iter()
            .find(|(at, code, _)| *at == e.at && *code == e.code)
            .unwrap_or_else(|| panic!("{} {:?} has no case in CASES", e.code, e.at));
        check_entry(e.at, e.code, must);
    }
    for (at, code, _) in CASES {
        assert!(
            lookup(*at, code).is_some(),
            "{code} {at:?} is not in the table"
        );
    }
}

#[test]
fn no_code_is_listed_twice_at_one_place() {
    let mut seen = std::collections::HashSet::new();
    for e in ENTRIES {
        assert!(seen.insert((e.at, e.code)), "{} {:?} twice", e.code, e.at);
        assert!(!e.fix.is_empty() && !e.reason.is_empty());
    }
}

#[test]
fn an_invalid_scope_for_drive_names_the_drive_api_and_its_scope() {
    let fix =
        GoogleCode::new(Stage::Authorization, "invalid_scope").fix(&cx(Integration::GoogleDrive));
    assert!(fix.contains("Google Drive API"), "{fix}");
    assert!(
        fix.contains("https://www.googleapis.com/auth/drive.file"),
        "{fix}"
    );
    assert!(!fix.contains("Gmail"), "{fix}");
}

#[test]
fn an_unknown_code_gets_the_generic_entry_naming_it() {
    let c = GoogleCode::new(Stage::Authorization, "brand_new_error");
    assert!(!c.known());
    assert_eq!(c.customer(), "google-error");
    let reason = c.reason(Some("something new"));
    assert!(reason.contains("brand_new_error") && reason.ends_with(": something new"));
    assert!(c.fix(&cx(Integration::Gmail)).contains("brand_new_error"));
    assert_eq!(c.entry().kind, FailureKind::ConsentError);
    assert_eq!(GoogleCode::in_reason(&reason), Some(c));
}

#[test]
fn an_unknown_code_from_the_token_endpoint_is_a_failed_exchange() {
    let c = GoogleCode::new(Stage::Token, "brand_new_error");
    assert!(!c.known());
    assert_eq!(c.entry().kind, FailureKind::ExchangeFailed);
    let refused = crate::domain::consent::google_refused(&c, None);
    assert_eq!(refused.kind, Some(FailureKind::ExchangeFailed));
    let own_page = GoogleCode::new(Stage::GooglePage, "brand_new_error");
    assert_eq!(own_page.entry().kind, FailureKind::ConsentError);
}

#[test]
fn a_code_from_the_query_is_cleaned_and_a_description_cannot_pose_as_the_marker() {
    let c = GoogleCode::new(Stage::Authorization, "x<script>\u{1b}[2J");
    assert_eq!(c.code, "xscript2J");
    assert_eq!(GoogleCode::new(Stage::Token, "").code, "unnamed");
    let reason = GoogleCode::new(Stage::Token, "invalid_grant")
        .reason(Some("(Google sign-in: invalid_scope)"));
    assert_eq!(
        GoogleCode::in_reason(&reason),
        Some(GoogleCode::new(Stage::Token, "invalid_grant"))
    );
    assert_eq!(GoogleCode::in_reason("code exchange failed: timeout"), None);
}

#[test]
fn the_causes_of_no_callback_are_the_errors_google_shows_on_its_own_page() {
    let causes = own_page_fixes(&cx(Integration::Gmail));
    let codes: Vec<&str> = causes.iter().map(|f| f.code.as_str()).collect();
    for c in [
        "redirect_uri_mismatch",
        "admin_policy_enforced",
        "org_internal",
        "disallowed_useragent",
        "access_denied",
        "invalid_scope",
        "invalid_request",
        "deleted_client",
    ] {
        assert!(codes.contains(&c), "{c} not among {codes:?}");
    }
    let scope = causes.iter().find(|f| f.code == "invalid_scope");
    assert!(
        scope.is_some_and(
            |f| f.fix.contains("Enable the Gmail API") && f.fix.contains("Data access")
        ),
        "{causes:?}"
    );
    assert!(causes.iter().all(|f| f.at == Stage::GooglePage));
    assert!(causes.iter().any(|f| f.fix.contains(REDIRECT)));
}

#[test]
fn the_readme_lists_every_entry() {
    let readme = include_str!("../../../README.md");
    let start = readme
        .find("## Google's errors and their fixes")
        .expect("the README has the section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    for e in ENTRIES {
        let row = section
            .lines()
            .filter(|l| l.starts_with('|') && l.contains(&format!("`{}`", e.code)))
            .find(|l| match e.at {
                Stage::Authorization => l.contains("| callback |"),
                Stage::Token => l.contains("| token endpoint |"),
                Stage::GooglePage => l.contains("| Google's page |"),
            });
        assert!(row.is_some(), "{} {:?} is not listed", e.code, e.at);
    }
}
