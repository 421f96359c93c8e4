//! One tenant for people (`tenant show`): what it is, where its provisioning and token
//! stand (for each of its integrations when it holds several), its links, and its
//! timeline.

use super::held;
use super::status_word::status_text;
use crate::domain::{before_consent, standing};
use crate::engine::api::TenantView;
use crate::time::Millis;

/// `tenant show`: the tenant, its provisioning, token and links, and its timeline.
pub fn tenant(t: &TenantView) {
    print!("{}", tenant_text(t, crate::time::now_ms()));
}

/// The lines of a tenant of one integration about it: scopes, MCP URL, job and token.
fn own_integration(t: &TenantView) -> Vec<String> {
    let mut out = vec![format!("  scopes:   {}", t.requested_scopes.join(" "))];
    if let Some(url) = &t.mcp_url {
        out.push(format!("  MCP URL:  {url}"));
    }
    let mcp = super::mcp_text::mcp_values(t.mcp.as_ref(), t.mcp_url.as_deref(), &t.slug);
    if let Some(values) = mcp {
        out.extend(held::field("  ", "MCP:", 10, values));
    }
    if let Some(p) = &t.provisioning {
        out.extend(held::field("  ", "blaxel:", 10, held::job(p)));
    }
    if let Some(tok) = &t.token {
        out.extend(held::field("  ", "token:", 10, held::token(tok, &t.slug)));
    }
    out
}

/// What `tenant show` prints, at `now`.
pub fn tenant_text(t: &TenantView, now: Millis) -> String {
    let mut out = Vec::new();
    out.push(format!("{} ({})", t.slug, t.display_name));
    out.push(format!("  status:   {}", status_text(t.status, t.failure)));
    if let Some(r) = &t.reason {
        out.push(format!("  reason:   {r}"));
    }
    out.extend(super::google_help::lines(t));
    // Nothing to retry before a consent: what can be done instead, as the console says.
    if standing::failed_before_consent(t.status, &t.standings()) {
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
    // A tenant of several integrations says each one's consent, job and token in its
    // block; one of a single integration says them as its own.
    let blocks = held::in_blocks(t);
    if let Some(p) = t.pending_consent.as_ref().filter(|_| !blocks) {
        let text = held::waiting(&p.account, &p.at, &t.slug, None);
        out.push(format!("  waiting:  {text}"));
    }
    if let Some(c) = &t.contact {
        out.push(format!("  contact:  {c}"));
    }
    if let Some(to) = &t.mail_to {
        out.push(format!("  mail to:  {to}"));
    }
    if let Some(m) = &t.last_mail {
        let at = crate::time::for_people(m.at, &crate::time::local_zone());
        out.push(format!("  mailed:   {at}: {}", m.detail()));
    }
    if let Some(u) = &t.return_url {
        out.push(format!("  returns:  {u}"));
    }
    if blocks {
        out.extend(held::blocks(t));
    } else {
        out.extend(own_integration(t));
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
        let about = e.integration.map(|i| format!("[{i}] ")).unwrap_or_default();
        out.push(format!("    {}  {about}{}", e.at, e.detail));
    }
    out.push(String::new());
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{FailureKind, LinkState, TenantStatus};
    use crate::engine::api::LinkSummary;
    use crate::engine::api::fixtures;

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
    fn a_timeline_entry_about_an_added_integration_names_it() {
        let mut t = declined();
        let entry = |integration| crate::engine::api::EventView {
            seq: 1,
            at: "2026-12-01T00:00:00Z".into(),
            kind: crate::domain::model::EventKind::Consented,
            detail: "consent granted".into(),
            status: None,
            integration,
        };
        t.events = vec![
            entry(None),
            entry(Some(crate::domain::model::Integration::GoogleDrive)),
        ];
        let text = tenant_text(&t, 0);
        assert!(
            text.contains("\n    2026-12-01T00:00:00Z  consent granted\n"),
            "{text}"
        );
        assert!(
            text.contains("\n    2026-12-01T00:00:00Z  [google-drive] consent granted\n"),
            "{text}"
        );
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

    /// acme holding Gmail at `gmail` and Drive at `drive` (each with a job or not), its
    /// status their summary, its link active.
    fn two(
        gmail: (TenantStatus, Option<crate::domain::model::ProvisionStep>),
        drive: (TenantStatus, Option<crate::domain::model::ProvisionStep>),
    ) -> TenantView {
        use crate::domain::model::Integration::{Gmail, GoogleDrive};
        use crate::engine::api::IntegrationStatus;
        let mut t = declined();
        t.failure = None;
        t.status = crate::domain::summary::tenant_status([gmail.0, drive.0]).unwrap();
        t.statuses = [(Gmail, gmail), (GoogleDrive, drive)]
            .map(|(integration, (status, step))| IntegrationStatus {
                integration,
                status,
                step,
                mcp_unreachable: false,
            })
            .to_vec();
        t
    }

    #[test]
    fn a_tenant_of_several_says_next_only_when_each_failure_came_before_its_consent() {
        use crate::domain::model::ProvisionStep::{Done, Stopped};
        // Gmail never consented, Drive's job stopped: `retry acme` runs it, no new link.
        let t = two(
            (TenantStatus::Created, None),
            (TenantStatus::Failed, Some(Stopped)),
        );
        let text = tenant_text(&t, 0);
        assert!(!text.contains("next:"), "{text}");
        // Gmail works, Drive declined: nothing to retry, a link is what helps.
        let t = two(
            (TenantStatus::Deployed, Some(Done)),
            (TenantStatus::Failed, None),
        );
        let text = tenant_text(&t, 0);
        assert!(
            text.contains("\n  next:     their link works until 1970-01-02 00:01 UTC"),
            "{text}"
        );
    }
}
