//! Fixtures for the console's view tests of MCP checks: a deployed tenant whose server
//! listed its tools, and one holding two integrations whose Drive server is unreachable.

use mcp_onboard::domain::model::Integration;
use mcp_onboard::engine::api::McpView;
use mcp_onboard::tui::model::Model;
use mcp_onboard::tui::update::set_rows;

use super::{DRIVE_URL, MCP_URL, NOW, both_deployed, deployed, select};

/// A check of the server at `url`, listing `tools`, or failed `failures` times in a row.
pub fn mcp_check(url: &str, tools: &[&str], failures: u32) -> McpView {
    let usable = failures == 0;
    McpView {
        url: url.into(),
        usable,
        tools: tools.iter().map(|t| (*t).to_owned()).collect(),
        elapsed_ms: 212,
        checked_at: "2026-12-01T09:55:00Z".into(),
        checked_ms: NOW - 300_000,
        error: (!usable).then(|| {
            "the MCP server answered HTTP 404 WORKLOAD_UNAVAILABLE: function is not reachable"
                .to_owned()
        }),
        failures,
        unreachable: failures >= 3,
        unreachable_since: (failures >= 3).then(|| "2026-12-01T09:45:00Z".into()),
        usable_at: Some("2026-12-01T09:00:00Z".into()),
    }
}

/// betamax deployed; its server listed Gmail's tools.
pub fn mcp_usable(size: (u16, u16)) -> Model {
    let mut m = deployed(size);
    if let Some(d) = m.detail.view.as_mut() {
        let check = mcp_check(MCP_URL, &["send_email", "list_emails", "get_email"], 0);
        d.mcp = Some(check.clone());
        if let Some(v) = d.integrations.first_mut() {
            v.mcp = Some(check);
        }
    }
    m
}

/// betamax holding Gmail and Drive, both deployed: Gmail's server usable, Drive's
/// unreachable.
pub fn mcp_unreachable(size: (u16, u16)) -> Model {
    let mut m = both_deployed(size);
    let mut rows = m.table.rows.clone();
    for r in rows.iter_mut().filter(|r| r.slug == "betamax") {
        for s in r.statuses.iter_mut() {
            s.mcp_unreachable = s.integration == Integration::GoogleDrive;
        }
    }
    set_rows(&mut m, rows);
    select(&mut m, "betamax");
    if let Some(d) = m.detail.view.as_mut() {
        let gmail = mcp_check(MCP_URL, &["send_email"], 0);
        d.mcp = Some(gmail.clone());
        if let Some(v) = d.integrations.first_mut() {
            v.mcp = Some(gmail);
        }
        if let Some(v) = d.integrations.get_mut(1) {
            v.mcp = Some(mcp_check(DRIVE_URL, &[], 3));
        }
    }
    m
}
