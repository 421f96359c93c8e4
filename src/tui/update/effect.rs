//! What every part of the update asks for: a call to the engine (its reply comes back by
//! id), a flash to the operator, quitting; and the gate before a command runs.

use crate::engine::api::Command;
use crate::tui::commands::available::{self, Availability};
use crate::tui::commands::{Action, Scope};
use crate::tui::model::{Effect, FLASH_MS, Flash, Level, Model, Pending};

/// Send `command` to the engine, remembering what it was for.
pub(super) fn call(m: &mut Model, fx: &mut Vec<Effect>, p: Pending, command: Command) {
    let id = m.requests.next_id;
    m.requests.next_id += 1;
    m.requests.pending.insert(id, p);
    fx.push(Effect::Call { id, command });
}

pub fn flash(m: &mut Model, level: Level, text: String) {
    m.flash = Some(Flash {
        text,
        level,
        until: m.now + FLASH_MS,
    });
}

pub(super) fn quit_now(m: &mut Model, fx: &mut Vec<Effect>) {
    m.quit = true;
    fx.push(Effect::Quit);
}

/// Whether `a` may run in `scope` now; when it may not, the flash says why.
pub(super) fn allowed(m: &mut Model, scope: Scope, a: Action) -> bool {
    match available::of(scope, a, m) {
        Availability::Blocked(level, why) => {
            flash(m, level, why);
            false
        }
        Availability::Ready | Availability::Unlikely => true,
    }
}
