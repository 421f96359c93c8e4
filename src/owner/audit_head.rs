//! The audit chain's head in the log: at start and once a day, so that a log shipped off
//! the machine keeps anchors (`SEQ:HASH`) to check the chain against later with
//! `audit verify --expect`.

use std::sync::Arc;
use std::time::Duration;

use crate::domain::actor::{Actor, Worker};
use crate::engine::{Command, Engine, EngineError, Reply};

pub const EVERY: Duration = Duration::from_secs(24 * 3600);

pub async fn log_daily(engine: Arc<Engine>) {
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tick.tick().await;
        match engine
            .run(Actor::System(Worker::Owner), Command::AuditHead)
            .await
        {
            Ok(Reply::AuditHead { anchor, at }) => tracing::info!(
                anchor = %format!("{}:{}", anchor.seq, anchor.hash),
                written = %at,
                "audit chain head (note it outside this machine; `audit verify --expect SEQ:HASH` checks the chain still extends it)"
            ),
            Ok(_) => {}
            Err(EngineError::Conflict(why)) => tracing::warn!(%why, "audit chain head not logged"),
            Err(e) => tracing::warn!(error = %e, "audit chain head not read"),
        }
    }
}
