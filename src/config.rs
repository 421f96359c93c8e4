//! Configuration: one precedence for every key (environment > config file > default), and
//! errors that name the missing key and where to set it.
//!
//! Blaxel credentials may also come from the official CLI's `~/.blaxel/config.yaml`; that
//! lookup belongs to the Blaxel module and happens only when provisioning needs them.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;
use thiserror::Error;
use url::Url;

mod numbers;
mod webhook_id;
use webhook_id::webhook_id;

pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const GOOGLE_REVOKE_URL: &str = "https://oauth2.googleapis.com/revoke";
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
pub const BLAXEL_API_URL: &str = "https://api.blaxel.ai/v0";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_PUBLIC_URL: &str = "http://localhost:8080";
pub const CALLBACK_PATH: &str = "/oauth/callback";

#[derive(Debug, Error)]
pub enum ConfigError {
    /// The IO error is in the message, not the source chain: it is said once.
    #[error("cannot read config file {path}: {}", io_text(error))]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("config file {path} is not valid: {detail}")]
    Parse { path: PathBuf, detail: String },
    #[error(
        "missing {key}: set `{field}` under [{section}] in {file}, or the environment variable {env}"
    )]
    Missing {
        key: &'static str,
        section: &'static str,
        field: &'static str,
        env: &'static str,
        file: String,
    },
    #[error("invalid {key} {value:?} (from {from}): {detail}")]
    Invalid {
        key: &'static str,
        value: String,
        from: String,
        detail: String,
    },
}

fn io_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "it does not exist".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    listener: FileListener,
    #[serde(default)]
    google: FileGoogle,
    #[serde(default)]
    blaxel: FileBlaxel,
    #[serde(default)]
    provision: FileProvision,
    #[serde(default)]
    logging: FileLogging,
    #[serde(default)]
    health: FileHealth,
    #[serde(default)]
    webhook: Vec<FileWebhook>,
    #[serde(default)]
    metrics: FileMetrics,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMetrics {
    bind: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWebhook {
    /// How deliveries to it are recorded (else a keyed hash of its URL).
    id: Option<String>,
    url: String,
    secret: String,
    events: Option<Vec<String>>,
}

/// The event types a webhook can receive.
pub const WEBHOOK_EVENTS: [&str; 5] = [
    "tenant.consented",
    "tenant.deployed",
    "tenant.failed",
    "tenant.needs_reconsent",
    "tenant.offboarded",
];

/// A receiver of tenant events (Standard Webhooks signing).
#[derive(Clone)]
pub struct WebhookConfig {
    /// The operator's name for it (`[[webhook]] id`): deliveries are recorded under it, so
    /// they stay its own if its URL changes. Without one, under a keyed hash of the URL.
    pub id: Option<String>,
    pub url: Url,
    /// The signing key: the base64 after `whsec_`, decoded.
    pub key: zeroize::Zeroizing<Vec<u8>>,
    /// The event types it wants (all when `None`).
    pub events: Option<Vec<String>>,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("id", &self.id)
            .field("url", &self.url.as_str())
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

impl WebhookConfig {
    pub fn wants(&self, event_type: &str) -> bool {
        self.events
            .as_ref()
            .is_none_or(|e| e.iter().any(|x| x == event_type))
    }
}

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
    pub interval: Option<std::time::Duration>,
}

/// Rounds of token checks every 6 hours unless told otherwise.
pub const HEALTH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

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
    pub reconcile_interval: Option<std::time::Duration>,
}

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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileGoogle {
    client_id: Option<String>,
    client_secret: Option<String>,
    auth_url: Option<String>,
    token_url: Option<String>,
    revoke_url: Option<String>,
    issuer: Option<String>,
    app_in_testing: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBlaxel {
    api_url: Option<String>,
    workspace: Option<String>,
    api_key: Option<String>,
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

#[derive(Debug, Clone)]
pub struct GoogleConfig {
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub auth_url: Url,
    pub token_url: Url,
    pub revoke_url: Url,
    /// The `iss` every id_token must carry.
    pub issuer: String,
    /// The OAuth app is in Testing status: Google expires refresh tokens 7 days after
    /// consent, and `tenant show` counts down to it.
    pub app_in_testing: bool,
}

#[derive(Debug, Clone)]
pub struct BlaxelConfig {
    pub api_url: Url,
    pub workspace: Option<String>,
    pub api_key: Option<SecretString>,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The file read, if any (named in error messages).
    pub file: Option<PathBuf>,
    pub listener: ListenerConfig,
    pub google: GoogleConfig,
    pub blaxel: BlaxelConfig,
    pub provision: ProvisionConfig,
    pub logging: LoggingConfig,
    pub health: HealthConfig,
    pub webhooks: Vec<WebhookConfig>,
    /// Where `/metrics` is served (off when `None`); never the public listener.
    pub metrics_bind: Option<SocketAddr>,
}

/// Google client credentials, present and checked.
#[derive(Debug, Clone)]
pub struct GoogleCredentials {
    pub client_id: String,
    pub client_secret: SecretString,
}

struct Source<'a> {
    file: &'a str,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Source<'_> {
    /// Environment first, then the file; empty values count as unset.
    /// A true/false setting (`true`, `false`, `1`, `0`, `yes`, `no`); false when unset.
    fn flag(
        &self,
        key: &'static str,
        env: &str,
        file_value: Option<String>,
    ) -> Result<bool, ConfigError> {
        match self.pick(env, file_value) {
            None => Ok(false),
            Some((text, from)) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err(ConfigError::Invalid {
                    key,
                    value: text,
                    from,
                    detail: "true or false".into(),
                }),
            },
        }
    }

    fn pick(&self, env: &str, file_value: Option<String>) -> Option<(String, String)> {
        (self.env)(env)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (v, format!("environment variable {env}")))
            .or_else(|| {
                file_value
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (v, self.file.to_owned()))
            })
    }

    fn url(
        &self,
        key: &'static str,
        env: &str,
        file_value: Option<String>,
        default: &str,
    ) -> Result<Url, ConfigError> {
        let (value, from) = self
            .pick(env, file_value)
            .unwrap_or_else(|| (default.to_owned(), "the default".to_owned()));
        let url = Url::parse(value.trim()).map_err(|e| ConfigError::Invalid {
            key,
            value: value.clone(),
            from: from.clone(),
            detail: e.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(ConfigError::Invalid {
                key,
                value,
                from,
                detail: "expected an http:// or https:// URL".into(),
            });
        }
        Ok(url)
    }

    /// A URL of a service we send secrets to: `https://` unless it is on loopback.
    fn secret_url(
        &self,
        key: &'static str,
        env: &str,
        file_value: Option<String>,
        default: &str,
    ) -> Result<Url, ConfigError> {
        let url = self.url(key, env, file_value.clone(), default)?;
        if url.scheme() == "http" && !is_loopback_host(&url) {
            let from = self
                .pick(env, file_value)
                .map(|(_, f)| f)
                .unwrap_or_else(|| "the default".into());
            return Err(ConfigError::Invalid {
                key,
                value: url.to_string(),
                from,
                detail: "must be https:// unless it is a loopback address: the client secret, PKCE verifiers, refresh tokens and the Blaxel key travel to it".into(),
            });
        }
        Ok(url)
    }
}

/// Where and what, without the offending line: the file may hold secrets, and this text
/// ends up on a terminal or in a journal.
fn parse_detail(text: &str, e: &toml::de::Error) -> String {
    let at = e
        .span()
        .map(|span| {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: ")
        })
        .unwrap_or_default();
    format!("{at}{}", e.message().trim())
}

fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl Config {
    /// Read `path` (if it exists, or fail if `required`) and overlay the environment.
    pub fn load(
        path: Option<&Path>,
        required: bool,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let (file_cfg, file) = match path {
            Some(p) => match std::fs::read_to_string(p) {
                Ok(text) => {
                    let cfg: FileConfig =
                        toml::from_str(&text).map_err(|e| ConfigError::Parse {
                            path: p.to_owned(),
                            detail: parse_detail(&text, &e),
                        })?;
                    (cfg, Some(p.to_owned()))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                    (FileConfig::default(), None)
                }
                Err(error) => {
                    return Err(ConfigError::Read {
                        path: p.to_owned(),
                        error,
                    });
                }
            },
            None => (FileConfig::default(), None),
        };
        let file_name = path
            .map(|p| format!("config file {}", p.display()))
            .unwrap_or_else(|| "the config file".into());
        let src = Source {
            file: &file_name,
            env,
        };
        let FileConfig {
            listener,
            google,
            blaxel,
            provision,
            logging,
            health,
            webhook,
            metrics,
        } = file_cfg;
        let mut webhooks = Vec::new();
        for (i, w) in webhook.into_iter().enumerate() {
            let from = file_name.clone();
            let url = Url::parse(w.url.trim())
                .ok()
                .filter(|u| u.scheme() == "https" || (u.scheme() == "http" && is_loopback_host(u)))
                .ok_or_else(|| ConfigError::Invalid {
                    key: "webhook.url",
                    value: w.url.clone(),
                    from: format!("{from}, webhook {}", i + 1),
                    detail: "expected an https:// URL (plain http:// only on a loopback address)"
                        .into(),
                })?;
            use base64::Engine as _;
            let decoded = w
                .secret
                .trim()
                .strip_prefix("whsec_")
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .filter(|k| (24..=64).contains(&k.len()))
                .ok_or_else(|| ConfigError::Invalid {
                    key: "webhook.secret",
                    value: "(hidden)".into(),
                    from: format!("{from}, webhook {}", i + 1),
                    detail: "expected whsec_ followed by base64 of 24 to 64 bytes (e.g. `echo whsec_$(head -c 32 /dev/urandom | base64)`)".into(),
                })?;
            if let Some(bad) = w
                .events
                .iter()
                .flatten()
                .find(|e| !WEBHOOK_EVENTS.contains(&e.as_str()))
            {
                return Err(ConfigError::Invalid {
                    key: "webhook.events",
                    value: bad.clone(),
                    from: format!("{from}, webhook {}", i + 1),
                    detail: format!("expected some of {}", WEBHOOK_EVENTS.join(", ")),
                });
            }
            let id = webhook_id(w.id, &webhooks, &format!("{from}, webhook {}", i + 1))?;
            webhooks.push(WebhookConfig {
                id,
                url,
                key: zeroize::Zeroizing::new(decoded),
                events: w.events,
            });
        }
        let health_interval = match src.pick("MCP_ONBOARD_HEALTH_INTERVAL", health.interval) {
            None => Some(HEALTH_INTERVAL),
            Some((text, from)) => {
                let t = text.trim();
                if t.eq_ignore_ascii_case("off") {
                    None
                } else {
                    match humantime::parse_duration(t) {
                        Ok(d) if d >= std::time::Duration::from_secs(1) => Some(d),
                        Ok(_) => {
                            return Err(ConfigError::Invalid {
                                key: "health.interval",
                                value: text,
                                from,
                                detail: "at least 1s (or `off`)".into(),
                            });
                        }
                        Err(e) => {
                            return Err(ConfigError::Invalid {
                                key: "health.interval",
                                value: text,
                                from,
                                detail: format!("{e} (e.g. 6h, 30m, or off)"),
                            });
                        }
                    }
                }
            }
        };
        let app_in_testing = src.flag(
            "google.app_in_testing",
            "GOOGLE_APP_IN_TESTING",
            google.app_in_testing.map(|b| b.to_string()),
        )?;
        let reconcile_interval = match src.pick(
            "MCP_ONBOARD_RECONCILE_INTERVAL",
            provision.reconcile_interval.clone(),
        ) {
            None => Some(std::time::Duration::from_secs(3600)),
            Some((text, _)) if text.trim().eq_ignore_ascii_case("off") => None,
            Some((text, from)) => match humantime::parse_duration(text.trim()) {
                Ok(d) if d >= std::time::Duration::from_secs(1) => Some(d),
                _ => {
                    return Err(ConfigError::Invalid {
                        key: "provision.reconcile_interval",
                        value: text,
                        from,
                        detail: "a duration of at least 1s (e.g. 1h, 30m) or off".into(),
                    });
                }
            },
        };
        let concurrency = match src.pick(
            "MCP_ONBOARD_PROVISION_CONCURRENCY",
            provision.concurrency.map(|c| c.to_string()),
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

        let (bind_text, bind_from) = src
            .pick("MCP_ONBOARD_BIND", listener.bind)
            .unwrap_or_else(|| (DEFAULT_BIND.into(), "the default".into()));
        let bind = bind_text
            .trim()
            .parse::<SocketAddr>()
            .map_err(|e| ConfigError::Invalid {
                key: "listener.bind",
                value: bind_text.clone(),
                from: bind_from,
                detail: format!("{e}; expected address:port such as 127.0.0.1:8080"),
            })?;
        let public_url = src.url(
            "listener.public_url",
            "MCP_ONBOARD_PUBLIC_URL",
            listener.public_url,
            DEFAULT_PUBLIC_URL,
        )?;
        if public_url.scheme() == "http" && !is_loopback_host(&public_url) {
            return Err(ConfigError::Invalid {
                key: "listener.public_url",
                value: public_url.to_string(),
                from: file_name.clone(),
                detail: "must be https:// unless it is localhost: Google only accepts http redirect URIs for localhost, and the customer's browser sends the authorization code to it".into(),
            });
        }
        if public_url.query().is_some() || public_url.fragment().is_some() {
            return Err(ConfigError::Invalid {
                key: "listener.public_url",
                value: public_url.to_string(),
                from: file_name.clone(),
                detail: "must not have a query or fragment".into(),
            });
        }
        let positive = |key, env: &str, file, default| src.positive(key, env, file, default);
        let rate_limit_per_minute = positive(
            "listener.rate_limit_per_minute",
            "MCP_ONBOARD_RATE_LIMIT_PER_MINUTE",
            listener.rate_limit_per_minute,
            60,
        )?;
        let rate_limit_burst = positive(
            "listener.rate_limit_burst",
            "MCP_ONBOARD_RATE_LIMIT_BURST",
            listener.rate_limit_burst,
            30,
        )?;
        let return_url = match src.pick("MCP_ONBOARD_RETURN_URL", listener.return_url) {
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
            listener.return_redirect.map(|b| b.to_string()),
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
            src.pick("MCP_ONBOARD_TLS_CERT", listener.tls_cert.clone()),
            src.pick("MCP_ONBOARD_TLS_KEY", listener.tls_key.clone()),
        ) {
            (None, None) => None,
            (Some((c, _)), Some((k, _))) => {
                Some((PathBuf::from(c.trim()), PathBuf::from(k.trim())))
            }
            (Some((v, from)), None) | (None, Some((v, from))) => {
                return Err(ConfigError::Invalid {
                    key: "listener.tls_cert",
                    value: v,
                    from,
                    detail: "listener.tls_cert and listener.tls_key go together".into(),
                });
            }
        };
        let metrics_bind = match src.pick("MCP_ONBOARD_METRICS_BIND", metrics.bind) {
            None => None,
            Some((text, from)) => {
                let addr = text
                    .trim()
                    .parse::<SocketAddr>()
                    .map_err(|e| ConfigError::Invalid {
                        key: "metrics.bind",
                        value: text.clone(),
                        from: from.clone(),
                        detail: format!("{e}; expected address:port such as 127.0.0.1:9090"),
                    })?;
                if addr == bind {
                    return Err(ConfigError::Invalid {
                        key: "metrics.bind",
                        value: text,
                        from,
                        detail: "must not be the public listener's address".into(),
                    });
                }
                Some(addr)
            }
        };
        let max_connections_per_client = positive(
            "listener.max_connections_per_client",
            "MCP_ONBOARD_MAX_CONNECTIONS_PER_CLIENT",
            listener.max_connections_per_client,
            64,
        )?
        .get() as usize;
        let client_ip_header = listener.client_ip_header.filter(|h| !h.trim().is_empty());
        if let Some(h) = &client_ip_header
            && axum::http::HeaderName::from_bytes(h.trim().as_bytes()).is_err()
        {
            return Err(ConfigError::Invalid {
                key: "listener.client_ip_header",
                value: h.clone(),
                from: file_name.clone(),
                detail: "not a valid HTTP header name".into(),
            });
        }
        let mut trusted_proxies = Vec::new();
        for p in listener.trusted_proxies.unwrap_or_default() {
            let ip = p.trim().parse().map_err(|_| ConfigError::Invalid {
                key: "listener.trusted_proxies",
                value: p.clone(),
                from: file_name.clone(),
                detail: "expected IP addresses such as \"10.0.0.5\"".into(),
            })?;
            trusted_proxies.push(ip);
        }
        let google = GoogleConfig {
            client_id: src.pick("GOOGLE_CLIENT_ID", google.client_id).map(|v| v.0),
            client_secret: src
                .pick("GOOGLE_CLIENT_SECRET", google.client_secret)
                .map(|v| SecretString::from(v.0)),
            auth_url: src.secret_url(
                "google.auth_url",
                "GOOGLE_AUTH_URL",
                google.auth_url,
                GOOGLE_AUTH_URL,
            )?,
            token_url: src.secret_url(
                "google.token_url",
                "GOOGLE_TOKEN_URL",
                google.token_url,
                GOOGLE_TOKEN_URL,
            )?,
            revoke_url: src.secret_url(
                "google.revoke_url",
                "GOOGLE_REVOKE_URL",
                google.revoke_url,
                GOOGLE_REVOKE_URL,
            )?,
            issuer: src
                .pick("GOOGLE_ISSUER", google.issuer)
                .map(|v| v.0.trim().to_owned())
                .unwrap_or_else(|| GOOGLE_ISSUER.to_owned()),
            app_in_testing,
        };
        let blaxel = BlaxelConfig {
            api_url: src.secret_url(
                "blaxel.api_url",
                "BL_API_URL",
                blaxel.api_url,
                BLAXEL_API_URL,
            )?,
            workspace: src.pick("BL_WORKSPACE", blaxel.workspace).map(|v| v.0),
            api_key: src
                .pick("BL_API_KEY", blaxel.api_key)
                .map(|v| SecretString::from(v.0)),
        };
        Ok(Self {
            file,
            listener: ListenerConfig {
                bind,
                public_url,
                client_ip_header: client_ip_header.map(|h| h.trim().to_owned()),
                trusted_proxies,
                rate_limit_per_minute,
                rate_limit_burst,
                max_connections_per_network: src
                    .max_connections_per_network(listener.max_connections_per_network)?,
                max_connections_per_client,
                return_url,
                return_redirect,
                tls,
            },
            google,
            blaxel,
            provision: ProvisionConfig {
                concurrency,
                reconcile_interval,
            },
            logging: LoggingConfig {
                keep_files: positive(
                    "logging.keep_files",
                    "MCP_ONBOARD_LOG_KEEP_FILES",
                    logging.keep_files,
                    crate::logging::KEEP_FILES as u32,
                )?
                .get() as usize,
            },
            health: HealthConfig {
                interval: health_interval,
            },
            webhooks,
            metrics_bind,
        })
    }

    fn file_label(&self) -> String {
        self.file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "the config file".into())
    }

    /// The exact redirect URI to register in Google Cloud.
    pub fn redirect_uri(&self) -> Url {
        self.public_path(CALLBACK_PATH)
    }

    /// `public_url` joined with an absolute path, keeping any path prefix of `public_url`.
    pub fn public_path(&self, path: &str) -> Url {
        let mut url = self.listener.public_url.clone();
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}{path}"));
        url
    }

    pub fn google_credentials(&self) -> Result<GoogleCredentials, ConfigError> {
        let client_id = self.google.client_id.clone().ok_or(ConfigError::Missing {
            key: "google.client_id",
            section: "google",
            field: "client_id",
            env: "GOOGLE_CLIENT_ID",
            file: self.file_label(),
        })?;
        let client_secret = self
            .google
            .client_secret
            .clone()
            .ok_or(ConfigError::Missing {
                key: "google.client_secret",
                section: "google",
                field: "client_secret",
                env: "GOOGLE_CLIENT_SECRET",
                file: self.file_label(),
            })?;
        Ok(GoogleCredentials {
            client_id,
            client_secret,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn env_overrides_file_and_defaults_fill_the_rest() {
        let (_d, path) = write(
            "[listener]\npublic_url = \"https://onboard.example.com/base\"\n[google]\nclient_id = \"file-id\"\nclient_secret = \"file-secret\"\n",
        );
        let env = env_of(&[
            ("GOOGLE_CLIENT_ID", "env-id"),
            ("MCP_ONBOARD_BIND", "0.0.0.0:9000"),
        ]);
        let cfg = Config::load(Some(&path), true, &env).unwrap();
        let creds = cfg.google_credentials().unwrap();
        assert_eq!(creds.client_id, "env-id");
        assert_eq!(creds.client_secret.expose_secret(), "file-secret");
        assert_eq!(cfg.listener.bind.port(), 9000);
        assert_eq!(
            cfg.redirect_uri().as_str(),
            "https://onboard.example.com/base/oauth/callback"
        );
        assert_eq!(cfg.google.token_url.as_str(), GOOGLE_TOKEN_URL);
    }

    #[test]
    fn a_return_url_must_be_https_off_loopback_and_redirect_needs_one() {
        let load = |vars: &[(&str, &str)]| Config::load(None, false, &env_of(vars));
        let err = load(&[("MCP_ONBOARD_RETURN_URL", "http://app.example.com/done")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("listener.return_url") && err.contains("must be https://"),
            "{err}"
        );
        for bad in [
            "https://u:p@app.example.com/",
            "https://app.example.com/#x",
            "ftp://x",
        ] {
            assert!(load(&[("MCP_ONBOARD_RETURN_URL", bad)]).is_err(), "{bad}");
        }
        let cfg = load(&[(
            "MCP_ONBOARD_RETURN_URL",
            "https://app.example.com/done?from=mcp",
        )])
        .unwrap();
        assert_eq!(
            cfg.listener.return_url.unwrap().as_str(),
            "https://app.example.com/done?from=mcp"
        );
        assert!(!cfg.listener.return_redirect);
        let cfg = load(&[
            ("MCP_ONBOARD_RETURN_URL", "http://127.0.0.1:3000/done"),
            ("MCP_ONBOARD_RETURN_REDIRECT", "true"),
        ])
        .unwrap();
        assert!(cfg.listener.return_redirect);
        let err = load(&[("MCP_ONBOARD_RETURN_REDIRECT", "true")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs listener.return_url"), "{err}");
    }

    #[test]
    fn missing_secret_names_key_file_and_env() {
        let (_d, path) = write("[google]\nclient_id = \"x\"\n");
        let cfg = Config::load(Some(&path), true, &env_of(&[])).unwrap();
        let err = cfg.google_credentials().unwrap_err().to_string();
        assert!(err.contains("google.client_secret"), "{err}");
        assert!(err.contains("GOOGLE_CLIENT_SECRET"), "{err}");
        assert!(err.contains(&path.display().to_string()), "{err}");
    }

    #[test]
    fn rejects_plain_http_public_url_off_loopback_and_unknown_keys() {
        let (_d, path) = write("[listener]\npublic_url = \"http://onboard.example.com\"\n");
        let err = Config::load(Some(&path), true, &env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("https"), "{err}");
        let (_d2, path2) = write("[google]\nclient_idd = \"typo\"\n");
        let err = Config::load(Some(&path2), true, &env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("client_idd"), "{err}");
    }

    #[test]
    fn parse_errors_never_echo_the_file() {
        let (_d, path) = write("[blaxel]\napi_key = \"bl_live_SECRETKEY\n");
        let err = Config::load(Some(&path), true, &env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(!err.contains("SECRETKEY"), "{err}");
        let (_d, path) = write("[google]\nclient_secrte = \"GOCSPX-hush\"\n");
        let err = Config::load(Some(&path), true, &env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("client_secrte"), "{err}");
        assert!(!err.contains("GOCSPX-hush"), "{err}");
    }

    #[test]
    fn explicit_missing_file_is_an_error_default_missing_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.toml");
        assert!(Config::load(Some(&path), true, &env_of(&[])).is_err());
        let cfg = Config::load(Some(&path), false, &env_of(&[])).unwrap();
        assert_eq!(
            cfg.redirect_uri().as_str(),
            "http://localhost:8080/oauth/callback"
        );
    }

    #[test]
    fn the_example_config_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/config.example.toml");
        let cfg = Config::load(Some(&path), true, &env_of(&[])).unwrap();
        assert_eq!(cfg.logging.keep_files, 14);
        assert_eq!(cfg.listener.max_connections_per_client, 64);
        assert_eq!(cfg.google.issuer, GOOGLE_ISSUER);
    }

    #[test]
    fn secrets_travel_over_tls_except_on_loopback() {
        for (env, key) in [
            ("GOOGLE_TOKEN_URL", "google.token_url"),
            ("GOOGLE_AUTH_URL", "google.auth_url"),
            ("GOOGLE_REVOKE_URL", "google.revoke_url"),
            ("BL_API_URL", "blaxel.api_url"),
        ] {
            let err = Config::load(None, false, &env_of(&[(env, "http://evil.example/x")]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(key) && err.contains("https://"), "{err}");
            assert!(err.contains(env), "says where it came from: {err}");
            assert!(Config::load(None, false, &env_of(&[(env, "http://127.0.0.1:9/x")])).is_ok());
            assert!(Config::load(None, false, &env_of(&[(env, "https://x.example/x")])).is_ok());
        }
    }

    #[test]
    fn bad_bind_says_what_is_expected() {
        let err = Config::load(None, false, &env_of(&[("MCP_ONBOARD_BIND", "localhost")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("MCP_ONBOARD_BIND") && err.contains("address:port"),
            "{err}"
        );
    }
}
