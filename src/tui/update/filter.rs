//! Typing the table's filter (`/`): the rows narrow as it is typed; `Enter` keeps it, `Esc`
//! clears it, an arrow leaves it and moves.

use tui_input::Input;

use super::rows::{refilter, want_detail};
use super::table;
use crate::tui::commands::Action;
use crate::tui::model::{Effect, Mode, Model};

pub(super) fn act(m: &mut Model, a: Action, fx: &mut Vec<Effect>) {
    m.mode = Mode::Table;
    match a {
        Action::ClearFilter => {
            m.table.filter = Input::default();
            refilter(m);
            want_detail(m, fx);
        }
        Action::Up | Action::Down => table::act(m, a, fx),
        _ => {}
    }
}
