//! The instance a command acts on: where its data is (data dir, config file, key), whether
//! the command may create it, and how to reach its engine: through a running owner's
//! control socket, or by opening the database directly.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use secrecy::SecretString;

use crate::config::Config;
use crate::control::Client;
use crate::engine::{Command, Engine, EngineApi, Local, Placement, Reply};
use crate::owner::OwnerOptions;
use crate::store::KeySource;

/// How long a command that opened the database itself may take to flush it at the end.
const LOCAL_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// What a command may do where no database is yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creation {
    /// Create it (and its key, when the key is a file that does not exist yet).
    MayCreate,
    /// Use the database that is there; with none, stop and say how to start.
    Existing,
}

/// What the command line (and its environment variables) named; the rest is found.
#[derive(Debug, Clone, Copy, Default)]
pub struct Given<'a> {
    pub config: Option<&'a Path>,
    pub data_dir: Option<&'a Path>,
    pub key_file: Option<&'a Path>,
    pub demo: bool,
}

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

/// The instance a command acts on.
pub struct Instance {
    pub data_dir: PathBuf,
    pub key: KeySource,
    pub config: Arc<Config>,
    pub demo: bool,
    /// Whether this command may create the database where none is yet.
    pub creation: Creation,
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

impl Instance {
    pub fn resolve(given: Given<'_>, creation: Creation) -> Result<Self> {
        use crate::config::dirs;
        // The demo keeps its throwaway data and key to itself, whatever the environment
        // or the command line say: a demo must never touch real data.
        let data_dir = if given.demo {
            dirs::demo_data_dir()
                .context("cannot find a home directory for the demo's data dir (set HOME)")?
        } else if let Some(d) = given.data_dir {
            d.to_owned()
        } else if let Some(d) = dirs::data_dir() {
            d
        } else {
            bail!(
                "cannot find a home directory for the data dir: pass --data-dir or set MCP_ONBOARD_DATA_DIR"
            )
        };
        let key = if given.demo {
            KeySource::File(data_dir.join("demo.key"))
        } else if let Some(k) = env("MCP_ONBOARD_KEY").filter(|k| !k.is_empty()) {
            KeySource::Env(SecretString::from(k))
        } else if let Some(f) = given.key_file {
            KeySource::File(f.to_owned())
        } else {
            match dirs::config_dir() {
                Some(d) => KeySource::File(d.join("secret.key")),
                None => bail!(
                    "cannot find a config directory for the key file: pass --key-file or set MCP_ONBOARD_KEY"
                ),
            }
        };
        let config = if given.demo {
            super::demo::config(&env)?
        } else {
            let (path, required) = match (given.config, dirs::config_dir()) {
                (Some(p), _) => (Some(p.to_owned()), true),
                (None, Some(d)) => (Some(d.join("config.toml")), false),
                (None, None) => (None, false),
            };
            Config::load(path.as_deref(), required, &env)?
        };
        Ok(Self {
            data_dir,
            key,
            config: Arc::new(config),
            demo: given.demo,
            creation,
        })
    }

    /// Create the data dir owner-only (0700) if it does not exist yet; refuse a more open one.
    pub fn create_data_dir(&self) -> Result<()> {
        Ok(crate::store::check_data_dir(&self.data_dir)?)
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

    /// What to say on stderr before opening the database here creates a new one (and a new
    /// key): a wrong data dir, or the demo's data mistaken for real data, shows at once.
    /// Nothing when there is a database already.
    pub async fn new_database_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.data_dir.join("db").exists()
            || !matches!(self.config.store.backend, crate::config::StoreBackend::Sled)
        {
            return notes;
        }
        let what = if self.demo { "the demo's" } else { "a new" };
        notes.push(format!(
            "no database in {} yet: creating {what} one",
            self.data_dir.display()
        ));
        if !self.demo && super::probe::demo_owner_runs().await {
            notes.push("a --demo owner is running: add --demo to talk to it".to_owned());
        }
        if let KeySource::File(f) = &self.key
            && !f.exists()
        {
            notes.push(format!(
                "creating a new key in {}{}",
                f.display(),
                if self.demo {
                    ""
                } else {
                    ": back it up, without it the stored tokens are lost"
                }
            ));
        }
        notes
    }

    /// Say the [`new_database_notes`](Self::new_database_notes) on stderr.
    pub async fn note_if_new(&self) {
        for note in self.new_database_notes().await {
            eprintln!("note: {note}");
        }
    }

    /// The running owner over its control socket, or else the database opened here (or
    /// created, when this command may create it).
    pub async fn connect(&self) -> Result<Connection> {
        if let Some(client) = self.connect_owner().await? {
            return Ok(Connection::Owner(client));
        }
        if self.creation == Creation::Existing
            && !crate::store::exists_for(&self.config.store, &self.data_dir)
        {
            return Err(super::probe::nothing_yet(&self.data_dir).await.into());
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
