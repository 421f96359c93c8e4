//! How an error that ends a command is reported to scripts: a documented code from what
//! caused it, and with `--json` one JSON object on stderr.

/// The documented code of an error that ends a command, from what caused it.
pub fn error_code(e: &anyhow::Error) -> crate::engine::ErrorCode {
    use crate::engine::{ApiError, EngineError, ErrorCode};
    use crate::store::StoreError;
    for cause in e.chain() {
        if let Some(a) = cause.downcast_ref::<ApiError>() {
            return a.code;
        }
        if let Some(a) = cause.downcast_ref::<EngineError>() {
            return a.code();
        }
        if cause.downcast_ref::<crate::config::ConfigError>().is_some() {
            return ErrorCode::InvalidInput;
        }
        if let Some(s) = cause.downcast_ref::<StoreError>() {
            return match s {
                StoreError::Locked { .. } => ErrorCode::Conflict,
                StoreError::Key(_)
                | StoreError::WrongKey
                | StoreError::KeyCheckMissing { .. }
                | StoreError::BackupRefused(_) => ErrorCode::InvalidInput,
                StoreError::Closed(_) => ErrorCode::Unavailable,
                _ => ErrorCode::Internal,
            };
        }
        if cause.downcast_ref::<std::io::Error>().is_some() {
            return ErrorCode::Unavailable;
        }
    }
    ErrorCode::Internal
}

/// An error as `--json` prints it on stderr: `{"error": {"code", "message"}}`.
pub fn error_json(e: &anyhow::Error) -> String {
    serde_json::json!({
        "error": {
            "code": error_code(e).as_str(),
            "message": format!("{e:#}"),
        }
    })
    .to_string()
}
