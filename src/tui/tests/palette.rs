//! The command palette: completion from the registry, running commands.

use crossterm::event::KeyCode;

use super::*;

#[test]
fn the_palette_completes_and_runs_commands() {
    let mut m = loaded(3);
    update(&mut m, key(':'));
    typed(&mut m, "li");
    update(&mut m, code(KeyCode::Tab));
    assert_eq!(palette(&m).unwrap(), "link ");
    typed(&mut m, "t00");
    update(&mut m, code(KeyCode::Tab));
    assert_eq!(palette(&m).unwrap(), "link t000");
    typed(&mut m, " 30m");
    let fx = update(&mut m, code(KeyCode::Enter));
    assert!(
        matches!(calls(&fx)[..], [Command::IssueLink { slug, ttl_secs: 1800, .. }] if slug == "t000")
    );
    update(&mut m, key(':'));
    typed(&mut m, "status fail");
    update(&mut m, code(KeyCode::Tab));
    update(&mut m, code(KeyCode::Enter));
    assert_eq!(m.table.status_filter, vec![TenantStatus::Failed]);
    assert!(m.table.visible.is_empty());
    update(&mut m, key(':'));
    typed(&mut m, "explode");
    update(&mut m, code(KeyCode::Enter));
    assert!(m.flash.as_ref().unwrap().text.contains("no command"));
}
