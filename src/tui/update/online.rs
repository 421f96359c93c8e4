//! The set-up panel's online checks: opened from the console (`:setup`, `:check`), run
//! with `o` (one run at a time: `Command::CheckOnline`, which the engine runs with its own
//! config, the owner's for an attached console), and their lines kept for the panel.

use super::effect::{call, flash};
use crate::config::online::{CheckLine, Level as CheckLevel};
use crate::engine::api::Command;
use crate::tui::model::{Effect, Level, Mode, Model, OnlineState, Pending};

/// Open the set-up panel over the table; leaving it comes back.
pub(super) fn open(m: &mut Model) {
    m.online.from_table = true;
    m.mode = Mode::Setup;
}

/// Run the checks, unless a run is under way.
pub(super) fn start(m: &mut Model, fx: &mut Vec<Effect>) {
    if matches!(m.online.state, OnlineState::Running { .. }) {
        flash(m, Level::Info, "the online checks are running".to_owned());
        return;
    }
    let id = m.requests.next_id;
    call(m, fx, Pending::CheckOnline, Command::CheckOnline);
    m.online.state = OnlineState::Running { id };
}

/// Run `id` could not be had (an owner of before these checks, a lost connection).
pub(super) fn refused(m: &mut Model, id: u64, why: &str) {
    if m.online.state != (OnlineState::Running { id }) {
        return;
    }
    m.online.state = OnlineState::NotRun;
    flash(
        m,
        Level::Error,
        format!("✖ the online checks did not run: {why}"),
    );
}

/// The lines of run `id`; those of an earlier run are dropped.
pub(super) fn done(m: &mut Model, id: u64, lines: Vec<CheckLine>) {
    if m.online.state != (OnlineState::Running { id }) {
        return;
    }
    let failed = lines.iter().filter(|l| l.level == CheckLevel::Fail).count();
    let (level, text) = match failed {
        0 => (Level::Ok, "✔ online checks done: nothing failed".to_owned()),
        n => (
            Level::Error,
            format!("✖ online checks done: {n} failed (see their fix)"),
        ),
    };
    m.online.state = OnlineState::Done(lines);
    m.online.scroll = 0;
    flash(m, level, text);
}
