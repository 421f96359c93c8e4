//! What the CLI says about a tenant's integrations: in `tenant list`, their names (each
//! with its own status when it holds several); in `tenant show`, for a tenant holding
//! several, a block each (status, reason, a consent waiting for approval, consent time, MCP
//! URL, Blaxel connection and server, token health); and the lines about one integration's
//! job and token, which a tenant of one integration shows as its own.

use crate::domain::model::Integration;
use crate::engine::api::{
    IntegrationStatus, IntegrationView, ProvisionView, TenantView, TokenView,
};

/// `tenant list`'s cell: `gmail`, or `gmail deployed, google-drive link_issued` (the
/// tenant's status is their summary); `-` from an owner that does not say.
pub fn column(statuses: &[IntegrationStatus]) -> String {
    match statuses {
        [] => "-".to_owned(),
        [one] => one.integration.to_string(),
        several => several
            .iter()
            .map(|s| format!("{} {}", s.integration, s.status))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// `key` and its values, one a line: the key in `width` columns after `pad`, each further
/// value under the first.
pub fn field(pad: &str, key: &str, width: usize, values: Vec<String>) -> Vec<String> {
    let under = " ".repeat(pad.len() + width);
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| match i {
            0 => format!("{pad}{key:<width$}{v}"),
            _ => format!("{under}{v}"),
        })
        .collect()
}

/// A job's Blaxel resources, step and last error, as values of one field.
pub fn job(p: &ProvisionView) -> Vec<String> {
    let mut out = vec![
        format!(
            "connection {}, MCP server {}",
            p.connection_name, p.function_name
        ),
        format!("step {}, attempts {}", p.step.as_str(), p.attempts),
    ];
    if let (Some(s), Some(at)) = (&p.blaxel_status, &p.blaxel_status_at) {
        out.push(format!("last Blaxel status {s} (read {at})"));
    }
    if let Some(next) = &p.next_retry_at {
        out.push(format!("next try {next}"));
    }
    if let Some(e) = &p.last_error {
        out.push(format!("last error: {e}"));
    }
    out
}

/// A refresh token's health, as values of one field.
pub fn token(tok: &TokenView, slug: &str) -> Vec<String> {
    let mut out = vec![match (&tok.health, &tok.checked_at) {
        (Some(h), Some(at)) => format!("{h} (checked {at})"),
        _ => format!("not checked yet (`mcp-onboard health {slug}`)"),
    }];
    if let Some(r) = tok
        .reason
        .as_ref()
        .filter(|_| tok.health != Some(crate::domain::health::Health::Healthy))
    {
        out.push(r.clone());
    }
    if tok.inconclusive_in_a_row > 0 {
        out.push(format!(
            "{} inconclusive check(s) since",
            tok.inconclusive_in_a_row
        ));
    }
    if let Some(at) = &tok.testing_expires_at {
        out.push(format!(
            "the app is in Testing: Google ends this token at {at} (7 days after consent)"
        ));
    }
    let f = &tok.facts;
    if let Some(c) = &f.cause_text {
        out.push(format!("likely cause of the refusal: {c}"));
    }
    if let Some(since) = &f.on_hold_since {
        out.push(format!(
            "ON HOLD since {since}: Google disabled the account (security event account-disabled)"
        ));
    }
    if let Some(at) = &f.credential_change_at {
        out.push(format!(
            "Google asked for the account's credentials to change ({at})"
        ));
    }
    if let Some(e) = &f.security_event {
        out.push(format!(
            "last security event from Google: {} ({})",
            e.kind, e.at
        ));
    }
    let n = tok.account_tokens_issued;
    if n > 1 {
        out.push(format!(
            "{n} refresh tokens issued to us by this Google account (Google keeps at most {}; the oldest stop working beyond)",
            crate::domain::health::TOKENS_PER_ACCOUNT
        ));
    }
    out
}

/// A consent waiting for approval and the commands that take it: the tenant's `approve` and
/// `reject`, naming the integration (`named`) when several wait.
pub fn waiting(account: &str, at: &str, slug: &str, named: Option<Integration>) -> String {
    let which = named
        .map(|i| format!(" --integration {i}"))
        .unwrap_or_default();
    format!(
        "a consent by {account} (since {at}) instead of the account above: `mcp-onboard approve {slug}{which}` or `mcp-onboard reject {slug}{which}`"
    )
}

/// Whether `tenant show` lists a block per integration (the tenant holds several).
pub fn in_blocks(t: &TenantView) -> bool {
    t.integrations.len() > 1
}

/// The `integrations:` section: a block each, its first first (its job in full).
pub fn blocks(t: &TenantView) -> Vec<String> {
    let mut out = vec!["  integrations:".to_owned()];
    for (i, v) in t.integrations.iter().enumerate() {
        let first = i == 0;
        out.extend(block(
            t,
            v,
            first.then_some(t.provisioning.as_ref()).flatten(),
        ));
    }
    out
}

fn block(t: &TenantView, v: &IntegrationView, job_of_first: Option<&ProvisionView>) -> Vec<String> {
    const PAD: &str = "      ";
    const WIDTH: usize = 11;
    let mut out = vec![format!(
        "    {}: {}",
        v.integration,
        super::status_word::status_text(v.status, v.failure)
    )];
    let mut put = |key: &str, values: Vec<String>| out.extend(field(PAD, key, WIDTH, values));
    if let Some(r) = &v.reason {
        put("reason:", vec![r.clone()]);
    }
    if let Some(p) = &v.pending_consent {
        let named = t.to_name_for_approval(v.integration);
        put("waiting:", vec![waiting(&p.account, &p.at, &t.slug, named)]);
    }
    if let Some(at) = &v.consented_at {
        put("consented:", vec![at.clone()]);
    }
    put("scopes:", vec![v.requested_scopes.join(" ")]);
    if let Some(url) = &v.mcp_url {
        put("MCP URL:", vec![url.clone()]);
    }
    if let Some(values) = super::mcp_text::mcp_values(v.mcp.as_ref(), v.mcp_url.as_deref(), &t.slug)
    {
        put("MCP:", values);
    }
    match (job_of_first, &v.connection, &v.function) {
        (Some(p), _, _) => put("blaxel:", job(p)),
        (None, Some(c), Some(f)) => put("blaxel:", vec![format!("connection {c}, MCP server {f}")]),
        _ => {}
    }
    if let Some(tok) = &v.token {
        put("token:", token(tok, &t.slug));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{FailureKind, Integration, ProvisionStep, TenantStatus};
    use crate::engine::api::fixtures;

    fn view(i: Integration, status: TenantStatus) -> IntegrationView {
        IntegrationView {
            integration: i,
            status,
            failure: None,
            reason: None,
            requested_scopes: i.scopes(),
            granted_scopes: Vec::new(),
            consented_at: None,
            consented_ms: None,
            token: None,
            pending_consent: None,
            connection: None,
            function: None,
            mcp_url: None,
            mcp: None,
        }
    }

    /// acme: Gmail deployed, Drive declined.
    fn acme() -> TenantView {
        let mut t = fixtures::view("acme", "Acme Ltd");
        t.status = TenantStatus::Failed;
        t.mcp_url = Some("https://run.example/gmail-mcp-acme/mcp".into());
        t.provisioning = Some(ProvisionView {
            step: ProvisionStep::Done,
            connection_name: "gmail-acme".into(),
            function_name: "gmail-mcp-acme".into(),
            attempts: 0,
            next_retry_at: None,
            next_attempt_ms: None,
            last_error: None,
            failed_step: None,
            blaxel_status: None,
            blaxel_status_at: None,
            blaxel_status_ms: None,
        });
        t.token = Some(crate::engine::api::token_view(None, Some(1), false).unwrap());
        let mut gmail = view(Integration::Gmail, TenantStatus::Deployed);
        gmail.consented_at = Some("2026-12-01T00:00:00Z".into());
        gmail.mcp_url = t.mcp_url.clone();
        gmail.connection = Some("gmail-acme".into());
        gmail.function = Some("gmail-mcp-acme".into());
        gmail.token = t.token.clone();
        let mut drive = view(Integration::GoogleDrive, TenantStatus::Failed);
        drive.failure = Some(FailureKind::ConsentDenied);
        drive.reason = Some("the customer declined access at Google".into());
        t.integrations = vec![gmail, drive];
        t
    }

    #[test]
    fn a_tenant_of_several_integrations_shows_a_block_each() {
        let text = super::super::tenant::tenant_text(&acme(), 0);
        let block = "
  integrations:
    gmail: deployed
      consented: 2026-12-01T00:00:00Z
      scopes:    openid email profile https://www.googleapis.com/auth/gmail.send
      MCP URL:   https://run.example/gmail-mcp-acme/mcp
      MCP:       not checked yet (`mcp-onboard health acme`)
      blaxel:    connection gmail-acme, MCP server gmail-mcp-acme
                 step done, attempts 0
      token:     not checked yet (`mcp-onboard health acme`)
    google-drive: failed (declined)
      reason:    the customer declined access at Google
      scopes:    openid email profile https://www.googleapis.com/auth/drive.file
";
        assert!(text.contains(block), "{text}");
        // Nothing about the first integration alone is said as if it were the tenant's.
        assert!(!text.contains("\n  MCP URL:"), "{text}");
        assert!(!text.contains("\n  scopes:"), "{text}");
    }

    #[test]
    fn a_tenant_of_one_integration_says_its_job_and_token_as_its_own() {
        let mut t = acme();
        t.integrations.truncate(1);
        let text = super::super::tenant::tenant_text(&t, 0);
        assert!(!text.contains("integrations:"), "{text}");
        let own = "
  scopes:   
  MCP URL:  https://run.example/gmail-mcp-acme/mcp
  MCP:      not checked yet (`mcp-onboard health acme`)
  blaxel:   connection gmail-acme, MCP server gmail-mcp-acme
            step done, attempts 0
  token:    not checked yet (`mcp-onboard health acme`)
";
        assert!(text.contains(own), "{text}");
    }

    #[test]
    fn the_last_mcp_check_is_shown_with_its_tools_or_its_error() {
        use crate::domain::mcp_health::{McpOutcome, record};
        let outcome = |result| McpOutcome {
            url: "https://run.example/gmail-mcp-acme/mcp".into(),
            elapsed_ms: 42,
            result,
        };
        let mut t = acme();
        let ok = record(None, outcome(Ok(vec!["send_email".into()])), 0, 3).0;
        t.integrations[0].mcp = Some(crate::engine::api::McpView::of(&ok));
        let text = super::super::tenant::tenant_text(&t, 0);
        assert!(
            text.contains(
                "      MCP:       usable, 1 tools in 42 ms (1970-01-01T00:00:00Z): send_email\n"
            ),
            "{text}"
        );
        let down = record(None, outcome(Err("HTTP 503".into())), 0, 1).0;
        t.integrations.truncate(1);
        t.mcp = Some(crate::engine::api::McpView::of(&down));
        let text = super::super::tenant::tenant_text(&t, 0);
        assert!(
            text.contains(
                "  MCP:      UNREACHABLE (1 in a row, last 1970-01-01T00:00:00Z): HTTP 503\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn the_list_names_each_integration_with_its_status_when_several() {
        let held = |integration, status| IntegrationStatus {
            integration,
            status,
            step: None,
            mcp_unreachable: false,
        };
        assert_eq!(column(&[]), "-");
        assert_eq!(
            column(&[held(Integration::Gmail, TenantStatus::Deployed)]),
            "gmail"
        );
        assert_eq!(
            column(&[
                held(Integration::Gmail, TenantStatus::Deployed),
                held(Integration::GoogleDrive, TenantStatus::LinkIssued),
            ]),
            "gmail deployed, google-drive link_issued"
        );
    }

    #[test]
    fn a_consent_waiting_for_an_added_integration_says_which_commands_take_it() {
        let mut t = acme();
        t.status = TenantStatus::AwaitingApproval;
        let waiting = crate::engine::api::PendingView {
            account: "bob@acme.com".into(),
            sub: "2".into(),
            at: "2026-12-02T00:00:00Z".into(),
            underlying: TenantStatus::Created,
        };
        t.integrations[1].pending_consent = Some(waiting.clone());
        let text = super::super::tenant::tenant_text(&t, 0);
        assert!(
            text.contains(
                "      waiting:   a consent by bob@acme.com (since 2026-12-02T00:00:00Z) instead \
                 of the account above: `mcp-onboard approve acme` or `mcp-onboard reject acme`"
            ),
            "{text}"
        );
        // Both wait: each names its integration, as `approve` asks then.
        t.integrations[0].pending_consent = Some(waiting);
        let text = super::super::tenant::tenant_text(&t, 0);
        for name in ["gmail", "google-drive"] {
            assert!(
                text.contains(&format!(
                    "`mcp-onboard approve acme --integration {name}` or \
                     `mcp-onboard reject acme --integration {name}`"
                )),
                "{text}"
            );
        }
    }

    #[test]
    fn a_token_says_its_likely_cause_a_hold_and_googles_last_event() {
        use crate::domain::risc::RiscKind;
        use crate::domain::token_facts::{FailureCause, SecurityNote, TokenFacts};
        let mut facts = TokenFacts::marks_only("1//0gExampleToken-abcdef");
        facts.cause = Some(FailureCause::Evicted);
        let note = SecurityNote {
            kind: RiscKind::AccountDisabled,
            at: 1,
            note: None,
        };
        facts.hold = Some(note.clone());
        facts.security = Some(note);
        let tok = crate::engine::api::token_view(None, Some(1), false)
            .unwrap()
            .with_facts(Some(&facts));
        let lines = token(&tok, "acme").join("\n");
        assert!(
            lines.contains("likely cause of the refusal: evicted"),
            "{lines}"
        );
        assert!(
            lines.contains("ON HOLD since 1970-01-01T00:00:00"),
            "{lines}"
        );
        assert!(
            lines.contains("last security event from Google: account-disabled"),
            "{lines}"
        );
    }
}
