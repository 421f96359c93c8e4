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

mod exports_folder {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    use crate::tui::exports::{EXPORT_DIR, ready};

    fn me() -> u32 {
        std::fs::metadata("/proc/self").map_or(0, |m| m.uid())
    }

    /// `ready` checks the folder, then the files are created by path: a parent that others
    /// may write into (ours, but 0777 and not sticky) lets another user put a symlink in
    /// place of `exports` between the check and the write. Such a parent is to be refused
    /// like an open `exports` is.
    #[test]
    fn an_exports_folder_in_a_parent_open_to_others_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let parent = tmp.path().join("shared");
        std::fs::create_dir(&parent).unwrap();
        std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o777)).unwrap();
        let dir = parent.join(EXPORT_DIR);
        let got = ready(&dir, me());
        assert!(
            got.is_err(),
            "{} is swappable by any user, yet accepted: {got:?}",
            dir.display()
        );
    }

    /// The folder is never made in a folder of another user's: not when a level between
    /// is missing either (the check looks at the direct parent only when it is there, and
    /// `create_dir_all` then makes every missing level).
    #[test]
    fn no_folder_is_made_under_another_users_folder_through_a_missing_level() {
        let tmp = tempfile::tempdir().unwrap();
        let service = tmp.path().join("service");
        std::fs::create_dir(&service).unwrap();
        // Seen as another user's: the console runs as `other`.
        let other = me().wrapping_add(1);
        let dir = service.join("sub").join(EXPORT_DIR);
        let got = ready(&dir, other);
        assert!(got.is_err(), "{got:?}");
        assert!(
            !service.join("sub").exists(),
            "refused, but only after making {} in another user's folder",
            service.join("sub").display()
        );
    }
}
