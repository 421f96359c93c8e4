//! The online checks (`config check --online`, without `--write`) as the engine runs them:
//! with its own config and demo flag, comparing `/healthz` with its own deployment, so
//! whoever asks (an attached console, a control client) sees this owner's set-up.

use crate::config::online::{self, Local, Options};
use crate::engine::api::{Command, Reply};
use crate::engine::core::{Core, Placement};

pub async fn check(core: &Core) -> Reply {
    let in_use = crate::engine::api::integrations_in_use(|command| async move {
        match command {
            Command::ListTenants { query } => super::tenants::list_command(core, query).await.ok(),
            _ => None,
        }
    })
    .await;
    let local = Local {
        deployment: Some(core.store().deployment_id().to_owned()),
        owner_runs: core.placement() == Placement::Serving,
        in_use,
    };
    let lines = online::run(core.config(), core.demo(), &local, &Options::default()).await;
    Reply::Online { lines }
}
