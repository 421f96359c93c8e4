//! The set-up panel's online checks: opened from the console (`:setup`, `:check`), run
//! with `o` (one run at a time, off the UI thread: an effect, its lines back as a message
//! with the run's id), and their lines kept for the panel.

use super::effect::flash;
use crate::config::online::{CheckLine, Level as CheckLevel};
use crate::tui::model::{Effect, Level, Mode, Model, OnlineState};

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
    m.requests.next_id += 1;
    m.online.state = OnlineState::Running { id };
    fx.push(Effect::CheckOnline { id });
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
    flash(m, level, text);
}
