//! One client API for every face: the CLI and the console hold an [`EngineApi`] and never
//! know whether it is the engine in this process or an owner across the control socket.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::Engine;
use super::api::{Command, Reply};
use super::core::Placement;
use super::error::ApiError;
use super::events::{Item, Subscription};
use crate::domain::actor::Actor;
use crate::domain::audit::{Claimed, Operator};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where the engine a face holds runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attachment {
    /// In this process (`pid` is ours), placed as `placement` (serving the listener too,
    /// or opened by this command alone).
    InProcess { pid: u32, placement: Placement },
    /// Over the control socket of the owner `pid`.
    Socket { pid: u32, version: String },
}

/// A stream of events, wherever they come from.
pub enum Events {
    Local(Subscription),
    Remote(tokio::sync::mpsc::Receiver<Item>),
}

impl Events {
    /// The next item; `None` once the engine (or the connection) has gone.
    pub async fn next(&mut self) -> Option<Item> {
        match self {
            Events::Local(s) => s.next().await,
            Events::Remote(rx) => rx.recv().await,
        }
    }
}

pub trait EngineApi: Send + Sync {
    fn call(&self, command: Command) -> BoxFuture<'_, Result<Reply, ApiError>>;
    /// Events from now on; with `since`, stored timeline entries after it first.
    fn subscribe(&self, since: Option<u64>) -> BoxFuture<'_, Result<Events, ApiError>>;
    fn attachment(&self) -> Attachment;
}

/// The engine in this process.
#[derive(Clone)]
pub struct Local(pub Arc<Engine>);

impl EngineApi for Local {
    fn call(&self, command: Command) -> BoxFuture<'_, Result<Reply, ApiError>> {
        Box::pin(async move {
            self.0
                .run(Actor::Operator(this_process()), command)
                .await
                .map_err(ApiError::from)
        })
    }

    fn subscribe(&self, since: Option<u64>) -> BoxFuture<'_, Result<Events, ApiError>> {
        Box::pin(async move { Ok(Events::Local(self.0.subscribe(since))) })
    }

    fn attachment(&self) -> Attachment {
        Attachment::InProcess {
            pid: std::process::id(),
            placement: self.0.placement(),
        }
    }
}

/// This process, as the kernel knows it, and its operator as its environment says: who a
/// command run here is audited as.
pub fn this_process() -> Operator {
    Operator {
        pid: i32::try_from(std::process::id()).ok(),
        ..Operator::new(
            rustix::process::geteuid().as_raw(),
            None,
            Claimed::from_env(),
        )
    }
}
