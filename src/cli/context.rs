//! Resolving where things are (data dir, config file, key) and how to reach the engine:
//! through a running owner's control socket, or by opening the database directly.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use secrecy::SecretString;
use url::Url;

use super::Cli;
use super::first_run::Creation;
use crate::config::Config;
use crate::control::Client;
use crate::engine::{Command, Engine, EngineApi, Local, Placement, Reply};
use crate::owner::OwnerOptions;
pub use crate::owner::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_GOOGLE_PREFIX};
use crate::sandbox::google::{AUTH_PATH, REVOKE_PATH, TOKEN_PATH};
use crate::store::KeySource;

pub const DEMO_BIND: &str = "127.0.0.1:8089";
/// How long a command that opened the database itself may take to flush it at the end.
const LOCAL_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// What a command talks to: the running owner, or the database opened by this process.
pub enum Connection {
    Owner(Client),
    Direct(Arc<Engine>),
}

impl Connection {
    pub fn api(&self) -> Box<dyn EngineApi + '_> {
        match self {
            Connection::Owner(c) => Box::new(ClientRef(c)),
            Connection::Direct(e) => Box::new(Local(e.clone())),
        }
    }

    /// Flush and release the database when this process opened it.
    pub async fn close(self) -> Result<()> {
        if let Connection::Direct(e) = self {
            e.shutdown(LOCAL_GRACE).await?;
        }
        Ok(())
    }
}

/// A borrowed client as an `EngineApi`.
struct ClientRef<'a>(&'a Client);

impl EngineApi for ClientRef<'_> {
    fn call(
        &self,
        command: Command,
    ) -> crate::engine::client::BoxFuture<'_, Result<Reply, crate::engine::ApiError>> {
        EngineApi::call(self.0, command)
    }

    fn subscribe(
        &self,
        since: Option<u64>,
    ) -> crate::engine::client::BoxFuture<'_, Result<crate::engine::Events, crate::engine::ApiError>>
    {
        EngineApi::subscribe(self.0, since)
    }

    fn attachment(&self) -> crate::engine::Attachment {
        EngineApi::attachment(self.0)
    }
}

pub struct Context {
    pub data_dir: PathBuf,
    pub key: KeySource,
    pub config: Arc<Config>,
    pub demo: bool,
    /// Whether this command may create the database where none is yet.
    pub creation: Creation,
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "mcp-onboard")
}

/// Where `--demo` keeps its data and key, whatever else is configured.
pub fn demo_data_dir() -> Option<PathBuf> {
    project_dirs().map(|p| p.data_dir().join("demo"))
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

impl Context {
    pub fn resolve(cli: &Cli) -> Result<Self> {
        let dirs = project_dirs();
        // The demo keeps its throwaway data and key to itself, whatever the environment
        // or the command line say: a demo must never touch real data.
        let data_dir = match (&cli.data_dir, &dirs) {
            _ if cli.demo => demo_data_dir()
                .context("cannot find a home directory for the demo's data dir (set HOME)")?,
            (Some(d), _) => d.clone(),
            (None, Some(p)) => p.data_dir().to_owned(),
            (None, None) => bail!(
                "cannot find a home directory for the data dir: pass --data-dir or set MCP_ONBOARD_DATA_DIR"
            ),
        };
        let key = if cli.demo {
            KeySource::File(data_dir.join("demo.key"))
        } else if let Some(k) = env("MCP_ONBOARD_KEY").filter(|k| !k.is_empty()) {
            KeySource::Env(SecretString::from(k))
        } else if let Some(f) = &cli.key_file {
            KeySource::File(f.clone())
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
            creation: Creation::of(cli.command.as_ref(), cli.demo),
        })
    }

    /// Create the data dir owner-only (0700) if it does not exist yet; refuse a more open one.
    pub fn create_data_dir(&self) -> Result<()> {
        create_private_dir(&self.data_dir)
    }

    pub fn owner_options(&self) -> OwnerOptions {
        OwnerOptions {
            data_dir: self.data_dir.clone(),
            key: self.key.clone(),
            config: self.config.clone(),
            demo: self.demo,
            listener: None,
        }
    }

    /// Say on stderr when opening the database here is about to create a new one (and a
    /// new key): a wrong data dir, or the demo's data mistaken for real data, shows at once.
    pub async fn note_if_new(&self) {
        if self.data_dir.join("db").exists() {
            return;
        }
        let what = if self.demo { "the demo's" } else { "a new" };
        eprintln!(
            "note: no database in {} yet: creating {what} one",
            self.data_dir.display()
        );
        if !self.demo && super::first_run::demo_owner_runs().await {
            eprintln!("note: a --demo owner is running: add --demo to talk to it");
        }
        if let KeySource::File(f) = &self.key
            && !f.exists()
        {
            eprintln!(
                "note: creating a new key in {}{}",
                f.display(),
                if self.demo {
                    ""
                } else {
                    ": back it up, without it the stored tokens are lost"
                }
            );
        }
    }

    /// The running owner over its control socket, or else the database opened here (or
    /// created, when this command may create it).
    pub async fn connect(&self) -> Result<Connection> {
        if let Some(client) = self.connect_owner().await? {
            return Ok(Connection::Owner(client));
        }
        if self.creation == Creation::Existing && !crate::store::exists(&self.data_dir) {
            return Err(super::first_run::nothing_yet(&self.data_dir).await.into());
        }
        self.note_if_new().await;
        let engine = Engine::open(
            &self.data_dir,
            &self.key,
            self.config.clone(),
            Placement::Direct,
        )
        .await?;
        Ok(Connection::Direct(engine))
    }

    /// The running owner, if one answers on the control socket.
    pub async fn connect_owner(&self) -> Result<Option<Client>> {
        Client::connect(&self.data_dir).await.with_context(|| {
            format!(
                "cannot reach the control socket in {}",
                self.data_dir.display()
            )
        })
    }

    /// Run one command through the owner if one runs, else against the database directly.
    pub async fn execute(&self, command: Command) -> Result<Reply> {
        Ok(self.execute_noting_owner(command).await?.0)
    }

    /// The same, saying whether an owner answered (`false`: this process opened the
    /// database, and nothing serves the listener).
    pub async fn execute_noting_owner(&self, command: Command) -> Result<(Reply, bool)> {
        let conn = self.connect().await?;
        let owner = matches!(conn, Connection::Owner(_));
        let res = conn.api().call(command).await;
        conn.close().await?;
        Ok((res?, owner))
    }
}

fn create_private_dir(dir: &std::path::Path) -> Result<()> {
    Ok(crate::store::check_data_dir(dir)?)
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
            // The demo's tokens are its own stand-in's: `health` checks them on demand.
            // Trying the hand-off to a company's frontend works in the demo too.
            "MCP_ONBOARD_RETURN_URL"
            | "MCP_ONBOARD_RETURN_REDIRECT"
            | "MCP_ONBOARD_METRICS_BIND" => env(k),
            "MCP_ONBOARD_HEALTH_INTERVAL" => {
                Some(env("MCP_ONBOARD_HEALTH_INTERVAL").unwrap_or_else(|| "off".to_owned()))
            }
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
