//! The MCP checks the owner runs while this node leads: each integration just deployed,
//! soon after (the provisioner's record wakes this worker), and every deployed one in a
//! round every `health.mcp_interval` (jittered), the first about a minute after the worker
//! starts (a restart or a new leader checks without waiting a whole interval).

use std::sync::Arc;
use std::time::Duration;

use crate::domain::actor::{Actor, Worker};
use crate::engine::Engine;
use crate::engine::ops::mcp_checks::McpRound;

const ME: Actor = Actor::System(Worker::McpChecks);
/// The first round comes about this long after the worker starts (jittered like the others).
const FIRST_ROUND_AFTER: Duration = Duration::from_secs(60);

/// Run the checks until aborted (see [`super::led::spawn`]).
pub async fn run(engine: Arc<Engine>, every: Option<Duration>) {
    use rand::Rng;
    let jitter = |d: Duration| d.mul_f64(rand::thread_rng().gen_range(0.8..1.2));
    let mut next = every.map(|e| tokio::time::Instant::now() + jitter(e.min(FIRST_ROUND_AFTER)));
    loop {
        let round = async {
            match next {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let due = tokio::select! {
            () = round => {
                next = every.map(|e| tokio::time::Instant::now() + jitter(e));
                engine.mcp_targets(None)
            }
            () = engine.mcp_wakeup().notified() => engine.mcp_due_after_deploy(),
        };
        if due.is_empty() {
            continue;
        }
        let asked = due.len();
        let done = engine
            .run(
                ME,
                McpRound {
                    targets: due,
                    write_all: false,
                },
            )
            .await;
        let usable = done.iter().filter(|c| c.check.usable).count();
        let unreachable = done.iter().filter(|c| c.check.unreachable).count();
        tracing::info!(
            asked,
            checked = done.len(),
            usable,
            unreachable,
            "MCP checks done"
        );
    }
}
