//! What a console takes from its owner's `status`. An attached console's own configuration
//! may differ from the owner's (or be missing): the set-up panel, the public URL, the
//! redirect URI and the data dir it shows are the owner's.

use crate::engine::api::StatusView;
use crate::tui::model::{Mode, Model};

pub(super) fn take_status(m: &mut Model, s: &StatusView) {
    if m.setup.owns() {
        // Its own configuration is the owner's: the panel was decided at start.
        return;
    }
    let take = |to: &mut String, from: &str| {
        if !from.is_empty() {
            *to = from.to_owned();
        }
    };
    take(&mut m.setup.public_url, &s.public_url);
    take(&mut m.setup.redirect_uri, &s.redirect_uri);
    take(&mut m.setup.data_dir, &s.data_dir);
    if !s.setup.is_empty() {
        m.setup.problems = s.setup.clone();
    }
    if m.engine.setup_checked {
        return;
    }
    m.engine.setup_checked = true;
    // The first answer decides, as the first frame does for an owning console; only over
    // the bare table, never over what the operator has opened meanwhile.
    let missing = m.setup.problems.iter().any(|p| !p.ok);
    if missing && matches!(m.mode, Mode::Table) {
        m.mode = Mode::Setup;
    }
}
