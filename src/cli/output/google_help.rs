//! What `tenant show` says of Google's errors: the fix of each one the tenant's reasons
//! name, and the signal of a customer who went on to Google and never came back, with the
//! likely causes and their fixes.

use crate::engine::api::TenantView;

/// The lines, each starting with two spaces, after the tenant's reason.
pub fn lines(t: &TenantView) -> Vec<String> {
    let mut out = Vec::new();
    for f in &t.google_fixes {
        let about = f.integration.map(|i| format!("[{i}] ")).unwrap_or_default();
        out.push(format!("  fix:      {about}{}", f.fix));
    }
    if let Some(n) = &t.no_callback {
        let about = n.integration.map(|i| format!("[{i}] ")).unwrap_or_default();
        out.push(format!("  signal:   {about}{} (noted {})", n.detail, n.at));
        out.push("            likely causes, by Google's error code:".into());
        for c in &n.causes {
            out.push(format!("            - {}: {}", c.code, c.fix));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::google_errors::{FixContext, GoogleCode, GoogleFix, Stage, own_page_fixes};
    use crate::domain::model::Integration;
    use crate::engine::api::{NoCallbackView, fixtures};

    const REDIRECT: &str = "https://onboard.example.com/oauth/callback";

    fn cx() -> FixContext<'static> {
        FixContext {
            slug: "acme",
            integration: Integration::Gmail,
            redirect_uri: REDIRECT,
            client_id: "1234-abc.apps.googleusercontent.com",
        }
    }

    #[test]
    fn a_google_error_shows_its_fix_and_no_callback_its_likely_causes() {
        let mut t = fixtures::view("acme", "Acme Ltd");
        assert!(
            lines(&t).is_empty(),
            "nothing to say of a tenant without either"
        );
        let code = GoogleCode::new(Stage::Authorization, "invalid_scope");
        t.google_fixes = vec![GoogleFix::of(&code, None, &cx())];
        t.no_callback = Some(NoCallbackView {
            at: "2026-12-05T10:00:00Z".into(),
            at_ms: 0,
            detail: "customer continued to Google from link ab12cd34 (once), no callback \
                     before the flow expired at 2026-12-05T09:50:00Z"
                .into(),
            integration: None,
            causes: own_page_fixes(&cx()),
        });
        let text = lines(&t).join("\n");
        assert!(text.contains("  fix:      Enable the Gmail API"), "{text}");
        assert!(
            text.contains(
                "  signal:   customer continued to Google from link ab12cd34 (once), no callback"
            ),
            "{text}"
        );
        assert!(
            text.contains("            - admin_policy_enforced: "),
            "{text}"
        );
        assert!(
            text.contains("- redirect_uri_mismatch: Register exactly this URI")
                && text.contains(REDIRECT),
            "{text}"
        );
        assert!(
            text.contains("            - invalid_scope: Enable the Gmail API"),
            "{text}"
        );
    }
}
