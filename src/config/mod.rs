//! Configuration: one precedence for every key (environment > config file > default), and
//! errors that name the missing key and where to set it.
//!
//! [`Config::load`] assembles the sections, each resolved by its own module from its
//! `[section]` of the file and its environment variables ([`source`] holds the precedence,
//! [`file`] the file): a new section is a new module and one line here. Blaxel credentials
//! may also come from the official CLI's `~/.blaxel/config.yaml`; that lookup belongs to
//! the Blaxel module and happens only when provisioning needs them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use url::Url;

mod blaxel;
mod brand;
pub mod brand_logo;
pub mod check;
pub mod dirs;
mod error;
mod file;
mod google;
mod health;
mod integrations;
mod listener;
mod logging;
mod mail;
mod metrics;
pub mod online;
pub mod postgres_url;
mod provision;
mod source;
mod store;
mod webhook;
mod webhook_id;

pub use blaxel::{BLAXEL_API_URL, BlaxelConfig};
pub use brand::{BrandConfig, SupportContact};
pub use error::ConfigError;
pub use google::{
    GOOGLE_AUTH_URL, GOOGLE_ISSUER, GOOGLE_REVOKE_URL, GOOGLE_TOKEN_URL, GoogleConfig,
    GoogleCredentials,
};
pub use health::{HEALTH_INTERVAL, HealthConfig, MCP_FAILURES, MCP_INTERVAL};
pub use integrations::IntegrationClients;
pub use listener::{DEFAULT_BIND, DEFAULT_PUBLIC_URL, ListenerConfig, MAX_CONNECTIONS_PER_NETWORK};
pub use logging::LoggingConfig;
pub use mail::{MAIL_PER_MINUTE, MailConfig, Relay, RelayTls};
pub use provision::ProvisionConfig;
pub use source::is_loopback_host;
pub use store::{StoreBackend, StoreConfig};
pub use webhook::{WEBHOOK_EVENTS, WebhookConfig};

pub const CALLBACK_PATH: &str = "/oauth/callback";

#[derive(Debug, Clone)]
pub struct Config {
    /// The file read, if any (named in error messages).
    pub file: Option<PathBuf>,
    pub listener: ListenerConfig,
    pub google: GoogleConfig,
    /// OAuth clients of single integrations (`[integrations.NAME]`).
    pub integration_clients: IntegrationClients,
    pub blaxel: BlaxelConfig,
    pub provision: ProvisionConfig,
    pub logging: LoggingConfig,
    pub health: HealthConfig,
    pub webhooks: Vec<WebhookConfig>,
    /// The company that asks, as the customer's pages show it.
    pub brand: BrandConfig,
    /// Where `/metrics` is served (off when `None`); never the public listener.
    pub metrics_bind: Option<SocketAddr>,
    /// Which backend holds the data.
    pub store: StoreConfig,
    /// The relay consent links are mailed through (off when `None`).
    pub mail: Option<MailConfig>,
}

impl Config {
    /// For tests: no file, the environment given as pairs.
    #[cfg(test)]
    pub(crate) fn from_env_pairs(env: &[(&str, &str)]) -> Result<Self, ConfigError> {
        let env: std::collections::HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Self::load(None, false, &|k| env.get(k).cloned())
    }

    /// Read `path` (if it exists, or fail if `required`) and overlay the environment.
    pub fn load(
        path: Option<&Path>,
        required: bool,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let text = file::read(path, required)?;
        let parsed = file::ConfigFile::parse(path, text.as_deref())?;
        let label = path
            .map(|p| format!("config file {}", p.display()))
            .unwrap_or_else(|| "the config file".into());
        let src = source::Source::new(parsed, label, env);
        let listener = listener::resolve(&src)?;
        let config = Config {
            google: google::resolve(&src)?,
            blaxel: blaxel::resolve(&src)?,
            provision: provision::resolve(&src)?,
            logging: logging::resolve(&src)?,
            health: health::resolve(&src)?,
            webhooks: webhook::resolve(&src)?,
            metrics_bind: metrics::resolve(&src, listener.bind)?,
            integration_clients: integrations::resolve(&src)?,
            brand: brand::resolve(&src)?,
            mail: mail::resolve(&src)?,
            store: store::resolve(&src)?,
            listener,
            file: None,
        };
        Ok(Config {
            file: src.finish()?,
            ..config
        })
    }

    /// Whether customers reach the listener from elsewhere (`public_url` off loopback).
    pub fn is_public(&self) -> bool {
        !source::is_loopback_host(&self.listener.public_url)
    }

    /// What serving the customer's pages needs of the configuration: with a public
    /// listener, the brand's name (`demo`: the demo has its own brand).
    pub fn check_for_serving(&self, demo: bool) -> Result<(), ConfigError> {
        if self.is_public() && !demo {
            self.brand.required_name(&self.file_label())?;
        }
        Ok(())
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

    /// The OAuth client that asks for `integration`'s consents: its own if set, else
    /// `[google]`'s.
    pub fn google_credentials_for(
        &self,
        integration: crate::domain::integration::Integration,
    ) -> Result<GoogleCredentials, ConfigError> {
        match self.integration_clients.get(integration) {
            Some(own) => Ok(own.clone()),
            None => self.google_credentials(),
        }
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
    fn an_unknown_section_is_refused_with_where_it_is_and_the_sections_there_are() {
        let (_d, path) =
            write("[listener]\nbind = \"127.0.0.1:9000\"\n\n[googel]\nclient_id = \"x\"\n");
        let err = Config::load(Some(&path), true, &env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 4, column 2: unknown field `googel`, expected one of `listener`, `google`, `blaxel`"),
            "{err}"
        );
        assert!(err.contains("`webhook`, `metrics`"), "{err}");
        let (_d, path) = write("[listener]\n[listener.extra]\n");
        let err = Config::load(Some(&path), true, &env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2") && err.contains("unknown field `extra`"),
            "{err}"
        );
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
