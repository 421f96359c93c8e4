//! What the owner finds of its own set-up at start (Google client, public URL, Blaxel
//! credentials): the lines of the console's set-up panel. The owner keeps them in its
//! engine and `status` carries them, so a console attached to it shows the owner's state,
//! not what its own configuration would have.

use crate::config::Config;
use crate::config::check::Findings;
use crate::engine::api::SetupLine;

/// What `config` (with `demo`, the built-in stand-ins) gives, one line per setting.
pub fn lines(config: &Config, demo: bool) -> Vec<SetupLine> {
    let line = |what: &str, found: Result<String, String>| {
        let ok = found.is_ok();
        let (Ok(detail) | Err(detail)) = found;
        SetupLine {
            ok,
            what: what.into(),
            detail,
        }
    };
    let found = Findings::of(config, demo);
    vec![
        line("google client", found.google_client()),
        line("listener.public_url", Ok(found.public_url.to_string())),
        line("blaxel", found.blaxel.map(|b| b.to_string())),
    ]
}
