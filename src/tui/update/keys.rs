//! Keys and pastes, routed by what the console is doing: the registry says which command a
//! key is in that scope; a command that cannot be used now says why instead; a key that is
//! no command is text where text is typed (the filter, the palette, a form's field).

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::effect::allowed;
use super::{confirm, details, filter, form, help, link, palette, question, rows, table};
use crate::tui::commands::{self, Action, Scope};
use crate::tui::model::{Effect, Mode, Model, UNTIL_KEY};

pub(super) fn key(m: &mut Model, k: KeyEvent, fx: &mut Vec<Effect>) {
    // No dependence on key-release events: only presses (and repeats) count.
    if k.kind == KeyEventKind::Release {
        return;
    }
    // A flash kept until a key is read once a key comes.
    if m.flash.as_ref().is_some_and(|f| f.until == UNTIL_KEY) {
        m.flash = None;
    }
    // Ctrl-C quits from anywhere but the palette, where it is text like any other key.
    if k.code == KeyCode::Char('c')
        && k.modifiers.contains(KeyModifiers::CONTROL)
        && !matches!(m.mode, Mode::Palette(_))
    {
        if matches!(m.mode, Mode::Filter) {
            m.mode = Mode::Table;
        }
        question::ask_quit(m, fx);
        return;
    }
    let scope = commands::scope(&m.mode);
    match commands::action(scope, &k) {
        Some(a) => act(m, scope, a, fx),
        None => text(m, k, fx),
    }
}

/// Do `a` in `scope`, if it can be done now.
fn act(m: &mut Model, scope: Scope, a: Action, fx: &mut Vec<Effect>) {
    if !allowed(m, scope, a) {
        return;
    }
    match scope {
        Scope::Table => table::act(m, a, fx),
        Scope::Filter => filter::act(m, a, fx),
        Scope::Palette => palette::act(m, a, fx),
        Scope::Form => form::act(m, a, fx),
        Scope::Link => link::act(m, a, fx),
        Scope::Details => details::act(m, a, fx),
        Scope::Help => help::act(m, a),
        Scope::Confirm | Scope::EarlierLinks => confirm::act(m, a, fx),
        Scope::Setup => help::setup_act(m, a, fx),
    }
}

/// A key that is no command: text where text is typed, else nothing.
fn text(m: &mut Model, k: KeyEvent, fx: &mut Vec<Effect>) {
    let ev = Event::Key(k);
    match &mut m.mode {
        Mode::Palette(p) => {
            p.handle_event(&ev);
        }
        Mode::Filter => {
            let before = m.table.filter.value().to_owned();
            m.table.filter.handle_event(&ev);
            if m.table.filter.value() != before {
                rows::refilter_typed(m);
                rows::want_detail(m, fx);
            }
        }
        Mode::Form(f) => {
            if let Some(field) = f.focused_mut() {
                field.input.handle_event(&ev);
            }
            form::validate_form(f);
        }
        _ => {}
    }
}

/// A paste is text, never keys: one line, no control characters (nor bidi controls), into
/// what is being typed.
pub(super) fn paste(m: &mut Model, text: &str, fx: &mut Vec<Effect>) {
    let clean: String = text
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !crate::text::is_unsafe(*c))
        .collect();
    let append = |input: &mut Input| {
        let v = format!("{}{}", input.value(), clean);
        *input = Input::new(v);
    };
    match &mut m.mode {
        Mode::Palette(p) => append(p),
        Mode::Filter => {
            append(&mut m.table.filter);
            rows::refilter_typed(m);
            rows::want_detail(m, fx);
        }
        Mode::Form(f) => {
            if let Some(field) = f.focused_mut() {
                append(&mut field.input);
            }
            form::validate_form(f);
        }
        _ => {}
    }
}
