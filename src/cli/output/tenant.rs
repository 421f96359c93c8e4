//! One tenant for people (`tenant show`): what it is, where its provisioning and token
//! stand, its links, and its timeline; and a tenant's status as people read it (a customer
//! who pressed Deny reads as `failed (declined)`, as the console shows it).

use crate::domain::before_consent;
use crate::domain::model::{FailureKind, TenantStatus};
use crate::engine::api::TenantView;
use crate::time::Millis;

/// A status as people read it: `failed (declined)` when the customer pressed Deny (the
/// stored status, which `--json` prints, stays `failed`), else the status itself.
pub fn status_text(status: TenantStatus, failure: Option<FailureKind>) -> String {
    let word = before_consent::failed_word(failure);
    if status == TenantStatus::Failed && word != status.as_str() {
        format!("{} ({word})", status.as_str())
    } else {
        status.as_str().to_owned()
    }
}

/// `tenant show`: the tenant, its provisioning, token and links, and its timeline.
pub fn tenant(t: &TenantView) {
    print!("{}", tenant_text(t, crate::time::now_ms()));
}

/// What `tenant show` prints, at `now`.
pub fn tenant_text(t: &TenantView, now: Millis) -> String {
    let mut out = Vec::new();
    out.push(format!("{} ({})", t.slug, t.display_name));
    out.push(format!("  status:   {}", status_text(t.status, t.failure)));
    if let Some(r) = &t.reason {
        out.push(format!("  reason:   {r}"));
    }
    // Nothing to retry before a consent: what can be done instead, as the console says.
    if before_consent::failed_before_consent(t.status, t.provisioning.is_some()) {
        let until = before_consent::link_works_until(
            t.links
                .iter()
                .filter(|l| l.expires_ms > now)
                .map(|l| (l.state, l.expires_ms)),
        );
        let new_link = format!("`mcp-onboard link {}`", t.slug);
        out.push(format!(
            "  next:     {}",
            before_consent::instead(until, &new_link)
        ));
    }
    if let Some(e) = &t.google_email {
        out.push(format!("  google:   {e}"));
    }
    if let Some(p) = &t.pending_consent {
        out.push(format!(
            "  waiting:  a consent by {} (since {}) instead of the account above: `mcp-onboard approve {}` or `mcp-onboard reject {}`",
            p.account, p.at, t.slug, t.slug
        ));
    }
    if let Some(c) = &t.contact {
        out.push(format!("  contact:  {c}"));
    }
    if let Some(u) = &t.return_url {
        out.push(format!("  returns:  {u}"));
    }
    out.push(format!("  scopes:   {}", t.requested_scopes.join(" ")));
    if let Some(url) = &t.mcp_url {
        out.push(format!("  MCP URL:  {url}"));
    }
    if let Some(p) = &t.provisioning {
        out.push(format!(
            "  blaxel:   connection {}, MCP server {}",
            p.connection_name, p.function_name
        ));
        out.push(format!(
            "            step {}, attempts {}",
            p.step.as_str(),
            p.attempts
        ));
        if let (Some(s), Some(at)) = (&p.blaxel_status, &p.blaxel_status_at) {
            out.push(format!("            last Blaxel status {s} (read {at})"));
        }
        if let Some(next) = &p.next_retry_at {
            out.push(format!("            next try {next}"));
        }
        if let Some(e) = &p.last_error {
            out.push(format!("            last error: {e}"));
        }
    }
    if let Some(tok) = &t.token {
        match (&tok.health, &tok.checked_at) {
            (Some(h), Some(at)) => out.push(format!("  token:    {h} (checked {at})")),
            _ => out.push(format!(
                "  token:    not checked yet (`mcp-onboard health {}`)",
                t.slug
            )),
        }
        if let Some(r) = tok
            .reason
            .as_ref()
            .filter(|_| tok.health != Some(crate::domain::health::Health::Healthy))
        {
            out.push(format!("            {r}"));
        }
        if tok.inconclusive_in_a_row > 0 {
            out.push(format!(
                "            {} inconclusive check(s) since",
                tok.inconclusive_in_a_row
            ));
        }
        if let Some(at) = &tok.testing_expires_at {
            out.push(format!(
                "            the app is in Testing: Google ends this token at {at} (7 days after consent)"
            ));
        }
        let n = tok.account_tokens_issued;
        if n > 1 {
            out.push(format!(
                "            {n} refresh tokens issued to us by this Google account (Google keeps at most {}; the oldest stop working beyond)",
                crate::domain::health::TOKENS_PER_ACCOUNT
            ));
        }
    }
    for l in &t.links {
        out.push(format!(
            "  link {}: {} (expires {}, opened {}x)",
            l.id,
            l.state.as_str(),
            l.expires_at,
            l.open_count
        ));
    }
    out.push("  timeline:".to_owned());
    for e in &t.events {
        out.push(format!("    {}  {}", e.at, e.detail));
    }
    out.push(String::new());
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::fixtures;
    use crate::domain::model::LinkState;
    use crate::engine::api::LinkSummary;

    const DAY: Millis = 86_400_000;

    fn declined() -> TenantView {
        let mut t = fixtures::view("acme", "Acme Ltd");
        t.status = TenantStatus::Failed;
        t.failure = Some(FailureKind::ConsentDenied);
        t.reason = Some("the customer declined access at Google (access_denied)".into());
        t.links = vec![LinkSummary {
            id: "ab12cd34".into(),
            tenant: "acme".into(),
            created_at: String::new(),
            expires_at: "1970-01-02T00:01:00Z".into(),
            expires_ms: DAY + 60_000,
            state: LinkState::Active,
            opened_at: None,
            open_count: 1,
            continue_count: 1,
        }];
        t
    }

    #[test]
    fn a_declined_tenant_reads_as_the_console_says_and_names_what_can_be_done() {
        let text = tenant_text(&declined(), 0);
        assert!(text.contains("\n  status:   failed (declined)\n"), "{text}");
        assert!(
            text.contains(
                "\n  next:     their link works until 1970-01-02 00:01 UTC; \
                 `mcp-onboard link acme` issues a new one\n"
            ),
            "{text}"
        );
        // Once the link has expired, no claim that it works.
        let text = tenant_text(&declined(), 2 * DAY);
        assert!(
            text.contains("  next:     they have no active link; `mcp-onboard link acme`"),
            "{text}"
        );
        // Another failure before consent says `failed`, and what can be done too.
        let mut t = declined();
        t.failure = Some(FailureKind::WrongAccount);
        let text = tenant_text(&t, 0);
        assert!(text.contains("  status:   failed\n"), "{text}");
        assert!(
            text.contains("  next:     their link works until"),
            "{text}"
        );
        // Other statuses read as stored.
        assert_eq!(status_text(TenantStatus::Deployed, None), "deployed");
    }

    #[test]
    fn the_tenant_list_says_declined_and_json_keeps_the_stored_status() {
        let mut row = fixtures::summary("acme", "Acme Ltd");
        row.status = TenantStatus::Failed;
        row.failure = Some(FailureKind::ConsentDenied);
        let mut other = fixtures::summary("beta", "Beta");
        other.status = TenantStatus::Failed;
        other.failure = Some(FailureKind::WrongAccount);
        let table = super::super::tables::tenant_table(&[row.clone(), other], 0);
        let line = |slug: &str| {
            table
                .lines()
                .find(|l| l.starts_with(slug))
                .unwrap_or_default()
                .to_owned()
        };
        assert!(line("acme").contains("failed (declined)"), "{table}");
        assert!(
            line("beta").contains("failed") && !line("beta").contains("declined"),
            "{table}"
        );
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["status"], "failed");
        assert_eq!(json["failure"], "consent_denied");
    }
}
