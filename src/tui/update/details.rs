//! The full view of the selected tenant (`d`, or `:details SLUG`): opened over the table,
//! scrolled within its rows, closed back to the table.

use super::effect::flash;
use super::rows::want_detail;
use super::{help, selected};
use crate::tui::commands::Action;
use crate::tui::layout::details::{max_scroll, page};
use crate::tui::model::{Effect, Level, Mode, Model};

/// Open the full view of `slug` (the selected tenant), at its top; its detail is asked for
/// when the console does not hold it yet.
pub(super) fn open(m: &mut Model, slug: String, fx: &mut Vec<Effect>) {
    m.mode = Mode::Details { slug, scroll: 0 };
    if m.shown_detail().is_none() {
        want_detail(m, fx);
    }
}

pub(super) fn act(m: &mut Model, a: Action, fx: &mut Vec<Effect>) {
    let (end, page) = (max_scroll(m), page(m));
    let Mode::Details { scroll, .. } = &mut m.mode else {
        return;
    };
    let at = (*scroll).min(end);
    match a {
        Action::Back => m.mode = Mode::Table,
        Action::Help => help::open(m),
        Action::CopyMcpUrl => selected::act(m, a, fx),
        Action::Up => *scroll = at.saturating_sub(1),
        Action::Down => *scroll = (at + 1).min(end),
        Action::PageUp => *scroll = at.saturating_sub(page),
        Action::PageDown => *scroll = (at + page).min(end),
        Action::Top => *scroll = 0,
        Action::Bottom => *scroll = end,
        _ => {}
    }
}

/// `slug` is gone: its full view, if open (or under a help or a question), closes back to
/// the table, saying why; it never goes on as the view of another tenant.
pub(super) fn gone(m: &mut Model, slug: &str) {
    if m.mode.close_details(slug) {
        flash(
            m,
            Level::Info,
            format!("{slug} was removed: its full view is closed"),
        );
    }
}
