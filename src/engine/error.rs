//! Errors: the engine's own ([`EngineError`]) and the typed form every face sees, in
//! process or over the control socket ([`ApiError`]: a stable code and a message).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::config::ConfigError;
use crate::domain::lifecycle::InvalidInput;
use crate::domain::transition::TransitionError;
use crate::store::StoreError;

#[derive(Debug, Error)]
pub enum EngineError {
    #[error("no tenant {0:?}; `mcp-onboard tenant list` shows the tenants")]
    UnknownTenant(String),
    #[error("a tenant {0:?} already exists")]
    Exists(String),
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unavailable(String),
}

/// The small, documented set of error codes scripts can rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidInput,
    NotFound,
    Conflict,
    Unavailable,
    Internal,
    VersionMismatch,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
            ErrorCode::VersionMismatch => "version_mismatch",
        }
    }
}

/// An error as it crosses to a face: `{code, message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl EngineError {
    pub fn code(&self) -> ErrorCode {
        match self {
            EngineError::UnknownTenant(_) => ErrorCode::NotFound,
            EngineError::Exists(_) | EngineError::Conflict(_) => ErrorCode::Conflict,
            EngineError::Invalid(_) | EngineError::BadRequest(_) | EngineError::Config(_) => {
                ErrorCode::InvalidInput
            }
            EngineError::Transition(_) => ErrorCode::Conflict,
            EngineError::Unavailable(_) => ErrorCode::Unavailable,
            EngineError::Store(StoreError::Closed(_) | StoreError::NotLeader(_)) => {
                ErrorCode::Unavailable
            }
            EngineError::Store(_) => ErrorCode::Internal,
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        ApiError::new(e.code(), e.to_string())
    }
}
