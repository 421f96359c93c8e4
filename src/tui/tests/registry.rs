//! The command registry: one list serving the keys, the palette, its completion, the hints
//! bar and the help.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::tui::commands::complete::completions;
use crate::tui::commands::{self, Action, On, REGISTRY, Scope, Target, keys};
use crate::tui::layout::help::help_rows;

const ALL: [Scope; 10] = [
    Scope::Table,
    Scope::Filter,
    Scope::Palette,
    Scope::Link,
    Scope::Details,
    Scope::Form,
    Scope::Help,
    Scope::Confirm,
    Scope::EarlierLinks,
    Scope::Setup,
];

fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, m)
}

#[test]
fn keys_map_to_actions_in_their_scope_only() {
    use commands::action;
    let none = KeyModifiers::NONE;
    assert_eq!(
        action(Scope::Table, &ev(KeyCode::Char('a'), none)),
        Some(Action::Add)
    );
    assert_eq!(action(Scope::Link, &ev(KeyCode::Char('a'), none)), None);
    assert_eq!(
        action(Scope::Table, &ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
        Some(Action::Bottom)
    );
    assert_eq!(
        action(Scope::Table, &ev(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Some(Action::Quit)
    );
    assert_eq!(
        action(Scope::Table, &ev(KeyCode::Char('c'), none)),
        Some(Action::CopyMcpUrl),
        "c without Ctrl copies; Ctrl-C quits"
    );
    assert_eq!(
        action(Scope::Form, &ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
        Some(Action::PrevField)
    );
    assert_eq!(
        action(Scope::Filter, &ev(KeyCode::Char('j'), none)),
        None,
        "j is text in the filter"
    );
}

#[test]
fn no_key_does_two_things_in_one_scope() {
    for scope in ALL {
        let mut seen: Vec<String> = Vec::new();
        for (keys, _) in commands::bound(scope) {
            for key in keys {
                let l = keys::label(key);
                assert!(!seen.contains(&l), "{l} twice in {scope:?}");
                seen.push(l);
            }
        }
        assert!(!seen.is_empty(), "{scope:?} has keys");
    }
}

#[test]
fn dangerous_actions_are_marked_in_the_hints() {
    let h = commands::hints(Scope::Table);
    assert!(
        h.iter()
            .any(|h| h.key == "w" && h.word == "withdraw" && h.danger)
    );
    assert!(h.iter().all(|h| !h.word.is_empty()));
}

#[test]
fn every_palette_command_has_one_name_completes_and_is_in_the_help() {
    let names: Vec<&str> = commands::typed_commands().map(|(n, _, _)| n).collect();
    assert_eq!(
        names,
        [
            "add", "edit", "link", "mail", "mail-all", "open", "withdraw", "retry", "details",
            "filter", "status", "sort", "setup", "check", "help", "quit"
        ]
    );
    let m = loaded(0);
    assert_eq!(completions(&m, ""), names);
    let help: Vec<String> = help_rows(&m, 200, &|_, _| false)
        .iter()
        .map(ToString::to_string)
        .collect();
    for n in &names {
        assert!(
            help.iter().any(|l| l.starts_with(&format!("  :{n} "))),
            "{n} in the help"
        );
        assert_eq!(
            REGISTRY
                .iter()
                .filter(|e| matches!(e.on, On::Typed(ns, _) if ns.contains(n)))
                .count(),
            1,
            "{n} once"
        );
    }
    assert_eq!(
        commands::typed("q").map(|e| e.action),
        Some(Action::Quit),
        ":q quits too"
    );
}

#[test]
fn the_commands_on_a_tenant_complete_slugs_and_the_status_one_statuses() {
    let m = loaded(3);
    let on_tenant: Vec<&str> = commands::typed_commands()
        .filter(|(_, _, e)| e.action.target() == Target::Tenant)
        .map(|(n, _, _)| n)
        .collect();
    assert_eq!(
        on_tenant,
        [
            "edit", "link", "mail", "open", "withdraw", "retry", "details"
        ]
    );
    for n in on_tenant {
        assert_eq!(
            completions(&m, &format!("{n} t00")),
            ["t000", "t001", "t002"].map(|s| format!("{n} {s}")),
            "{n}"
        );
    }
    assert_eq!(completions(&m, "status fa"), ["status failed"]);
    assert!(completions(&m, "sort s").is_empty());
    assert!(completions(&m, "help x").is_empty());
}

#[test]
fn every_command_a_key_works_on_a_tenant_is_one_that_takes_one() {
    // The keys on the selected tenant and the palette's `SLUG` commands read the same
    // property of the action: what it works on.
    for (keys, e) in commands::bound(Scope::Table) {
        let on_tenant = e.action.target() == Target::Tenant;
        let words = [
            "link", "new link", "mail", "edit", "retry", "copy URL", "details", "timeline",
            "withdraw",
        ];
        if words.contains(&e.hint) {
            assert!(on_tenant, "{:?} ({})", e.action, keys::label(&keys[0]));
        }
    }
}

#[test]
fn each_mode_has_the_scope_of_its_keys() {
    use crate::tui::commands::scope;
    use crate::tui::model::{Confirm, ConfirmAction};
    let question = |action| Mode::Confirm {
        confirm: Confirm {
            text: String::new(),
            action,
        },
        back: Box::new(Mode::Table),
    };
    let cases = [
        (Mode::Table, Scope::Table),
        (Mode::Filter, Scope::Filter),
        (Mode::Palette(Default::default()), Scope::Palette),
        (Mode::Form(crate::tui::update::add_form()), Scope::Form),
        (Mode::Link("t000".into()), Scope::Link),
        (
            Mode::Details {
                slug: "t000".into(),
                scroll: 0,
            },
            Scope::Details,
        ),
        (
            Mode::Help {
                scroll: 0,
                back: Box::new(Mode::Table),
            },
            Scope::Help,
        ),
        (question(ConfirmAction::Quit), Scope::Confirm),
        (
            question(ConfirmAction::EarlierLinks {
                slug: "t000".into(),
                ttl_secs: 60,
            }),
            Scope::EarlierLinks,
        ),
        (Mode::Setup, Scope::Setup),
    ];
    for (mode, want) in cases {
        assert_eq!(scope(&mode), want, "{mode:?}");
    }
}
