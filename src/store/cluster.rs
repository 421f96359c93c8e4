//! The nodes sharing the store's data, as `status` lists them: each node's id, release,
//! whether it is alive (seen within the lease's timeout) and when it was last seen, which
//! one leads (the holder of an unexpired lease, and its epoch), and where the data is.
//! sled has one node, this process, which always leads.

use serde::{Deserialize, Serialize};

use crate::time::Millis;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Cluster {
    /// The database's URI without its password, or sled's data dir.
    pub database: String,
    /// Oldest first.
    pub nodes: Vec<NodeView>,
    /// The node that leads now (an unexpired lease), if one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<String>,
    /// The epoch it leads under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u64>,
    /// Why the nodes could not be read (the list is then empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeView {
    pub id: String,
    pub release: String,
    /// Where its listener answers (its bound address), once it serves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listener: Option<String>,
    /// Seen within the lease's timeout and not stopped.
    pub alive: bool,
    /// How long ago it was last seen, in the database's time.
    pub seen_ago_ms: Millis,
    /// It said it stopped.
    #[serde(default)]
    pub stopped: bool,
    /// The node that answered this `status`.
    #[serde(default)]
    pub this: bool,
}

impl Cluster {
    /// The one node of a store that is this process's alone (sled): it leads.
    pub fn alone(database: String, node: &str) -> Self {
        Cluster {
            database,
            nodes: vec![NodeView {
                id: node.to_owned(),
                release: env!("CARGO_PKG_VERSION").to_owned(),
                listener: None,
                alive: true,
                seen_ago_ms: 0,
                stopped: false,
                this: true,
            }],
            leader: Some(node.to_owned()),
            epoch: None,
            error: None,
        }
    }

    /// The lines `status` prints about the nodes.
    pub fn describe(&self) -> Vec<String> {
        let mut out = vec![format!("database:     {}", self.database)];
        if let Some(e) = &self.error {
            out.push(format!("nodes:        not read: {e}"));
            return out;
        }
        let alive = self.nodes.iter().filter(|n| n.alive).count();
        let leader = match (&self.leader, self.epoch) {
            (Some(l), Some(e)) => format!("{l} leads (epoch {e})"),
            (Some(l), None) => format!("{l} leads"),
            (None, _) => "none leads now".to_owned(),
        };
        out.push(format!(
            "nodes:        {} ({alive} alive); {leader}",
            self.nodes.len()
        ));
        for n in &self.nodes {
            let state = if n.alive {
                "alive"
            } else if n.stopped {
                "stopped"
            } else {
                "NOT SEEN"
            };
            let mut line = format!(
                "  {}  {}  {state}, seen {} ago",
                n.id,
                n.release,
                crate::time::short_duration(std::time::Duration::from_millis(
                    u64::try_from(n.seen_ago_ms).unwrap_or(0)
                ))
            );
            if let Some(at) = &n.listener {
                line.push_str(&format!(", listening on {at}"));
            }
            if self.leader.as_deref() == Some(n.id.as_str()) {
                line.push_str(", leader");
            }
            if n.this {
                line.push_str(", this node");
            }
            out.push(line);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lines_name_the_leader_its_epoch_and_each_nodes_state() {
        let node = |id: &str, alive, stopped, this: bool| NodeView {
            id: id.into(),
            release: "0.1.0".into(),
            listener: this.then(|| "10.0.0.5:8080".to_owned()),
            alive,
            seen_ago_ms: 61_000,
            stopped,
            this,
        };
        let c = Cluster {
            database: "postgres://app@db/onboard".into(),
            nodes: vec![
                node("a", true, false, true),
                node("b", false, true, false),
                node("c", false, false, false),
            ],
            leader: Some("a".into()),
            epoch: Some(7),
            error: None,
        };
        let lines = c.describe();
        assert_eq!(lines[0], "database:     postgres://app@db/onboard");
        assert_eq!(lines[1], "nodes:        3 (1 alive); a leads (epoch 7)");
        assert!(
            lines[2].starts_with("  a  0.1.0  alive, seen "),
            "{}",
            lines[2]
        );
        assert!(
            lines[2].ends_with(", listening on 10.0.0.5:8080, leader, this node"),
            "{}",
            lines[2]
        );
        assert!(lines[3].contains("stopped"), "{}", lines[3]);
        assert!(lines[4].contains("NOT SEEN"), "{}", lines[4]);
        let one = Cluster::alone("/var/lib/x".into(), "n");
        assert_eq!(one.describe()[1], "nodes:        1 (1 alive); n leads");
    }
}
