//! Which commands may create the database (with its data dir, log files and key) and which
//! only use one that is there: a command that only reads leaves nothing on disk, and says
//! how to start when there is nothing yet. The one rule is [`Creation::of`].

use std::path::Path;

use anyhow::Result;
use tracing_appender::non_blocking::WorkerGuard;

use super::context::{Context, demo_data_dir};
use super::{Sub, TenantCmd};
use crate::engine::{ApiError, ErrorCode};

/// What a command may do where no database is yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creation {
    /// Create it (and its key, when the key is a file that does not exist yet).
    MayCreate,
    /// Use the database that is there; with none, stop and say how to start.
    Existing,
}

impl Creation {
    /// `serve`, the console (which owns the database when no `serve` runs), and the
    /// commands that add something (`tenant add`, `tenant import`, `link`, `restore`) may
    /// create; every other command acts on what exists. The demo's data is throwaway: with
    /// `--demo` every command may.
    pub fn of(command: Option<&Sub>, demo: bool) -> Self {
        if demo {
            return Creation::MayCreate;
        }
        match command {
            None
            | Some(
                Sub::Serve
                | Sub::Restore { .. }
                | Sub::Tenant(TenantCmd::Add(_) | TenantCmd::Import { .. }),
            ) => Creation::MayCreate,
            Some(Sub::Link(l)) if !l.revoke => Creation::MayCreate,
            _ => Creation::Existing,
        }
    }
}

/// Make what the command may use: the data dir (0700) and the log file in it. A command
/// that may not create logs only where a database is already, and otherwise nowhere.
pub fn prepare(ctx: &Context) -> Result<Option<WorkerGuard>> {
    if ctx.creation == Creation::Existing && !crate::store::exists(&ctx.data_dir) {
        return Ok(None);
    }
    // Before the logger, which would otherwise create the data dir with the umask's mode.
    ctx.create_data_dir()?;
    Ok(crate::logging::init(
        &ctx.data_dir,
        ctx.config.logging.keep_files,
    ))
}

/// Stop unless a database is there (for commands that open it without the engine).
pub async fn require_database(ctx: &Context) -> Result<()> {
    if crate::store::exists(&ctx.data_dir) {
        Ok(())
    } else {
        Err(nothing_yet(&ctx.data_dir).await.into())
    }
}

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
    match demo_data_dir() {
        Some(dir) => listening(&dir).await,
        None => false,
    }
}

/// Whether a process listens on the control socket in `dir` (a connection, nothing sent).
async fn listening(dir: &Path) -> bool {
    let connect = tokio::net::UnixStream::connect(crate::control::socket_path(dir));
    matches!(
        tokio::time::timeout(std::time::Duration::from_secs(2), connect).await,
        Ok(Ok(_))
    )
}

/// A console started without `--demo` where no database is yet, while a `--demo` owner
/// runs: the operator most likely meant the demo, so ask before a real database (and its
/// key) is created beside it. `false`: nothing is to be done.
pub async fn console_may_create(ctx: &Context) -> Result<bool> {
    if ctx.demo
        || crate::store::exists(&ctx.data_dir)
        || listening(&ctx.data_dir).await
        || !demo_owner_runs().await
    {
        return Ok(true);
    }
    let question = format!(
        "A --demo owner is running (`mcp-onboard --demo` opens a console on it), and there is \
         no database in {} yet. Create a real database and key there? [y/N] ",
        ctx.data_dir.display()
    );
    if super::confirm(false, &question, "a real database would be created")? {
        return Ok(true);
    }
    eprintln!("nothing created; `mcp-onboard --demo` opens a console on the demo");
    Ok(false)
}
