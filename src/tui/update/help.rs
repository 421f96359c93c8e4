//! The help (opened over the table or a link view, scrolled within its rows, closed back to
//! it) and the first-run set-up panel.

use super::effect::quit_now;
use crate::tui::commands::Action;
use crate::tui::layout;
use crate::tui::model::{Effect, Mode, Model};

/// Open the help over what the console shows now.
pub(super) fn open(m: &mut Model) {
    let back = std::mem::replace(&mut m.mode, Mode::Table).underneath();
    m.mode = Mode::Help {
        scroll: 0,
        back: Box::new(back),
    };
}

pub(super) fn act(m: &mut Model, a: Action) {
    let end = layout::help_max_scroll(m);
    let Mode::Help { scroll, back } = &mut m.mode else {
        return;
    };
    match a {
        Action::Back => {
            let back = std::mem::replace(back.as_mut(), Mode::Table);
            m.mode = back;
        }
        Action::Up => *scroll = scroll.saturating_sub(1),
        Action::Down => *scroll = scroll.saturating_add(1).min(end),
        _ => {}
    }
}

pub(super) fn setup_act(m: &mut Model, a: Action, fx: &mut Vec<Effect>) {
    let (end, page) = layout::setup_scroll(m);
    let at = m.online.scroll.min(end);
    match a {
        Action::Up => m.online.scroll = at.saturating_sub(1),
        Action::Down => m.online.scroll = at.saturating_add(1).min(end),
        Action::PageUp => m.online.scroll = at.saturating_sub(page),
        Action::PageDown => m.online.scroll = at.saturating_add(page).min(end),
        Action::Continue => m.mode = Mode::Table,
        Action::CopyRedirect => fx.push(Effect::Copy {
            text: m.setup.redirect_uri.clone(),
            what: "the redirect URI".into(),
        }),
        Action::CheckOnline => super::online::start(m, fx),
        Action::Quit if m.online.from_table => m.mode = Mode::Table,
        Action::Quit => quit_now(m, fx),
        _ => {}
    }
}
