//! `export`: every tenant as CSV (RFC 4180 quoting) or a JSON array (with
//! `--integration`, every tenant holding it, each row about that integration alone). For a
//! spreadsheet or a terminal by default: a cell that starts with `=`, `+`, `-`, `@`, a tab
//! or a carriage return gets a `'` before it (OWASP's rule against formula injection) and
//! terminal controls are escaped; `--raw` prints every cell as stored, for scripts. JSON is
//! never changed.

use anyhow::Result;

use super::inert::inert;
use super::instance::Instance;
use super::output::{json, print};
use crate::domain::integration::Integration;
use crate::engine::api::{ListQuery, StatusOf, TenantSummary};
use crate::engine::{Command, Reply};

/// `export`: every tenant, as CSV (`csv` wins over `as_json`) or a JSON array; `raw`:
/// cells as stored; with `integration`, a row per tenant holding it, about it alone (its
/// status and MCP URL).
pub async fn run(
    instance: &Instance,
    (csv, raw): (bool, bool),
    integration: Option<Integration>,
    as_json: bool,
) -> Result<()> {
    let query = ListQuery {
        status_of: integration.map_or(StatusOf::Tenant, StatusOf::Integration),
        ..Default::default()
    };
    let reply = instance.execute(Command::ListTenants { query }).await?;
    print_export(&reply, as_json && !csv, raw, integration)
}

/// Print the reply of the tenant listing as the export.
fn print_export(
    reply: &Reply,
    as_json: bool,
    raw: bool,
    integration: Option<Integration>,
) -> Result<()> {
    let Reply::Tenants { tenants, .. } = reply else {
        return print(reply, as_json, None);
    };
    if as_json {
        let rows: Vec<serde_json::Value> = tenants
            .iter()
            .map(|t| {
                let mut row = serde_json::json!({
                    "slug": t.slug,
                    "name": t.display_name,
                    "status": t.status,
                    "google_email": t.google_email,
                    "mcp_url": t.mcp_url,
                    "updated_at": t.updated_at,
                });
                if let Some(i) = integration {
                    row["integration"] = i.name().into();
                }
                row
            })
            .collect();
        return json(&rows);
    }
    if raw {
        print!("{}", export_csv(tenants, true));
    } else {
        print!("{}", export_csv(&inert(tenants)?, false));
    }
    Ok(())
}

/// A cell a spreadsheet would read as a formula (or whose leading tab or CR it would drop
/// and then read as one).
fn formula_like(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// The CSV `export` prints; `raw`: no `'` before formula-like cells.
pub fn export_csv(tenants: &[TenantSummary], raw: bool) -> String {
    let cell = |s: &str| -> String {
        let s = if !raw && formula_like(s) {
            format!("'{s}")
        } else {
            s.to_owned()
        };
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    };
    let mut out = String::from("slug,name,status,google_email,mcp_url,updated_at\r\n");
    for t in tenants {
        let row = [
            cell(&t.slug),
            cell(&t.display_name),
            cell(t.status.as_str()),
            cell(t.google_email.as_deref().unwrap_or("")),
            cell(t.mcp_url.as_deref().unwrap_or("")),
            cell(&t.updated_at),
        ];
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::TenantStatus;
    use crate::engine::api::fixtures::summary as row;

    #[test]
    fn the_export_is_csv_with_quoting_where_a_cell_needs_it() {
        let mut a = row("acme", "Acme, \"the\" Corp");
        a.status = TenantStatus::Deployed;
        a.google_email = Some("it@acme.example".into());
        a.mcp_url = Some("https://run.blaxel.ai/ws/functions/gmail-mcp-acme/mcp".into());
        a.updated_at = "2026-12-02T10:00:00Z".into();
        let b = row("beta", "Beta");
        let csv = export_csv(&[a, b], false);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], "slug,name,status,google_email,mcp_url,updated_at");
        assert_eq!(
            lines[1],
            "acme,\"Acme, \"\"the\"\" Corp\",deployed,it@acme.example,https://run.blaxel.ai/ws/functions/gmail-mcp-acme/mcp,2026-12-02T10:00:00Z"
        );
        assert_eq!(lines[2], "beta,Beta,created,,,");
        assert_eq!(lines[3], "", "every row ends with CRLF");
    }

    #[test]
    fn formula_like_cells_get_a_quote_unless_raw() {
        let names = [
            "=HYPERLINK(\"https://evil.example\",\"Click\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ];
        let rows: Vec<TenantSummary> = names.iter().map(|n| row("t", n)).collect();
        let csv = export_csv(&rows, false);
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let cells: Vec<String> = reader.records().map(|r| r.unwrap()[1].to_owned()).collect();
        for (cell, name) in cells.iter().zip(names) {
            assert_eq!(cell, &format!("'{name}"));
        }
        let raw = export_csv(&rows, true);
        let mut reader = csv::Reader::from_reader(raw.as_bytes());
        let cells: Vec<String> = reader.records().map(|r| r.unwrap()[1].to_owned()).collect();
        assert_eq!(cells, names);
        let plain = export_csv(&[row("t", "Acme - West"), row("t", "a=b")], false);
        assert!(
            plain.contains(",Acme - West,") && plain.contains(",a=b,"),
            "{plain}"
        );
    }
}
