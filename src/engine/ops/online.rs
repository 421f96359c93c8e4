//! The online checks (`config check --online`, without `--write`) as the engine runs them:
//! with its own config and demo flag, comparing `/healthz` with its own deployment, so
//! whoever asks (an attached console, a control client) sees this owner's set-up.

use crate::config::online::{self, Local, Options};
use crate::engine::api::Reply;
use crate::engine::core::{Core, Placement};

pub async fn check(core: &Core) -> Reply {
    let local = Local {
        deployment: Some(core.store().deployment_id().to_owned()),
        owner_runs: core.placement() == Placement::Serving,
    };
    let lines = online::run(core.config(), core.demo(), &local, &Options::default()).await;
    Reply::Online { lines }
}
