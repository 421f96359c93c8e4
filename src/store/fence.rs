//! The fence on calls out: a client made for leader-only work (the provisioner's Blaxel
//! client, the Google client of token checks and revokes) holds a [`Fence`] with this
//! node's [`Leadership`] and checks it before every request, so that a node whose local
//! deadline passed (paused, cut off, taken over) never calls out. A client for operators
//! and customers holds an open fence: it tags its requests with the node alone.

use super::leader::Leadership;

/// A call was not sent, or a write not made: this node does not lead the background work
/// now. Not a failure of the tenant: the work stops here and the leader does it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this node does not lead the background work now (another node does): nothing was done")]
pub struct NotLeader;

/// What a client checks before each request, and the node it names in `User-Agent`.
#[derive(Debug, Clone)]
pub enum Fence {
    /// Operators' and customers' calls: never refused.
    Open { node: std::sync::Arc<str> },
    /// Leader-only work: sent only while this node leads.
    Led(Leadership),
}

impl Fence {
    pub fn open(node: &str) -> Self {
        Fence::Open { node: node.into() }
    }

    pub fn led(leadership: Leadership) -> Self {
        Fence::Led(leadership)
    }

    /// `Err` when this is leader-only work and the node does not lead now.
    pub fn check(&self) -> Result<(), NotLeader> {
        match self {
            Fence::Open { .. } => Ok(()),
            Fence::Led(l) if l.is_leader() => Ok(()),
            Fence::Led(_) => Err(NotLeader),
        }
    }

    pub fn node(&self) -> &str {
        match self {
            Fence::Open { node } => node,
            Fence::Led(l) => l.node(),
        }
    }

    /// `mcp-onboard/<version> (<node id>)`: so that whoever answers can tell nodes apart.
    pub fn user_agent(&self) -> String {
        user_agent(Some(self.node()))
    }
}

/// The `User-Agent` of this build's requests, naming `node` when it is known.
pub fn user_agent(node: Option<&str>) -> String {
    let version = env!("CARGO_PKG_VERSION");
    match node {
        Some(node) => format!("mcp-onboard/{version} ({node})"),
        None => format!("mcp-onboard/{version}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Role;
    use tokio::sync::watch;

    #[test]
    fn a_led_fence_refuses_once_the_node_follows_and_an_open_one_never() {
        let (tx, rx) = watch::channel(Role::Leader {
            epoch: 4,
            until: None,
        });
        let led = Fence::led(Leadership::new("node-a", rx));
        assert_eq!(led.check(), Ok(()));
        tx.send_replace(Role::Follower);
        assert_eq!(led.check(), Err(NotLeader));
        assert_eq!(Fence::open("node-a").check(), Ok(()));
        assert_eq!(
            led.user_agent(),
            format!("mcp-onboard/{} (node-a)", env!("CARGO_PKG_VERSION"))
        );
    }
}
