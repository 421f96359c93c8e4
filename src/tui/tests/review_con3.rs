//! Review of the full view (`d`): what it shows when its tenant goes away while it is open.

use crossterm::event::KeyCode;

use super::*;

fn in_details(m: &Model) -> bool {
    matches!(m.mode, Mode::Details { .. })
}

/// The tenant of an open full view is removed: the view must not go on, silently, as the
/// full view of another tenant (its title, its facts, and `c` copying that other tenant's
/// MCP URL): it closes (or stays on the removed one, saying so).
#[test]
fn the_full_view_does_not_turn_into_another_tenant_when_its_own_is_removed() {
    let mut m = loaded(3);
    // t001 has an MCP URL; t000 (selected, in the full view) is removed.
    if let Some(i) = m.row_of("t001") {
        m.table.rows[i].mcp_url = Some("https://run.example/t001/mcp".into());
    }
    update(&mut m, key('d'));
    assert!(in_details(&m));
    let fx = update(
        &mut m,
        event(
            31,
            EventBody::TenantRemoved {
                slug: "t000".into(),
            },
        ),
    );
    settle(&mut m, fx);
    let now = m.selected_slug();
    assert!(
        !in_details(&m) || now.as_deref() == Some("t000"),
        "the full view of t000 now shows {now:?} as if nothing happened"
    );
    // And `c` there copies no other tenant's URL.
    if in_details(&m) {
        let fx = update(&mut m, key('c'));
        assert!(
            !fx.iter()
                .any(|e| matches!(e, Effect::Copy { text, .. } if text.contains("t001"))),
            "{fx:?}"
        );
    }
}

/// The last tenant removed with its full view open: no endless `loading…` titled `: all of
/// it` over an empty table.
#[test]
fn the_full_view_closes_when_the_last_tenant_goes() {
    let mut m = loaded(1);
    update(&mut m, key('d'));
    assert!(in_details(&m));
    update(
        &mut m,
        event(
            32,
            EventBody::TenantRemoved {
                slug: "t000".into(),
            },
        ),
    );
    assert!(m.table.visible.is_empty());
    assert!(
        !in_details(&m),
        "a full view of no tenant stays open: {:?}",
        m.mode
    );
    // Esc still leads back, whatever happened.
    update(&mut m, code(KeyCode::Esc));
    assert!(matches!(m.mode, Mode::Table));
}
