//! `[store]`: which backend holds the data: sled in the data dir (the default), or
//! PostgreSQL at `postgres_url` (see [`super::postgres_url`]), where several nodes share
//! it and one leads the background work under a lease of `leader_timeout`.

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use super::postgres_url::{PostgresUrl, redact};
use super::source::Source;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileStore {
    backend: Option<String>,
    postgres_url: Option<String>,
    leader_timeout: Option<String>,
    change_log_keep: Option<String>,
}

/// How long the leader's lease outlives its last renewal unless told otherwise.
pub const LEADER_TIMEOUT: Duration = Duration::from_secs(15);

/// How long the change log keeps a commit for the other nodes unless told otherwise.
pub const CHANGE_LOG_KEEP: Duration = Duration::from_secs(3600);

/// Where the data lives.
#[derive(Debug, Clone, Default)]
pub enum StoreBackend {
    /// Embedded, in the data dir; one process at a time.
    #[default]
    Sled,
    /// A PostgreSQL database.
    Postgres(Box<PostgresUrl>),
}

/// The store's settings.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub backend: StoreBackend,
    /// PostgreSQL: how long the lease of the background work outlives its holder's last
    /// renewal (another node takes it over after that).
    pub leader_timeout: Duration,
    /// PostgreSQL: how long the change log keeps a commit for the other nodes to read (a
    /// node away for longer rebuilds its read model from the database).
    pub change_log_keep: Duration,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            backend: StoreBackend::default(),
            leader_timeout: LEADER_TIMEOUT,
            change_log_keep: CHANGE_LOG_KEEP,
        }
    }
}

impl StoreConfig {
    /// The backend's name as the config says it (`sled`, `postgres`).
    pub fn name(&self) -> &'static str {
        match self.backend {
            StoreBackend::Sled => "sled",
            StoreBackend::Postgres(_) => "postgres",
        }
    }
}

pub(super) fn resolve(src: &Source) -> Result<StoreConfig, ConfigError> {
    let file: FileStore = src.section("store")?;
    let url = src.pick("MCP_ONBOARD_DATABASE_URL", file.postgres_url);
    let backend = src.pick("MCP_ONBOARD_STORE_BACKEND", file.backend);
    let leader_timeout = src.duration(
        "store.leader_timeout",
        "MCP_ONBOARD_LEADER_TIMEOUT",
        file.leader_timeout,
        LEADER_TIMEOUT,
        |e| match e {
            None => "at least 1s".into(),
            Some(e) => format!("{e} (e.g. 15s)"),
        },
    )?;
    let change_log_keep = src.duration(
        "store.change_log_keep",
        "MCP_ONBOARD_CHANGE_LOG_KEEP",
        file.change_log_keep,
        CHANGE_LOG_KEEP,
        |e| match e {
            None => "at least 1s".into(),
            Some(e) => format!("{e} (e.g. 1h)"),
        },
    )?;
    let postgres = match &backend {
        None => false,
        Some((text, from)) => match text.trim() {
            "sled" => false,
            "postgres" => true,
            _ => {
                return Err(ConfigError::Invalid {
                    key: "store.backend",
                    value: text.clone(),
                    from: from.clone(),
                    detail: "expected sled or postgres".into(),
                });
            }
        },
    };
    if !postgres {
        // A database named but not used is a mistake that splits the data in two.
        if let Some((_, from)) = url {
            return Err(ConfigError::Conflict {
                key: "store.postgres_url".into(),
                detail: format!(
                    "it is set (in {from}) but store.backend is sled: set backend = \"postgres\" under [store] (or MCP_ONBOARD_STORE_BACKEND=postgres) to use it, or remove it"
                ),
            });
        }
        return Ok(StoreConfig {
            leader_timeout,
            change_log_keep,
            ..StoreConfig::default()
        });
    }
    let Some((text, from)) = url else {
        return Err(ConfigError::Missing {
            key: "store.postgres_url",
            section: "store",
            field: "postgres_url",
            env: "MCP_ONBOARD_DATABASE_URL",
            file: src.label().to_owned(),
        });
    };
    let url = PostgresUrl::parse(&text).map_err(|detail| ConfigError::Invalid {
        key: "store.postgres_url",
        value: redact(&text),
        from,
        detail,
    })?;
    Ok(StoreConfig {
        backend: StoreBackend::Postgres(Box::new(url)),
        leader_timeout,
        change_log_keep,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn sled_is_the_default_and_postgres_needs_its_url() {
        let cfg = Config::from_env_pairs(&[]).unwrap();
        assert!(matches!(cfg.store.backend, StoreBackend::Sled));
        assert_eq!(cfg.store.name(), "sled");
        let err = Config::from_env_pairs(&[("MCP_ONBOARD_STORE_BACKEND", "postgres")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("store.postgres_url") && err.contains("MCP_ONBOARD_DATABASE_URL"),
            "{err}"
        );
        let cfg = Config::from_env_pairs(&[
            ("MCP_ONBOARD_STORE_BACKEND", "postgres"),
            (
                "MCP_ONBOARD_DATABASE_URL",
                "postgres://app:pw@/mcp?host=/run/postgresql",
            ),
        ])
        .unwrap();
        let StoreBackend::Postgres(url) = &cfg.store.backend else {
            panic!("postgres");
        };
        assert_eq!(url.shown(), "postgres://app:***@/mcp?host=/run/postgresql");
    }

    #[test]
    fn a_wrong_backend_or_url_is_refused_naming_the_key_without_the_password() {
        let err = Config::from_env_pairs(&[("MCP_ONBOARD_STORE_BACKEND", "mysql")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("store.backend") && err.contains("sled or postgres"),
            "{err}"
        );
        let err = Config::from_env_pairs(&[
            ("MCP_ONBOARD_STORE_BACKEND", "postgres"),
            (
                "MCP_ONBOARD_DATABASE_URL",
                "postgres://app:hunter2@db/mcp?sslmode=verify",
            ),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("store.postgres_url") && err.contains("sslmode must be"),
            "{err}"
        );
        assert!(err.contains("MCP_ONBOARD_DATABASE_URL"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn the_leader_timeout_is_15s_unless_set_and_at_least_a_second() {
        let cfg = Config::from_env_pairs(&[]).unwrap();
        assert_eq!(cfg.store.leader_timeout, Duration::from_secs(15));
        let cfg = Config::from_env_pairs(&[("MCP_ONBOARD_LEADER_TIMEOUT", "4s")]).unwrap();
        assert_eq!(cfg.store.leader_timeout, Duration::from_secs(4));
        for wrong in ["500ms", "soon", "off"] {
            let err = Config::from_env_pairs(&[("MCP_ONBOARD_LEADER_TIMEOUT", wrong)])
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("store.leader_timeout") && err.contains("MCP_ONBOARD_LEADER_TIMEOUT"),
                "{err}"
            );
        }
    }

    #[test]
    fn the_change_log_is_kept_an_hour_unless_set_and_at_least_a_second() {
        let cfg = Config::from_env_pairs(&[]).unwrap();
        assert_eq!(cfg.store.change_log_keep, Duration::from_secs(3600));
        let cfg = Config::from_env_pairs(&[("MCP_ONBOARD_CHANGE_LOG_KEEP", "10m")]).unwrap();
        assert_eq!(cfg.store.change_log_keep, Duration::from_secs(600));
        for wrong in ["500ms", "forever"] {
            let err = Config::from_env_pairs(&[("MCP_ONBOARD_CHANGE_LOG_KEEP", wrong)])
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("store.change_log_keep")
                    && err.contains("MCP_ONBOARD_CHANGE_LOG_KEEP"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_url_without_the_postgres_backend_is_refused() {
        let err = Config::from_env_pairs(&[(
            "MCP_ONBOARD_DATABASE_URL",
            "postgres://app:hunter2@db/mcp",
        )])
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("store.postgres_url") && err.contains("store.backend is sled"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }
}
