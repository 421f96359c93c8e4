//! Where mcp-onboard keeps its files unless told otherwise: the user's config directory
//! (`config.toml`, `secret.key`, `message.txt`) and data directory (the database, logs and
//! control socket), and the demo's own data directory beside it.

use std::path::PathBuf;

fn project() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "mcp-onboard")
}

/// The user's config directory for mcp-onboard (none without a home directory).
pub fn config_dir() -> Option<PathBuf> {
    project().map(|p| p.config_dir().to_owned())
}

/// The user's data directory for mcp-onboard (none without a home directory).
pub fn data_dir() -> Option<PathBuf> {
    project().map(|p| p.data_dir().to_owned())
}

/// Where `--demo` keeps its data and key, whatever else is configured.
pub fn demo_data_dir() -> Option<PathBuf> {
    data_dir().map(|d| d.join("demo"))
}
