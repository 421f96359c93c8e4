//! Whole-number settings: one parser for every "at least 1" key, and the listener's
//! per-network connection cap.

use std::num::NonZeroU32;

use super::{ConfigError, Source};

/// Connections open at once from one network (an IPv4 /24, an IPv6 /48) by default: more
/// than one address's 64, since offices and carrier NAT put many customers behind few
/// addresses.
pub const MAX_CONNECTIONS_PER_NETWORK: u32 = 256;

impl Source<'_> {
    /// A whole number of at least 1: the environment, the file, else `default`.
    pub(super) fn positive(
        &self,
        key: &'static str,
        env: &str,
        file: Option<u32>,
        default: u32,
    ) -> Result<NonZeroU32, ConfigError> {
        match self.pick(env, file.map(|v| v.to_string())) {
            None => Ok(NonZeroU32::new(default).unwrap_or(NonZeroU32::MIN)),
            Some((text, from)) => {
                text.trim()
                    .parse::<NonZeroU32>()
                    .map_err(|_| ConfigError::Invalid {
                        key,
                        value: text.clone(),
                        from,
                        detail: "expected a whole number of at least 1".into(),
                    })
            }
        }
    }

    /// `listener.max_connections_per_network` (the listener never applies less than the
    /// per-client cap).
    pub(super) fn max_connections_per_network(
        &self,
        file: Option<u32>,
    ) -> Result<usize, ConfigError> {
        let n = self.positive(
            "listener.max_connections_per_network",
            "MCP_ONBOARD_MAX_CONNECTIONS_PER_NETWORK",
            file,
            MAX_CONNECTIONS_PER_NETWORK,
        )?;
        Ok(n.get() as usize)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn load(env: &[(&str, &str)]) -> Result<Config, crate::config::ConfigError> {
        let env: std::collections::HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::load(None, false, &|k| env.get(k).cloned())
    }

    #[test]
    fn the_per_network_cap_has_a_default_and_is_read_from_the_environment() {
        let c = load(&[]).unwrap();
        assert_eq!(c.listener.max_connections_per_network, 256);
        let c = load(&[("MCP_ONBOARD_MAX_CONNECTIONS_PER_NETWORK", "1000")]).unwrap();
        assert_eq!(c.listener.max_connections_per_network, 1000);
        let e = load(&[("MCP_ONBOARD_MAX_CONNECTIONS_PER_NETWORK", "0")]).unwrap_err();
        assert!(
            e.to_string()
                .contains("listener.max_connections_per_network"),
            "{e}"
        );
    }
}
