//! What the owner finds of its own set-up at start (Google client, public URL, Blaxel
//! credentials): the lines of the console's set-up panel. The owner keeps them in its
//! engine and `status` carries them, so a console attached to it shows the owner's state,
//! not what its own configuration would have.

use crate::config::Config;
use crate::engine::api::SetupLine;

/// What `config` (with `demo`, the built-in stand-ins) gives, one line per setting.
pub fn lines(config: &Config, demo: bool) -> Vec<SetupLine> {
    let line = |what: &str, found: Result<String, String>| match found {
        Ok(detail) => SetupLine {
            ok: true,
            what: what.into(),
            detail,
        },
        Err(detail) => SetupLine {
            ok: false,
            what: what.into(),
            detail,
        },
    };
    let google = config
        .google_credentials()
        .map(|c| format!("{} (secret set)", c.client_id))
        .map_err(|e| e.to_string());
    let blaxel = if demo {
        Ok("the built-in Blaxel stand-in (demo)".to_owned())
    } else {
        crate::blaxel::resolve_credentials(
            config.blaxel.workspace.clone(),
            config.blaxel.api_key.clone(),
            None,
        )
        .map(|c| format!("workspace {} at {}", c.workspace, config.blaxel.api_url))
        .map_err(|e| e.to_string())
    };
    vec![
        line("google client", google),
        line(
            "listener.public_url",
            Ok(config.listener.public_url.to_string()),
        ),
        line("blaxel", blaxel),
    ]
}
