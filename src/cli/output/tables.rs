//! Tables for people: left-aligned columns with a header row, long cells clipped (the
//! tenants, their links, token checks).

use super::grid::{clip, table};

const NAME_MAX: usize = 24;
const ACCOUNT_MAX: usize = 32;
const REASON_MAX: usize = 48;

/// The tenants as a table with a header row and fixed columns, as `kubectl get` prints.
pub fn tenant_table(
    tenants: &[crate::engine::api::TenantSummary],
    now: crate::time::Millis,
) -> String {
    let rows: Vec<[String; 7]> = tenants
        .iter()
        .map(|t| {
            let account = t
                .google_email
                .clone()
                .unwrap_or_else(|| match &t.expected_account {
                    Some(crate::domain::model::ExpectedAccount::Email(e)) => format!("({e})"),
                    Some(crate::domain::model::ExpectedAccount::Domain(d)) => format!("(*@{d})"),
                    None => "-".into(),
                });
            [
                t.slug.clone(),
                clip(&t.display_name, NAME_MAX),
                super::status_word::status_text(t.status, t.failure),
                super::held::column(&t.statuses),
                clip(&account, ACCOUNT_MAX),
                clip(t.reason.as_deref().unwrap_or("-"), REASON_MAX),
                crate::time::age(now, t.updated_ms),
            ]
        })
        .collect();
    table(
        &[
            "SLUG",
            "NAME",
            "STATUS",
            "INTEGRATIONS",
            "ACCOUNT",
            "REASON",
            "LAST CHANGE",
        ],
        &rows,
    )
}

/// The links as a table, newest first.
pub fn links_table(links: &[crate::engine::api::LinkSummary]) -> String {
    let head = [
        "ID",
        "STATE",
        "CREATED",
        "EXPIRES",
        "OPENS",
        "CONTINUES",
        "LAST OPENED",
    ];
    let rows: Vec<[String; 7]> = links
        .iter()
        .rev()
        .map(|l| {
            [
                l.id.clone(),
                l.state.as_str().to_owned(),
                l.created_at.clone(),
                l.expires_at.clone(),
                l.open_count.to_string(),
                l.continue_count.to_string(),
                l.opened_at.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    table(&head, &rows)
}

/// `health`: one row per tenant checked, a count by class, and the alarm if raised.
pub fn health_text(
    checks: &[crate::engine::api::HealthCheck],
    skipped: &[crate::engine::api::Skipped],
    alarm: Option<&crate::engine::api::HealthAlarm>,
) -> String {
    let mut out = String::new();
    if let Some(a) = alarm {
        out.push_str(&format!("ALARM since {}: {}\n", a.since, a.reason));
    }
    if checks.is_empty() && skipped.is_empty() {
        out.push_str("no tenant holds a consent: nothing to check\n");
        return out;
    }
    let rows: Vec<[String; 4]> = checks
        .iter()
        .map(|c| {
            [
                c.slug.clone(),
                c.health.as_str().to_owned(),
                c.status.as_str().to_owned(),
                clip(&c.reason, 100),
            ]
        })
        .collect();
    out.push_str(&table(&["SLUG", "HEALTH", "STATUS", "REASON"], &rows));
    let mut counts = std::collections::BTreeMap::new();
    for c in checks {
        *counts.entry(c.health.as_str()).or_insert(0usize) += 1;
    }
    let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    out.push_str(&format!(
        "checked {}: {}\n",
        checks.len(),
        summary.join(", ")
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{ExpectedAccount, Integration, TenantStatus};
    use crate::engine::api::TenantSummary;

    fn row(slug: &str, name: &str, status: TenantStatus, ago_s: i64) -> TenantSummary {
        TenantSummary {
            status,
            updated_ms: 1_000_000_000 - ago_s * 1000,
            ..crate::engine::api::fixtures::summary(slug, name)
        }
    }

    #[test]
    fn the_tenant_table_has_a_header_aligned_columns_and_clipped_long_cells() {
        let now = 1_000_000_000;
        let held = |integration, status| crate::engine::api::IntegrationStatus {
            integration,
            status,
            step: None,
            mcp_unreachable: false,
        };
        let mut deployed = row("acme", "Acme Corporation", TenantStatus::Deployed, 42);
        deployed.google_email = Some("ops@acme.example".into());
        deployed.statuses = vec![held(Integration::Gmail, TenantStatus::Deployed)];
        let mut failed = row(
            "globex-europe",
            "Globex Europe Holdings International Limited",
            TenantStatus::Failed,
            3 * 3600 + 5,
        );
        failed.reason = Some(
            "Blaxel refused the integration connection: the workspace quota is exhausted".into(),
        );
        failed.expected_account = Some(ExpectedAccount::Domain("globex.example".into()));
        // Its Gmail works; its Drive failed, and so reads the tenant.
        failed.statuses = vec![
            held(Integration::Gmail, TenantStatus::Deployed),
            held(Integration::GoogleDrive, TenantStatus::Failed),
        ];
        let mut linked = row("initech", "Initech", TenantStatus::LinkIssued, 9 * 60);
        linked.expected_account = Some(ExpectedAccount::Email("bill@initech.example".into()));
        let old = row("umbrella", "Umbrella", TenantStatus::Created, 3 * 86_400);
        let table = tenant_table(&[deployed, failed, linked, old], now);
        insta::assert_snapshot!(table);
        let widths: Vec<usize> = table
            .lines()
            .map(|l| l.find("STATUS").or_else(|| l.find("deployed")).unwrap_or(0))
            .take(2)
            .collect();
        assert_eq!(widths[0], widths[1], "the STATUS column lines up");
        assert!(table.contains("Globex Europe Holdings …"), "{table}");
        assert!(
            table.contains("   gmail deployed, google-drive failed   "),
            "{table}"
        );
    }
}
