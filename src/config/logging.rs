//! `[logging]`: how many daily log files are kept.

use serde::Deserialize;

use super::ConfigError;
use super::source::Source;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLogging {
    keep_files: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct LoggingConfig {
    /// Daily log files kept; older ones are deleted.
    pub keep_files: usize,
}

pub(super) fn resolve(src: &Source) -> Result<LoggingConfig, ConfigError> {
    let file: FileLogging = src.section("logging")?;
    let keep_files = src.positive(
        "logging.keep_files",
        "MCP_ONBOARD_LOG_KEEP_FILES",
        file.keep_files,
        crate::logging::KEEP_FILES as u32,
    )?;
    Ok(LoggingConfig {
        keep_files: keep_files.get() as usize,
    })
}
