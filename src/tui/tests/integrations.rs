//! A tenant holding several integrations: its row's marks, its pane's blocks (in full when
//! there is room, in brief when not), and the status filter reading the tenant's status,
//! the summary of its integrations'.

use crossterm::event::KeyCode;
use ratatui::layout::Rect;

use super::*;
use crate::domain::model::Integration::{self, Gmail, GoogleDrive};
use crate::domain::summary::tenant_status;
use crate::engine::api::{IntegrationStatus, IntegrationView};
use crate::tui::layout::{self, cap::Extent, detail, integrations};

fn held(integration: Integration, status: TenantStatus) -> IntegrationStatus {
    IntegrationStatus {
        integration,
        status,
        step: None,
        mcp_unreachable: false,
    }
}

/// `slug`'s row holding these integrations, its status their summary.
fn row_of(slug: &str, held: &[IntegrationStatus]) -> TenantSummary {
    let status = tenant_status(held.iter().map(|h| h.status)).unwrap_or(TenantStatus::Created);
    TenantSummary {
        statuses: held.to_vec(),
        ..summary(slug, status, 7)
    }
}

fn integration(i: Integration, status: TenantStatus, slug: &str) -> IntegrationView {
    let consented = status.has_consent();
    let name = |prefix: &str| consented.then(|| format!("{prefix}-{slug}"));
    IntegrationView {
        integration: i,
        status,
        failure: None,
        reason: None,
        requested_scopes: i.scopes(),
        granted_scopes: if consented { i.scopes() } else { Vec::new() },
        consented_at: consented.then(|| "2026-12-01T00:00:00Z".into()),
        consented_ms: consented.then_some(1_000),
        token: None,
        pending_consent: None,
        connection: name(i.profile().names.connection),
        function: name(i.profile().names.function),
        mcp_url: consented.then(|| format!("https://run.example/{slug}/{}/mcp", i.name())),
        mcp: None,
    }
}

/// The detail of `slug` holding Gmail, deployed, and Drive at `drive`.
fn two(slug: &str, drive: TenantStatus) -> TenantView {
    let mut v = view(
        slug,
        tenant_status([TenantStatus::Deployed, drive]).unwrap(),
    );
    v.integrations = vec![
        integration(Gmail, TenantStatus::Deployed, slug),
        integration(GoogleDrive, drive, slug),
    ];
    v.statuses = vec![
        held(Gmail, TenantStatus::Deployed),
        held(GoogleDrive, drive),
    ];
    v
}

fn text(lines: &[ratatui::text::Line<'_>]) -> String {
    lines
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `m` at `size`, with `t000`'s detail `v` shown.
fn showing(mut m: Model, size: (u16, u16), v: TenantView) -> Model {
    m.size = size;
    m.detail.view = Some(v);
    m
}

fn pane_areas(m: &Model) -> layout::TenantsAreas {
    let body = layout::screen(m, Rect::new(0, 0, m.size.0, m.size.1)).body;
    layout::tenants(m, body)
}

#[test]
fn a_row_marks_each_integration_first_first_with_its_status_glyph_and_colour() {
    let t = crate::tui::style::Theme { color: true };
    let both = [
        held(Gmail, TenantStatus::Deployed),
        held(GoogleDrive, TenantStatus::LinkIssued),
    ];
    assert_eq!(integrations::marks(t, &both, false).to_string(), "g● d✉");
    assert_eq!(
        integrations::marks(t, &both, true).to_string(),
        "gmail ● drive ✉"
    );
    let glyphs: Vec<_> = integrations::marks(t, &both, false)
        .spans
        .into_iter()
        .filter(|s| s.content == "●" || s.content == "✉")
        .map(|s| s.style)
        .collect();
    assert_eq!(
        glyphs,
        [
            t.status(TenantStatus::Deployed),
            t.status(TenantStatus::LinkIssued)
        ]
    );
    // A row from an owner of an earlier release says nothing of its integrations.
    assert_eq!(integrations::marks(t, &[], false).to_string(), "-");
}

#[test]
fn an_engine_event_brings_the_tenants_integrations_into_its_row() {
    let mut m = loaded(3);
    let both = [
        held(Gmail, TenantStatus::Deployed),
        held(GoogleDrive, TenantStatus::Failed),
    ];
    update(
        &mut m,
        event(
            10,
            EventBody::TenantChanged {
                slug: "t001".into(),
                status: TenantStatus::Failed,
                summary: Some(row_of("t001", &both)),
                entry: None,
            },
        ),
    );
    let row = &m.table.rows[m.table.row_of("t001").unwrap()];
    assert_eq!(row.statuses, both);
    assert_eq!(row.status, TenantStatus::Failed);
}

#[test]
fn the_status_filter_reads_the_tenants_summarised_status() {
    let mut m = model();
    let fx = update(&mut m, Msg::Start);
    // acme's Gmail works and its Drive failed: acme reads failed, the one needing attention.
    let rows = vec![
        row_of(
            "acme",
            &[
                held(Gmail, TenantStatus::Deployed),
                held(GoogleDrive, TenantStatus::Failed),
            ],
        ),
        row_of("beta", &[held(Gmail, TenantStatus::Deployed)]),
    ];
    let fx = serve_pages(&mut m, fx, &rows);
    settle(&mut m, fx);
    let filter = |m: &mut Model, status: &str| {
        update(m, key(':'));
        typed(m, &format!("status {status}"));
        let fx = update(m, code(KeyCode::Enter));
        settle(m, fx);
        shown(m).iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(filter(&mut m, "failed"), ["acme"]);
    assert_eq!(filter(&mut m, "deployed"), ["beta"]);
}

#[test]
fn the_pane_shows_a_block_per_integration_in_full_where_there_is_room() {
    let m = showing(loaded(6), (120, 40), two("t000", TenantStatus::LinkIssued));
    let a = pane_areas(&m);
    assert_eq!(a.extent, Extent::Pane);
    assert_eq!(a.table.height, 6 + 3, "the table keeps every row");
    let d = m.shown_detail().unwrap();
    let pane = text(&detail::rows(&m, d, a.detail.width - 2, a.extent).head);
    for said in [
        "gmail  ● deployed",
        "  consent ",
        "  conn    gmail-t000",
        "  server  gmail-mcp-t000",
        "  MCP     https://run.example/t000/gmail/mcp",
        "google-drive  ✉ link issued",
    ] {
        assert!(pane.contains(said), "{said:?} in\n{pane}");
    }
    // The blocks say what the tenant's own rows said for its first integration alone.
    assert!(!pane.contains("scopes   ✔"), "{pane}");
}

#[test]
fn a_pane_short_of_room_shows_each_block_in_brief_and_the_table_keeps_its_rows() {
    let mut v = two("t000", TenantStatus::Failed);
    v.integrations[1].reason = Some("the customer declined access at Google".into());
    let m = showing(loaded(6), (80, 24), v);
    let a = pane_areas(&m);
    assert_eq!(a.extent, Extent::Brief);
    assert_eq!(a.table.height, 6 + 3, "the table keeps every row");
    let d = m.shown_detail().unwrap();
    let rows = detail::rows(&m, d, a.detail.width - 2, a.extent);
    let pane = text(&rows.head);
    for said in [
        "gmail  ● deployed",
        "  server  gmail-mcp-t000",
        "google-drive  ✖ failed",
        "  ✖ the customer declined access",
    ] {
        assert!(pane.contains(said), "{said:?} in\n{pane}");
    }
    assert!(!pane.contains("consent "), "{pane}");
    // Every fact and the newest entry fit the pane.
    assert!(
        detail::rows_needed(&m, a.detail.width - 2, a.extent) <= usize::from(a.detail.height - 2)
    );
}

#[test]
fn a_tenant_of_one_integration_has_no_block_and_keeps_its_own_rows() {
    let mut v = view("t000", TenantStatus::Deployed);
    v.integrations = vec![integration(Gmail, TenantStatus::Deployed, "t000")];
    v.granted_scopes = Gmail.scopes();
    v.requested_scopes = Gmail.scopes();
    let m = showing(loaded(6), (80, 24), v);
    let a = pane_areas(&m);
    assert_eq!(a.extent, Extent::Pane);
    let d = m.shown_detail().unwrap();
    let pane = text(&detail::rows(&m, d, a.detail.width - 2, a.extent).head);
    assert!(pane.contains("scopes   ✔ 4 of 4 granted"), "{pane}");
    assert!(!pane.contains("gmail  "), "{pane}");
}
