//! What can be wrong with the configuration: each error names the key, and where it came
//! from or where to set it.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConfigError {
    /// The IO error is in the message, not the source chain: it is said once.
    #[error("cannot read config file {path}: {}", io_text(error))]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("config file {path} is not valid: {detail}")]
    Parse { path: PathBuf, detail: String },
    #[error(
        "missing {key}: set `{field}` under [{section}] in {file}, or the environment variable {env}"
    )]
    Missing {
        key: &'static str,
        section: &'static str,
        field: &'static str,
        env: &'static str,
        file: String,
    },
    /// A setting whose parts do not fit together (or that names nothing there is).
    #[error("invalid {key}: {detail}")]
    Conflict { key: String, detail: String },
    #[error("invalid {key} {value:?} (from {from}): {detail}")]
    Invalid {
        key: &'static str,
        value: String,
        from: String,
        detail: String,
    },
}

fn io_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "it does not exist".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
