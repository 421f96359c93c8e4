//! The table, entry by entry: each error's three texts, what its fix must say, and the
//! customer's text in every language of the pages.

use rstest::rstest;

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

#[rstest]
#[case::denied(Stage::Authorization, "access_denied", &["`mcp-onboard link acme`"])]
#[case::scope(Stage::Authorization, "invalid_scope", &["enable the gmail api", "data access", "https://www.googleapis.com/auth/gmail.send"])]
#[case::client_at_sign_in(Stage::Authorization, "unauthorized_client", &["web application", "google.client_id"])]
#[case::request(Stage::Authorization, "invalid_request", &[REDIRECT, "google.auth_url"])]
#[case::response_type(Stage::Authorization, "unsupported_response_type", &["google.auth_url"])]
#[case::server_error(Stage::Authorization, "server_error", &["open the link again"])]
#[case::unavailable(Stage::Authorization, "temporarily_unavailable", &["open the link again"])]
#[case::client(Stage::Token, "invalid_client", &["google.client_secret", "google.client_id", "1234-abc.apps"])]
#[case::grant(Stage::Token, "invalid_grant", &["clock", REDIRECT])]
#[case::mismatch(Stage::Token, "redirect_uri_mismatch", &["register exactly this uri", REDIRECT])]
#[case::client_at_token(Stage::Token, "unauthorized_client", &["web application"])]
#[case::token_request(Stage::Token, "invalid_request", &["google.token_url"])]
#[case::grant_type(Stage::Token, "unsupported_grant_type", &["google.token_url"])]
#[case::no_refresh(Stage::Token, NO_REFRESH_TOKEN, &["access_type=offline", "granted this app already", "myaccount.google.com/permissions"])]
#[case::own_mismatch(Stage::GooglePage, "redirect_uri_mismatch", &["register exactly this uri", REDIRECT])]
#[case::own_client(Stage::GooglePage, "invalid_client", &["google.client_id", "1234-abc.apps"])]
#[case::unverified(Stage::GooglePage, "access_denied", &["test user", "publish"])]
#[case::admin(Stage::GooglePage, "admin_policy_enforced", &["workspace admin", "1234-abc.apps.googleusercontent.com"])]
#[case::internal(Stage::GooglePage, "org_internal", &["external"])]
#[case::useragent(Stage::GooglePage, "disallowed_useragent", &["chrome", "safari"])]
fn each_entry_has_its_three_texts_and_its_fix_says_what_it_must(
    #[case] at: Stage,
    #[case] code: &str,
    #[case] must: &[&str],
) {
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
fn every_entry_is_tested_once_and_no_code_is_listed_twice_at_one_place() {
    let mut seen = std::collections::HashSet::new();
    for e in ENTRIES {
        assert!(seen.insert((e.at, e.code)), "{} {:?} twice", e.code, e.at);
        assert!(!e.fix.is_empty() && !e.reason.is_empty());
    }
    assert_eq!(ENTRIES.len(), 20, "a new entry needs its case above");
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
    assert_eq!(GoogleCode::in_reason(&reason), Some(c));
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
    ] {
        assert!(codes.contains(&c), "{c} not among {codes:?}");
    }
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
