//! Resolving where things are (data dir, config file, key) and how to reach the engine:
//! through a running owner's control socket, or by opening the database directly.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use secrecy::SecretString;
use url::Url;

use super::Cli;
use crate::config::Config;
use crate::control::Client;
use crate::engine::{Command, Engine, Reply};
use crate::sandbox::google::{AUTH_PATH, REVOKE_PATH, TOKEN_PATH};
use crate::store::{KeySource, Store};

pub const DEMO_BIND: &str = "127.0.0.1:8089";
pub const DEMO_CLIENT_ID: &str = "demo-client.apps.sandbox";
pub const DEMO_CLIENT_SECRET: &str = "demo-secret";
/// Where the demo mounts the Google stand-in on its own listener.
pub const DEMO_GOOGLE_PREFIX: &str = "/sandbox/google";

pub struct Context {
    pub data_dir: PathBuf,
    pub key: KeySource,
    pub config: Arc<Config>,
    pub demo: bool,
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "mcp-onboard")
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

impl Context {
    pub fn resolve(cli: &Cli) -> Result<Self> {
        let dirs = project_dirs();
        let data_dir = match (&cli.data_dir, &dirs) {
            (Some(d), _) => d.clone(),
            (None, Some(p)) if cli.demo => p.data_dir().join("demo"),
            (None, Some(p)) => p.data_dir().to_owned(),
            (None, None) => bail!(
                "cannot find a home directory for the data dir: pass --data-dir or set MCP_ONBOARD_DATA_DIR"
            ),
        };
        let key = if let Some(k) = env("MCP_ONBOARD_KEY").filter(|k| !k.is_empty()) {
            KeySource::Env(SecretString::from(k))
        } else if let Some(f) = &cli.key_file {
            KeySource::File(f.clone())
        } else if cli.demo {
            // Throwaway secrets: the demo keeps its key beside its own database.
            KeySource::File(data_dir.join("demo.key"))
        } else {
            match &dirs {
                Some(p) => KeySource::File(p.config_dir().join("secret.key")),
                None => bail!(
                    "cannot find a config directory for the key file: pass --key-file or set MCP_ONBOARD_KEY"
                ),
            }
        };
        let config = if cli.demo {
            demo_config()?
        } else {
            let (path, required) = match (&cli.config, &dirs) {
                (Some(p), _) => (Some(p.clone()), true),
                (None, Some(d)) => (Some(d.config_dir().join("config.toml")), false),
                (None, None) => (None, false),
            };
            Config::load(path.as_deref(), required, &env)?
        };
        Ok(Self {
            data_dir,
            key,
            config: Arc::new(config),
            demo: cli.demo,
        })
    }

    /// Create the data dir owner-only (0700) if it does not exist yet.
    pub fn create_data_dir(&self) -> Result<()> {
        create_private_dir(&self.data_dir)
    }

    pub fn open_engine(&self) -> Result<Arc<Engine>> {
        create_private_dir(&self.data_dir)?;
        let store = Store::open(&self.data_dir, &self.key)?;
        Ok(Arc::new(Engine::new(Arc::new(store), self.config.clone())?))
    }

    /// Run a command through the owner if one runs, else against the database directly.
    pub async fn execute(&self, command: Command) -> Result<Reply> {
        if let Some(mut client) = Client::connect(&self.data_dir).await.with_context(|| {
            format!(
                "cannot reach the control socket in {}",
                self.data_dir.display()
            )
        })? {
            return Ok(client.call(command).await?);
        }
        let engine = self.open_engine()?;
        Ok(engine.execute(command).await?)
    }
}

fn create_private_dir(dir: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create data dir {}", dir.display()))?;
    }
    Ok(())
}

/// The demo: everything on one loopback listener, the Google stand-in mounted under
/// `/sandbox/google`. Only `MCP_ONBOARD_BIND` is read from the environment (to move the port).
fn demo_config() -> Result<Config> {
    let bind = env("MCP_ONBOARD_BIND").unwrap_or_else(|| DEMO_BIND.to_owned());
    let bind_env = |k: &str| -> Option<String> {
        match k {
            "MCP_ONBOARD_BIND" => Some(bind.clone()),
            "MCP_ONBOARD_PUBLIC_URL" => Some(format!("http://{bind}")),
            "GOOGLE_CLIENT_ID" => Some(DEMO_CLIENT_ID.to_owned()),
            "GOOGLE_CLIENT_SECRET" => Some(DEMO_CLIENT_SECRET.to_owned()),
            _ => None,
        }
    };
    let mut cfg = Config::load(None, false, &bind_env)?;
    let base = cfg.public_path(DEMO_GOOGLE_PREFIX);
    let at = |p: &str| -> Result<Url> {
        Url::parse(&format!("{}{p}", base.as_str().trim_end_matches('/'))).context("demo URL")
    };
    cfg.google.auth_url = at(AUTH_PATH)?;
    cfg.google.token_url = at(TOKEN_PATH)?;
    cfg.google.revoke_url = at(REVOKE_PATH)?;
    Ok(cfg)
}
