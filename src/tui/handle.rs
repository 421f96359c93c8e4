//! The engine the console talks to, as one handle shared by the runner's tasks: an
//! attached console swaps what is behind it when it reconnects to the next owner, so a task
//! that outlives a reconnect (a mailing) reads the handle afresh on every call.

use std::sync::{Arc, RwLock};

use crate::engine::api::{Command, Reply};
use crate::engine::client::BoxFuture;
use crate::engine::{ApiError, Attachment, EngineApi, Events};

/// The engine now, swapped on reconnect.
pub type Shared = Arc<RwLock<Arc<dyn EngineApi>>>;

/// The engine the console talks to now.
pub fn current(api: &Shared) -> Arc<dyn EngineApi> {
    match api.read() {
        Ok(a) => a.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

/// An [`EngineApi`] that goes to whichever engine the handle holds at each call.
#[derive(Clone)]
pub struct Current(pub Shared);

impl EngineApi for Current {
    fn call(&self, command: Command) -> BoxFuture<'_, Result<Reply, ApiError>> {
        let now = current(&self.0);
        Box::pin(async move { now.call(command).await })
    }

    fn subscribe(&self, since: Option<u64>) -> BoxFuture<'_, Result<Events, ApiError>> {
        let now = current(&self.0);
        Box::pin(async move { now.subscribe(since).await })
    }

    fn attachment(&self) -> Attachment {
        current(&self.0).attachment()
    }
}
