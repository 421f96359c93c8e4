//! `[health]`: how often the refresh tokens are checked at Google, and how often (and how
//! patiently) each deployed MCP server is called.

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use super::source::Source;

/// Rounds of token checks every 6 hours unless told otherwise.
pub const HEALTH_INTERVAL: Duration = Duration::from_secs(6 * 3600);
/// Rounds of MCP checks every 15 minutes unless told otherwise.
pub const MCP_INTERVAL: Duration = Duration::from_secs(15 * 60);
/// Failed MCP checks in a row that make a server unreachable unless told otherwise.
pub const MCP_FAILURES: u32 = 3;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileHealth {
    interval: Option<String>,
    mcp_interval: Option<String>,
    mcp_failures: Option<u32>,
}

/// Token health checks and MCP checks.
#[derive(Debug, Clone)]
pub struct HealthConfig {
    /// Time between rounds of checks (jittered); `None`: no periodic checks (`health`
    /// still checks on demand).
    pub interval: Option<Duration>,
    /// Time between rounds of MCP checks (jittered); `None`: only after a deploy and on
    /// demand.
    pub mcp_interval: Option<Duration>,
    /// Failed MCP checks in a row after which the server is shown unreachable.
    pub mcp_failures: u32,
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
    let mcp_interval = src.interval(
        "health.mcp_interval",
        "MCP_ONBOARD_HEALTH_MCP_INTERVAL",
        file.mcp_interval,
        MCP_INTERVAL,
        |e| match e {
            None => "at least 1s (or `off`)".into(),
            Some(e) => format!("{e} (e.g. 15m, 1h, or off)"),
        },
    )?;
    let mcp_failures = src
        .positive(
            "health.mcp_failures",
            "MCP_ONBOARD_HEALTH_MCP_FAILURES",
            file.mcp_failures,
            MCP_FAILURES,
        )?
        .get();
    Ok(HealthConfig {
        interval,
        mcp_interval,
        mcp_failures,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::config::Config;

    fn load(env: &[(&str, &str)], file: Option<&str>) -> Result<HealthConfig, ConfigError> {
        let map: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        if let Some(text) = file {
            std::fs::write(&path, text).unwrap();
        }
        let at = file.map(|_| path.as_path());
        Config::load(at, false, &|k| map.get(k).cloned()).map(|c| c.health)
    }

    #[test]
    fn mcp_checks_every_15_minutes_and_unreachable_after_3_failures_unless_told() {
        let h = load(&[], None).unwrap();
        assert_eq!(h.mcp_interval, Some(MCP_INTERVAL));
        assert_eq!(h.mcp_failures, 3);
        let h = load(
            &[
                ("MCP_ONBOARD_HEALTH_MCP_INTERVAL", "off"),
                ("MCP_ONBOARD_HEALTH_MCP_FAILURES", "5"),
            ],
            Some("[health]\nmcp_interval = \"1h\"\nmcp_failures = 2\n"),
        )
        .unwrap();
        assert_eq!((h.mcp_interval, h.mcp_failures), (None, 5), "env first");
        let h = load(
            &[],
            Some("[health]\nmcp_interval = \"2m\"\nmcp_failures = 2\n"),
        )
        .unwrap();
        assert_eq!(
            (h.mcp_interval, h.mcp_failures),
            (Some(Duration::from_secs(120)), 2)
        );
        for (key, value) in [
            ("MCP_ONBOARD_HEALTH_MCP_FAILURES", "0"),
            ("MCP_ONBOARD_HEALTH_MCP_INTERVAL", "10ms"),
            ("MCP_ONBOARD_HEALTH_MCP_INTERVAL", "soon"),
        ] {
            let err = load(&[(key, value)], None).unwrap_err().to_string();
            assert!(err.contains("health.mcp_"), "{key}={value}: {err}");
        }
    }
}
