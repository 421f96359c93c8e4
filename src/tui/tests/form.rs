//! The add and edit forms: inline validation, saving, refusals, paste.

use crossterm::event::KeyCode;

use super::*;
use crate::domain::lifecycle::NewTenant;

#[test]
fn the_add_form_validates_inline_and_submits_a_tenant_then_its_link() {
    let mut m = loaded(1);
    update(&mut m, key('a'));
    assert!(matches!(&m.mode, Mode::Form(_)));
    typed(&mut m, "Bad-");
    let Mode::Form(f) = &m.mode else { panic!() };
    assert!(
        f.fields[0]
            .error
            .as_deref()
            .unwrap()
            .contains("invalid slug")
    );
    let fx = update(&mut m, code(KeyCode::Enter));
    assert!(calls(&fx).is_empty(), "refused while a field is wrong");
    let Mode::Form(f) = &m.mode else { panic!() };
    assert!(f.error.is_some());
    for _ in 0..4 {
        update(&mut m, code(KeyCode::Backspace));
    }
    typed(&mut m, "beta");
    update(&mut m, code(KeyCode::Tab));
    typed(&mut m, "Beta Corp");
    update(&mut m, code(KeyCode::Tab));
    update(&mut m, code(KeyCode::Tab));
    typed(&mut m, "not-an-email");
    let Mode::Form(f) = &m.mode else { panic!() };
    assert!(f.fields[3].error.is_some());
    for _ in 0.."not-an-email".len() {
        update(&mut m, code(KeyCode::Backspace));
    }
    typed(&mut m, "ops@beta.io");
    let fx = update(&mut m, code(KeyCode::Enter));
    let c = calls(&fx);
    let Command::AddTenant(NewTenant {
        slug,
        display_name,
        expected_email,
        ..
    }) = c[0]
    else {
        panic!("{c:?}")
    };
    assert_eq!(
        (
            slug.as_str(),
            display_name.as_deref(),
            expected_email.as_deref()
        ),
        ("beta", Some("Beta Corp"), Some("ops@beta.io"))
    );
    let fx = answer(&mut m, &fx, |_| {
        Some(Ok(Reply::Tenant(Box::new(view(
            "beta",
            TenantStatus::Created,
        )))))
    });
    assert!(!matches!(&m.mode, Mode::Form(_)), "the form closes");
    assert_eq!(m.selected_slug().as_deref(), Some("beta"));
    let link = calls(&fx).into_iter().find_map(|c| match c {
        Command::IssueLink { slug, ttl_secs, .. } => Some((slug.clone(), *ttl_secs)),
        _ => None,
    });
    assert_eq!(
        link,
        Some(("beta".into(), 7 * 24 * 3600)),
        "the default lifetime"
    );
}

#[test]
fn a_refused_add_keeps_the_form_and_says_why() {
    let mut m = loaded(1);
    update(&mut m, key('a'));
    typed(&mut m, "t000");
    let fx = update(&mut m, code(KeyCode::Enter));
    answer(&mut m, &fx, |_| {
        Some(Err(ApiError::new(
            ErrorCode::Conflict,
            "a tenant \"t000\" already exists",
        )))
    });
    let Mode::Form(f) = &m.mode else {
        panic!("the form stays")
    };
    assert!(f.error.as_deref().unwrap().contains("already exists"));
}

#[test]
fn edit_starts_from_the_tenant_and_sends_what_changed() {
    let mut m = loaded(2);
    update(&mut m, key('e'));
    let Mode::Form(f) = &m.mode else { panic!() };
    assert_eq!(f.fields[0].input.value(), "t000 Ltd");
    update(&mut m, code(KeyCode::Tab));
    update(&mut m, code(KeyCode::Tab));
    typed(&mut m, "ann@acme.com");
    let fx = update(&mut m, code(KeyCode::Enter));
    let c = calls(&fx);
    let Command::EditTenant { slug, edit } = c[0] else {
        panic!("{c:?}")
    };
    assert_eq!(slug, "t000");
    assert_eq!(edit.expected_email.as_deref(), Some("ann@acme.com"));
    assert!(!edit.any_account);
}

#[test]
fn shift_tab_and_up_go_to_the_previous_field_and_focus_wraps_around() {
    let mut m = loaded(1);
    update(&mut m, key('a'));
    let focus = |m: &Model| match &m.mode {
        Mode::Form(f) => (f.focus, f.fields.len()),
        _ => panic!("not a form"),
    };
    assert_eq!(focus(&m), (0, 7));
    update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
    );
    assert_eq!(focus(&m).0, 6, "from the first field to the last");
    update(&mut m, code(KeyCode::Up));
    assert_eq!(focus(&m).0, 5);
    update(&mut m, code(KeyCode::Tab));
    update(&mut m, code(KeyCode::Down));
    assert_eq!(focus(&m).0, 0, "from the last field to the first");
}

#[test]
fn esc_cancels_a_form_without_sending_anything() {
    let mut m = loaded(1);
    update(&mut m, key('a'));
    typed(&mut m, "beta");
    let fx = update(&mut m, code(KeyCode::Esc));
    assert!(calls(&fx).is_empty(), "{fx:?}");
    assert!(matches!(&m.mode, Mode::Table));
    assert_eq!(m.table.rows.len(), 1);
    update(&mut m, key('e'));
    assert!(matches!(&m.mode, Mode::Form(_)));
    let fx = update(&mut m, code(KeyCode::Esc));
    assert!(calls(&fx).is_empty(), "{fx:?}");
    assert!(matches!(&m.mode, Mode::Table));
}

#[test]
fn a_refused_add_after_the_form_was_cancelled_is_flashed() {
    let mut m = loaded(1);
    update(&mut m, key('a'));
    typed(&mut m, "t000");
    let fx = update(&mut m, code(KeyCode::Enter));
    assert!(matches!(calls(&fx)[..], [Command::AddTenant(_)]));
    update(&mut m, code(KeyCode::Esc));
    answer(&mut m, &fx, |_| {
        refused(ErrorCode::Conflict, "a tenant \"t000\" already exists")
    });
    assert!(matches!(&m.mode, Mode::Table));
    assert_eq!(
        flashed(&m),
        (Level::Error, "✖ a tenant \"t000\" already exists")
    );
}

#[test]
fn an_add_without_a_link_lifetime_issues_no_link() {
    let mut m = loaded(1);
    update(&mut m, key('a'));
    typed(&mut m, "beta");
    update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
    );
    update(&mut m, code(KeyCode::Backspace));
    update(&mut m, code(KeyCode::Backspace));
    let fx = update(&mut m, code(KeyCode::Enter));
    assert!(
        matches!(calls(&fx)[..], [Command::AddTenant(NewTenant { slug, .. })] if slug == "beta")
    );
    let fx = answer(&mut m, &fx, |_| {
        Some(Ok(Reply::Tenant(Box::new(view(
            "beta",
            TenantStatus::Created,
        )))))
    });
    assert!(
        !calls(&fx)
            .iter()
            .any(|c| matches!(c, Command::IssueLink { .. })),
        "{fx:?}"
    );
    assert_eq!(flashed(&m), (Level::Ok, "✔ tenant beta added"));
    assert_eq!(m.selected_slug().as_deref(), Some("beta"));
    assert!(matches!(&m.mode, Mode::Table));
}

#[test]
fn a_refused_edit_keeps_the_form_and_says_why() {
    let mut m = loaded(2);
    update(&mut m, key('e'));
    let fx = update(&mut m, code(KeyCode::Enter));
    assert!(matches!(calls(&fx)[..], [Command::EditTenant { slug, .. }] if slug == "t000"));
    answer(&mut m, &fx, |_| {
        refused(ErrorCode::InvalidInput, "display name too long")
    });
    let Mode::Form(f) = &m.mode else {
        panic!("the form stays")
    };
    assert_eq!(f.error.as_deref(), Some("display name too long"));
    assert!(m.flash.is_none(), "said in the form, not flashed");
}

#[test]
fn edit_before_the_detail_arrived_says_so() {
    let mut m = loaded(3);
    m.detail.view = None;
    let fx = update(&mut m, key('e'));
    assert!(fx.is_empty());
    assert!(matches!(&m.mode, Mode::Table));
    assert!(m.flash.as_ref().unwrap().text.contains("still loading"));
}

#[test]
fn paste_goes_into_the_palette_or_the_focused_form_field() {
    let mut m = loaded(3);
    update(&mut m, key(':'));
    assert!(update(&mut m, Msg::Paste("link t001\nrm -rf /".into())).is_empty());
    assert_eq!(palette(&m), Some("link t001"));
    let fx = update(&mut m, code(KeyCode::Enter));
    assert!(
        calls(&fx)
            .iter()
            .any(|c| matches!(c, Command::IssueLink { slug, .. } if slug == "t001")),
        "the pasted command runs: {fx:?}"
    );

    let mut m = loaded(1);
    update(&mut m, key('a'));
    update(&mut m, Msg::Paste("Bad-".into()));
    let Mode::Form(f) = &m.mode else { panic!() };
    assert_eq!(f.fields[0].input.value(), "Bad-");
    assert!(f.fields[0].error.is_some(), "a paste is validated too");
    update(&mut m, code(KeyCode::Tab));
    update(&mut m, Msg::Paste("Beta\tCorp\nsecond".into()));
    let Mode::Form(f) = &m.mode else { panic!() };
    assert_eq!(f.fields[1].input.value(), "BetaCorp");
}

#[test]
fn the_language_field_takes_a_supported_tag_and_the_add_carries_it() {
    let mut m = loaded(1);
    update(&mut m, key('a'));
    typed(&mut m, "beta");
    for _ in 0..5 {
        update(&mut m, code(KeyCode::Tab));
    }
    typed(&mut m, "it");
    let Mode::Form(f) = &m.mode else { panic!() };
    assert_eq!(f.fields[f.focus].key, crate::tui::model::FieldKey::Language);
    let err = f.fields[f.focus].error.as_deref().unwrap_or_default();
    assert!(err.contains("en, de, fr, es, pt-BR, ja"), "{err}");
    assert!(calls(&update(&mut m, code(KeyCode::Enter))).is_empty());
    update(&mut m, code(KeyCode::Backspace));
    update(&mut m, code(KeyCode::Backspace));
    typed(&mut m, "de");
    let fx = update(&mut m, code(KeyCode::Enter));
    let c = calls(&fx);
    let Command::AddTenant(NewTenant { slug, lang, .. }) = c[0] else {
        panic!("{c:?}")
    };
    assert_eq!((slug.as_str(), lang.as_deref()), ("beta", Some("de")));
}
