//! The runner's side of the set-up panel's online checks: they run on a task of their own
//! (never on the UI thread), with this console's configuration, comparing `/healthz` with
//! the deployment of the engine the console talks to; the lines come back as a message.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::model::Msg;
use crate::config::Config;
use crate::config::online::{self, Local, Options};
use crate::engine::{Command, EngineApi, Reply};

/// What the checks need of the console.
#[derive(Clone)]
pub(super) struct Checks {
    pub config: Arc<Config>,
    pub demo: bool,
}

impl Checks {
    /// Run the checks for request `id`; the lines go to `tx`.
    pub(super) fn spawn(&self, id: u64, api: Arc<dyn EngineApi>, tx: mpsc::UnboundedSender<Msg>) {
        let this = self.clone();
        tokio::spawn(async move {
            // The console always has an engine: its own, or its owner's.
            let status = tokio::time::timeout(online::DEFAULT_TIMEOUT, api.call(Command::Status));
            let deployment = match status.await {
                Ok(Ok(Reply::Status(s))) if !s.deployment.is_empty() => Some(s.deployment),
                _ => None,
            };
            let local = Local {
                deployment,
                owner_runs: true,
            };
            let lines = online::run(&this.config, this.demo, &local, &Options::default()).await;
            let _ = tx.send(Msg::OnlineChecked { id, lines });
        });
    }
}
