//! Who an operation is done for: an operator's command, a customer's browser on the
//! listener, Google's security events, or one of the owner's background workers. Every operation and every commit is
//! given its actor explicitly; the audit chain names the operator (the others are
//! recorded as what they did, not as whom).

use super::audit::Operator;

/// The one who asked for an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An operator's command (the console, the CLI, or a client of the control socket).
    Operator(Operator),
    /// A customer's browser: the consent link's pages and the OAuth callback.
    Customer,
    /// A background worker of the owner.
    System(Worker),
    /// Google, pushing its security events (RISC) to the listener.
    Google,
}

/// The owner's background workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Worker {
    /// Starting up: finishing what a crash left, publishing the set-up.
    Owner,
    Provisioner,
    TokenChecks,
    /// Calls to the deployed MCP servers (after a deploy and every `health.mcp_interval`).
    McpChecks,
    Reconcile,
    Webhooks,
    Sweeper,
}

impl Actor {
    /// Background work that runs on the leading node only (see
    /// [`crate::store::Leadership`]): its calls out and its writes are fenced.
    pub fn leader_only(&self) -> bool {
        matches!(
            self,
            Actor::System(
                Worker::Provisioner
                    | Worker::TokenChecks
                    | Worker::McpChecks
                    | Worker::Reconcile
                    | Worker::Webhooks
                    | Worker::Sweeper
            )
        )
    }

    /// The operator, when an operator asked: the audit chain records who.
    pub fn operator(&self) -> Option<&Operator> {
        match self {
            Actor::Operator(o) => Some(o),
            Actor::Customer | Actor::System(_) | Actor::Google => None,
        }
    }
}
