//! Looking before anything is created: whether a process listens on a control socket (this
//! data dir's, or the demo's), and what a command that only reads says where there is no
//! database yet.

use std::path::Path;

use crate::engine::{ApiError, ErrorCode};

/// What a command that only reads says where nothing was ever created.
pub async fn nothing_yet(data_dir: &Path) -> ApiError {
    let dir = data_dir.display();
    let message = if demo_owner_runs().await {
        format!(
            "nothing here yet: no database in {dir}, and a --demo owner is running: add --demo \
             to talk to it (`mcp-onboard serve` starts a real one)"
        )
    } else {
        format!(
            "nothing here yet: no database in {dir}. `mcp-onboard serve` (or the console, \
             `mcp-onboard`) creates one, as `mcp-onboard tenant add SLUG` does; \
             `mcp-onboard --demo` tries everything first against built-in stand-ins"
        )
    };
    ApiError::new(ErrorCode::NotFound, message)
}

/// Whether an owner started with `--demo` answers on the demo's control socket.
pub async fn demo_owner_runs() -> bool {
    match crate::config::dirs::demo_data_dir() {
        Some(dir) => listening(&dir).await,
        None => false,
    }
}

/// Whether a process listens on the control socket in `dir` (a connection, nothing sent).
pub async fn listening(dir: &Path) -> bool {
    let connect = tokio::net::UnixStream::connect(crate::control::socket_path(dir));
    matches!(
        tokio::time::timeout(std::time::Duration::from_secs(2), connect).await,
        Ok(Ok(_))
    )
}
