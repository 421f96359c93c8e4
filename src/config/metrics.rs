//! `[metrics]`: where `/metrics` is served, if anywhere; never on the public listener.

use std::net::SocketAddr;

use serde::Deserialize;

use super::ConfigError;
use super::source::{Source, socket_addr};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMetrics {
    bind: Option<String>,
}

/// The metrics bind (`None`: off); `public`, the listener's, is refused.
pub(super) fn resolve(src: &Source, public: SocketAddr) -> Result<Option<SocketAddr>, ConfigError> {
    let file: FileMetrics = src.section("metrics")?;
    let Some((text, from)) = src.pick("MCP_ONBOARD_METRICS_BIND", file.bind) else {
        return Ok(None);
    };
    let addr = socket_addr(
        "metrics.bind",
        (text.clone(), from.clone()),
        "127.0.0.1:9090",
    )?;
    if addr == public {
        return Err(ConfigError::Invalid {
            key: "metrics.bind",
            value: text,
            from,
            detail: "must not be the public listener's address".into(),
        });
    }
    Ok(Some(addr))
}
