//! The selected tenant's pane says the fix of the Google error its reason names, and the
//! signal of a customer who went on to Google and never came back, with the likely causes.

use super::*;
use crate::domain::google_errors::{FixContext, GoogleCode, GoogleFix, Stage, own_page_fixes};
use crate::domain::model::Integration;
use crate::engine::api::NoCallbackView;
use crate::tui::layout::cap::Extent;
use crate::tui::layout::detail;

fn whole(m: &Model) -> String {
    let d = m.shown_detail().expect("t000 shown");
    detail::rows(m, d, 100, Extent::Whole)
        .head
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_pane_gives_the_fix_and_the_no_callback_signal_with_its_causes() {
    let mut m = loaded(2);
    let cx = FixContext {
        slug: "t000",
        integration: Integration::Gmail,
        redirect_uri: "https://onboard.example.com/oauth/callback",
        client_id: "1234-abc.apps.googleusercontent.com",
    };
    let before = whole(&m);
    assert!(
        !before.contains("fix") && !before.contains("signal"),
        "{before}"
    );
    let d = m.detail.view.as_mut().expect("t000's detail is held");
    let code = GoogleCode::new(Stage::Token, "redirect_uri_mismatch");
    d.google_fixes = vec![GoogleFix::of(&code, None, &cx)];
    // The fix alone, drawn under its key with the words of the token endpoint's entry.
    let text = whole(&m);
    let fix = text
        .lines()
        .find(|l| l.trim_start().starts_with("fix"))
        .unwrap_or_else(|| panic!("no fix row in {text}"));
    assert!(
        fix.contains("Register exactly this URI under Authorized redirect URIs"),
        "{text}"
    );
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("(scheme, host, port and path as written, no trailing slash)"),
        "{text}"
    );
    let d = m.detail.view.as_mut().expect("t000's detail is held");
    d.no_callback = Some(NoCallbackView {
        at: "2026-12-05T10:00:00Z".into(),
        at_ms: 0,
        detail: "customer continued to Google from link ab12cd34 (once), no callback before \
                 the flow expired at 2026-12-05T09:50:00Z"
            .into(),
        integration: None,
        causes: own_page_fixes(&cx),
    });
    let text = whole(&m);
    assert!(text.contains("fix"), "{text}");
    assert!(
        text.contains("https://onboard.example.com/oauth/callback"),
        "{text}"
    );
    assert!(
        text.contains("no callback before the flow expired"),
        "{text}"
    );
    assert!(text.contains("admin_policy_enforced"), "{text}");
}
