//! Logs go to a daily file under `<data dir>/logs`, never to the terminal (the TUI owns it,
//! and scripts read stdout). `MCP_ONBOARD_LOG` sets the filter (default [`DEFAULT_FILTER`]).
//! sled's own records are left out (see `init`).

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

pub const LOG_FILE_PREFIX: &str = "mcp-onboard.log";

/// `info`, but only warnings from rmcp: it writes several lines at `info` for every MCP
/// session (each MCP check opens one), with what the server said about itself.
pub const DEFAULT_FILTER: &str = "info,rmcp=warn";

/// Daily files kept by default (older ones are deleted).
pub const KEEP_FILES: usize = 14;

/// Install the file logger, keeping at most `keep_files` daily files; keep the guard alive
/// for the process's life.
pub fn init(data_dir: &Path, keep_files: usize) -> Option<WorkerGuard> {
    let dir = data_dir.join("logs");
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .max_log_files(keep_files.max(1))
        .build(&dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("MCP_ONBOARD_LOG")
        .unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let subscriber = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .finish();
    tracing::subscriber::set_global_default(subscriber).ok()?;
    // Records of the `log` crate (reqwest, hyper-util) join the log, but not sled's: sled
    // logs from crossbeam-epoch's deferred frees, which also run while a thread's locals
    // are being destroyed, and the formatter's thread-local buffer is gone by then.
    let _ = tracing_log::LogTracer::builder()
        .ignore_crate("sled")
        .ignore_crate("crossbeam_epoch")
        .init();
    Some(guard)
}
