//! The engine's events change the table live and refresh the selected tenant's detail.

use super::*;
use crate::domain::model::ProvisionerState;

#[test]
fn engine_events_change_the_table_live() {
    let mut m = loaded(3);
    update(
        &mut m,
        event(
            10,
            EventBody::TenantChanged {
                slug: "new".into(),
                status: TenantStatus::Created,
                summary: Some(summary("new", TenantStatus::Created, 5)),
                entry: None,
            },
        ),
    );
    assert_eq!(m.table.rows.len(), 4);
    assert_eq!(m.table.rows[0].slug, "new", "in slug order");
    let fx = update(
        &mut m,
        event(
            11,
            EventBody::TenantChanged {
                slug: "new".into(),
                status: TenantStatus::Deployed,
                summary: Some(summary("new", TenantStatus::Deployed, 6)),
                entry: None,
            },
        ),
    );
    assert_eq!(m.table.rows.len(), 4);
    assert_eq!(m.table.rows[0].status, TenantStatus::Deployed);
    assert!(
        calls(&fx).is_empty(),
        "not the selected one: no detail asked"
    );
    update(
        &mut m,
        event(12, EventBody::TenantRemoved { slug: "new".into() }),
    );
    assert_eq!(m.table.rows.len(), 3);
    update(
        &mut m,
        event(
            13,
            EventBody::ProvisionerChanged {
                provisioner: ProvisionerState {
                    running: true,
                    in_flight: 2,
                    ..Default::default()
                },
            },
        ),
    );
    assert_eq!(m.engine.provisioner.in_flight, 2);
    let fx = update(
        &mut m,
        event(
            14,
            EventBody::LinkChanged {
                slug: "t000".into(),
                link: crate::engine::api::LinkSummary {
                    id: "x".into(),
                    tenant: "t000".into(),
                    created_at: String::new(),
                    expires_at: String::new(),
                    expires_ms: 0,
                    state: crate::domain::model::LinkState::Active,
                    opened_at: None,
                    open_count: 1,
                    continue_count: 0,
                },
            },
        ),
    );
    assert!(
        matches!(calls(&fx)[..], [Command::ShowTenant { slug }] if slug == "t000"),
        "the selected tenant's detail is refreshed"
    );
}

#[test]
fn a_replayed_change_without_a_summary_keeps_the_row_and_refreshes_the_selected_detail() {
    let mut m = loaded(3);
    let replayed = |slug: &str| {
        event(
            20,
            EventBody::TenantChanged {
                slug: slug.into(),
                status: TenantStatus::Deployed,
                summary: None,
                entry: None,
            },
        )
    };
    let fx = update(&mut m, replayed("t000"));
    assert_eq!(shows(&fx), vec!["t000"]);
    assert!(
        m.table
            .rows
            .iter()
            .all(|r| r.status == TenantStatus::Created)
    );
    assert_eq!(m.table.rows.len(), 3);
    settle(&mut m, fx);
    let fx = update(&mut m, replayed("t001"));
    assert!(calls(&fx).is_empty(), "not the selected one: {fx:?}");
}

#[test]
fn removing_the_selected_tenant_selects_the_next_and_asks_for_its_detail() {
    let mut m = loaded(3);
    let fx = update(
        &mut m,
        event(
            21,
            EventBody::TenantRemoved {
                slug: "t000".into(),
            },
        ),
    );
    assert_eq!(m.table.rows.len(), 2);
    assert_eq!(m.selected_slug().as_deref(), Some("t001"));
    assert_eq!(shows(&fx), vec!["t001"]);
    // The last one gone: nothing selected, no detail.
    let mut m = loaded(1);
    let fx = update(
        &mut m,
        event(
            22,
            EventBody::TenantRemoved {
                slug: "t000".into(),
            },
        ),
    );
    assert!(calls(&fx).is_empty());
    assert!(m.table.rows.is_empty() && m.table.visible.is_empty());
    assert!(m.detail.view.is_none());
}

#[test]
fn a_link_change_of_another_tenant_asks_nothing() {
    let mut m = loaded(3);
    let fx = update(
        &mut m,
        event(
            23,
            EventBody::LinkChanged {
                slug: "t001".into(),
                link: link_summary("t001"),
            },
        ),
    );
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(m.selected_slug().as_deref(), Some("t000"));
}
