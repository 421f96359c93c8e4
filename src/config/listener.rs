//! `[listener]`: where the public listener binds, the URL customers reach it at, who may
//! say which client is behind a proxy, the per-client limits, where the customer returns
//! after the consent, and TLS.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;

use serde::Deserialize;
use url::Url;

use super::ConfigError;
use super::source::{Source, is_loopback_host, socket_addr};

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_PUBLIC_URL: &str = "http://localhost:8080";
/// Connections open at once from one network (an IPv4 /24, an IPv6 /48) by default: more
/// than one address's 64, since offices and carrier NAT put many customers behind few
/// addresses.
pub const MAX_CONNECTIONS_PER_NETWORK: u32 = 256;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileListener {
    bind: Option<String>,
    public_url: Option<String>,
    client_ip_header: Option<String>,
    trusted_proxies: Option<Vec<String>>,
    rate_limit_per_minute: Option<u32>,
    rate_limit_burst: Option<u32>,
    max_connections_per_client: Option<u32>,
    max_connections_per_network: Option<u32>,
    return_url: Option<String>,
    return_redirect: Option<bool>,
    tls_cert: Option<String>,
    tls_key: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ListenerConfig {
    pub bind: SocketAddr,
    pub public_url: Url,
    /// Header carrying the client address when behind a trusted reverse proxy
    /// (e.g. `X-Forwarded-For`); without it the TCP peer address is used.
    pub client_ip_header: Option<String>,
    /// Peers whose `client_ip_header` is believed (loopback ones always are).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Requests per minute per client on the public routes, and the burst allowed.
    pub rate_limit_per_minute: NonZeroU32,
    pub rate_limit_burst: NonZeroU32,
    /// Connections open at once from one client (trusted proxies exempt).
    pub max_connections_per_client: usize,
    /// Connections open at once from one IPv4 /24 or IPv6 /48 (trusted proxies exempt).
    pub max_connections_per_network: usize,
    /// The company's own page the customer returns to after the consent (with `tenant` and
    /// `outcome` appended); a tenant's own `return_url` wins.
    pub return_url: Option<Url>,
    /// Send the browser there by itself after a consent instead of offering a link.
    pub return_redirect: bool,
    /// Serve HTTPS with this PEM certificate chain and key (reloaded on SIGHUP).
    pub tls: Option<(PathBuf, PathBuf)>,
}

pub(super) fn resolve(src: &Source) -> Result<ListenerConfig, ConfigError> {
    let file: FileListener = src.section("listener")?;
    let bind = socket_addr(
        "listener.bind",
        src.pick("MCP_ONBOARD_BIND", file.bind)
            .unwrap_or_else(|| (DEFAULT_BIND.into(), "the default".into())),
        "127.0.0.1:8080",
    )?;
    let public_url = public_url(src, file.public_url)?;
    let rate_limit_per_minute = src.positive(
        "listener.rate_limit_per_minute",
        "MCP_ONBOARD_RATE_LIMIT_PER_MINUTE",
        file.rate_limit_per_minute,
        60,
    )?;
    let rate_limit_burst = src.positive(
        "listener.rate_limit_burst",
        "MCP_ONBOARD_RATE_LIMIT_BURST",
        file.rate_limit_burst,
        30,
    )?;
    let return_url = match src.pick("MCP_ONBOARD_RETURN_URL", file.return_url) {
        None => None,
        Some((text, from)) => Some(
            crate::domain::lifecycle::validate_return_url(text.trim()).map_err(|detail| {
                ConfigError::Invalid {
                    key: "listener.return_url",
                    value: text.clone(),
                    from,
                    detail,
                }
            })?,
        ),
    };
    let return_redirect = src.flag(
        "listener.return_redirect",
        "MCP_ONBOARD_RETURN_REDIRECT",
        file.return_redirect,
    )?;
    if return_redirect && return_url.is_none() {
        return Err(ConfigError::Invalid {
            key: "listener.return_redirect",
            value: "true".into(),
            from: "the configuration".into(),
            detail: "needs listener.return_url".into(),
        });
    }
    let tls = match (
        src.pick("MCP_ONBOARD_TLS_CERT", file.tls_cert),
        src.pick("MCP_ONBOARD_TLS_KEY", file.tls_key),
    ) {
        (None, None) => None,
        (Some((c, _)), Some((k, _))) => Some((PathBuf::from(c.trim()), PathBuf::from(k.trim()))),
        (Some((v, from)), None) | (None, Some((v, from))) => {
            return Err(ConfigError::Invalid {
                key: "listener.tls_cert",
                value: v,
                from,
                detail: "listener.tls_cert and listener.tls_key go together".into(),
            });
        }
    };
    let max_connections_per_client = src
        .positive(
            "listener.max_connections_per_client",
            "MCP_ONBOARD_MAX_CONNECTIONS_PER_CLIENT",
            file.max_connections_per_client,
            64,
        )?
        .get() as usize;
    let client_ip_header = file.client_ip_header.filter(|h| !h.trim().is_empty());
    if let Some(h) = &client_ip_header
        && axum::http::HeaderName::from_bytes(h.trim().as_bytes()).is_err()
    {
        return Err(ConfigError::Invalid {
            key: "listener.client_ip_header",
            value: h.clone(),
            from: src.label().to_owned(),
            detail: "not a valid HTTP header name".into(),
        });
    }
    let mut trusted_proxies = Vec::new();
    for p in file.trusted_proxies.unwrap_or_default() {
        let ip = p.trim().parse().map_err(|_| ConfigError::Invalid {
            key: "listener.trusted_proxies",
            value: p.clone(),
            from: src.label().to_owned(),
            detail: "expected IP addresses such as \"10.0.0.5\"".into(),
        })?;
        trusted_proxies.push(ip);
    }
    // The listener never applies less than the per-client cap.
    let max_connections_per_network = src
        .positive(
            "listener.max_connections_per_network",
            "MCP_ONBOARD_MAX_CONNECTIONS_PER_NETWORK",
            file.max_connections_per_network,
            MAX_CONNECTIONS_PER_NETWORK,
        )?
        .get() as usize;
    Ok(ListenerConfig {
        bind,
        public_url,
        client_ip_header: client_ip_header.map(|h| h.trim().to_owned()),
        trusted_proxies,
        rate_limit_per_minute,
        rate_limit_burst,
        max_connections_per_client,
        max_connections_per_network,
        return_url,
        return_redirect,
        tls,
    })
}

/// `https://` unless on localhost (Google accepts http redirect URIs only there), with no
/// query or fragment.
fn public_url(src: &Source, file: Option<String>) -> Result<Url, ConfigError> {
    let public_url = src.url(
        "listener.public_url",
        "MCP_ONBOARD_PUBLIC_URL",
        file,
        DEFAULT_PUBLIC_URL,
    )?;
    if public_url.scheme() == "http" && !is_loopback_host(&public_url) {
        return Err(ConfigError::Invalid {
            key: "listener.public_url",
            value: public_url.to_string(),
            from: src.label().to_owned(),
            detail: "must be https:// unless it is localhost: Google only accepts http redirect URIs for localhost, and the customer's browser sends the authorization code to it".into(),
        });
    }
    if public_url.query().is_some() || public_url.fragment().is_some() {
        return Err(ConfigError::Invalid {
            key: "listener.public_url",
            value: public_url.to_string(),
            from: src.label().to_owned(),
            detail: "must not have a query or fragment".into(),
        });
    }
    Ok(public_url)
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn the_per_network_cap_has_a_default_and_is_read_from_the_environment() {
        let c = Config::from_env_pairs(&[]).unwrap();
        assert_eq!(c.listener.max_connections_per_network, 256);
        let c =
            Config::from_env_pairs(&[("MCP_ONBOARD_MAX_CONNECTIONS_PER_NETWORK", "1000")]).unwrap();
        assert_eq!(c.listener.max_connections_per_network, 1000);
        let e = Config::from_env_pairs(&[("MCP_ONBOARD_MAX_CONNECTIONS_PER_NETWORK", "0")])
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("listener.max_connections_per_network"),
            "{e}"
        );
    }
}
