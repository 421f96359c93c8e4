//! Keys as the registry writes them, how a key event matches one, and how each is named in
//! the hints bar and the help.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy)]
pub struct Key(pub KeyCode, pub KeyModifiers);

/// A character key.
pub const fn k(c: char) -> Key {
    Key(KeyCode::Char(c), KeyModifiers::NONE)
}

/// Any other key, unmodified.
pub const fn code(c: KeyCode) -> Key {
    Key(c, KeyModifiers::NONE)
}

pub const fn ctrl(c: char) -> Key {
    Key(KeyCode::Char(c), KeyModifiers::CONTROL)
}

pub fn matches(key: &Key, ev: &KeyEvent) -> bool {
    let mods = ev.modifiers - KeyModifiers::SHIFT;
    let want = key.1 - KeyModifiers::SHIFT;
    match (key.0, ev.code) {
        // A shifted letter arrives as the upper case letter, with or without SHIFT.
        (KeyCode::Char(a), KeyCode::Char(b)) => a == b && mods == want,
        (a, b) => a == b && mods == want,
    }
}

pub fn label(key: &Key) -> String {
    let base = match key.0 {
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "⏎".into(),
        KeyCode::Esc => "esc".into(),
        KeyCode::Tab => "tab".into(),
        KeyCode::BackTab => "⇧tab".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::PageUp => "pgup".into(),
        KeyCode::PageDown => "pgdn".into(),
        KeyCode::Home => "home".into(),
        KeyCode::End => "end".into(),
        other => format!("{other:?}").to_lowercase(),
    };
    if key.1.contains(KeyModifiers::CONTROL) {
        format!("^{base}")
    } else {
        base
    }
}
