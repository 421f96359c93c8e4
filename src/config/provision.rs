//! `[provision]`: how many Blaxel calls run at once, and how often the reconcile pass
//! compares Blaxel with the store.

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use super::source::Source;

/// A reconcile pass every hour unless told otherwise.
const RECONCILE_INTERVAL: Duration = Duration::from_secs(3600);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileProvision {
    concurrency: Option<usize>,
    reconcile_interval: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ProvisionConfig {
    /// Blaxel calls in flight at once across all tenants.
    pub concurrency: usize,
    /// Time between reconcile passes (drift), the first soon after start; `None`: off.
    pub reconcile_interval: Option<Duration>,
}

pub(super) fn resolve(src: &Source) -> Result<ProvisionConfig, ConfigError> {
    let file: FileProvision = src.section("provision")?;
    let reconcile_interval = src.interval(
        "provision.reconcile_interval",
        "MCP_ONBOARD_RECONCILE_INTERVAL",
        file.reconcile_interval,
        RECONCILE_INTERVAL,
        |_| "a duration of at least 1s (e.g. 1h, 30m) or off".into(),
    )?;
    let concurrency = match src.pick(
        "MCP_ONBOARD_PROVISION_CONCURRENCY",
        file.concurrency.map(|c| c.to_string()),
    ) {
        None => 8,
        Some((text, from)) => match text.trim().parse::<usize>() {
            Ok(n) if (1..=256).contains(&n) => n,
            _ => {
                return Err(ConfigError::Invalid {
                    key: "provision.concurrency",
                    value: text,
                    from,
                    detail: "expected a whole number from 1 to 256".into(),
                });
            }
        },
    };
    Ok(ProvisionConfig {
        concurrency,
        reconcile_interval,
    })
}
