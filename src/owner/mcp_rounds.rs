//! The MCP checks the owner runs while this node leads: each integration just deployed,
//! at once (the provisioner's record wakes this worker; these checks have their own places
//! and never wait for a round), and every deployed one in a round every
//! `health.mcp_interval` (jittered) counted from the end of the last, the first about a
//! minute after the worker starts (a restart or a new leader checks without waiting a
//! whole interval).

use std::sync::Arc;
use std::time::Duration;

use crate::domain::actor::{Actor, Worker};
use crate::engine::Engine;
use crate::engine::ops::mcp_checks::{McpRound, McpTarget, McpWhy};

const ME: Actor = Actor::System(Worker::McpChecks);
/// The first round comes about this long after the worker starts (jittered like the others).
const FIRST_ROUND_AFTER: Duration = Duration::from_secs(60);

/// Run the checks until aborted (see [`super::led::spawn`]).
pub async fn run(engine: Arc<Engine>, every: Option<Duration>) {
    let after_deploy = async {
        loop {
            engine.mcp_wakeup().notified().await;
            check(&engine, engine.mcp_due_after_deploy(), McpWhy::AfterDeploy).await;
        }
    };
    let rounds = async {
        let Some(every) = every else {
            return std::future::pending().await;
        };
        let jitter = |d: Duration| {
            use rand::Rng;
            d.mul_f64(rand::thread_rng().gen_range(0.8..1.2))
        };
        tokio::time::sleep(jitter(every.min(FIRST_ROUND_AFTER))).await;
        loop {
            check(&engine, engine.mcp_targets(None), McpWhy::Round).await;
            tokio::time::sleep(jitter(every)).await;
        }
    };
    tokio::join!(after_deploy, rounds);
}

async fn check(engine: &Engine, due: Vec<McpTarget>, why: McpWhy) {
    if due.is_empty() {
        return;
    }
    let asked = due.len();
    let done = engine.run(ME, McpRound { targets: due, why }).await;
    let usable = done.iter().filter(|c| c.check.usable).count();
    let unreachable = done.iter().filter(|c| c.check.unreachable).count();
    tracing::info!(
        asked,
        checked = done.len(),
        usable,
        unreachable,
        ?why,
        "MCP checks done"
    );
}
