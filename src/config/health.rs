//! `[health]`: how often the refresh tokens are checked at Google.

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use super::source::Source;

/// Rounds of token checks every 6 hours unless told otherwise.
pub const HEALTH_INTERVAL: Duration = Duration::from_secs(6 * 3600);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileHealth {
    interval: Option<String>,
}

/// Token health checks.
#[derive(Debug, Clone)]
pub struct HealthConfig {
    /// Time between rounds of checks (jittered); `None`: no periodic checks (`health`
    /// still checks on demand).
    pub interval: Option<Duration>,
}

pub(super) fn resolve(src: &Source) -> Result<HealthConfig, ConfigError> {
    let file: FileHealth = src.section("health")?;
    let interval = src.interval(
        "health.interval",
        "MCP_ONBOARD_HEALTH_INTERVAL",
        file.interval,
        HEALTH_INTERVAL,
        |e| match e {
            None => "at least 1s (or `off`)".into(),
            Some(e) => format!("{e} (e.g. 6h, 30m, or off)"),
        },
    )?;
    Ok(HealthConfig { interval })
}
