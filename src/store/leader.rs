//! Which node leads the background work: a [`Leadership`] handle each store gives out, a
//! `watch` of this node's [`Role`]. A leader's role carries a deadline on this process's
//! monotonic clock, shorter than the lease it holds: once it has passed, the handle says
//! [`Role::Follower`] whatever the keeper last published (a process that was paused, or
//! cannot reach the database, never believes it still leads). sled's store is always the
//! leader (one process per database), with no deadline.

use std::time::Instant;

use tokio::sync::watch;

/// What this node is for the background work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// It leads under `epoch` (bumped at every takeover) until `until` (`None`: for as
    /// long as the process runs).
    Leader {
        epoch: u64,
        until: Option<Instant>,
    },
    Follower,
}

impl Role {
    /// The role as it stands at `now`: a leader past its deadline is a follower.
    pub fn at(self, now: Instant) -> Role {
        match self {
            Role::Leader {
                until: Some(until), ..
            } if now >= until => Role::Follower,
            r => r,
        }
    }
}

/// This node's role, as its store's lease keeper says it. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Leadership {
    node: std::sync::Arc<str>,
    rx: watch::Receiver<Role>,
}

impl Leadership {
    pub(crate) fn new(node: &str, rx: watch::Receiver<Role>) -> Self {
        Self {
            node: node.into(),
            rx,
        }
    }

    /// A leader for as long as the process runs (sled: one process per database).
    pub(crate) fn always(node: &str) -> Self {
        let (_, rx) = watch::channel(Role::Leader {
            epoch: 1,
            until: None,
        });
        Self::new(node, rx)
    }

    /// This node's id (also its sessions' `application_name` on PostgreSQL).
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The role now (a leader past its deadline is a follower).
    pub fn role(&self) -> Role {
        self.rx.borrow().at(Instant::now())
    }

    pub fn is_leader(&self) -> bool {
        matches!(self.role(), Role::Leader { .. })
    }

    /// Resolves once this node leads (`leads`) or does not, as its role stands then: a
    /// role published between a check and this wait is not missed.
    pub async fn until(&mut self, leads: bool) {
        self.until_role(|role| matches!(role, Role::Leader { .. }) == leads)
            .await;
    }

    /// Resolves once the role (a leader past its deadline is a follower) no longer is
    /// leading under `epoch`: it follows, or leads under another epoch.
    pub async fn until_not_under(&mut self, epoch: u64) {
        self.until_role(|role| !matches!(role, Role::Leader { epoch: e, .. } if e == epoch))
            .await;
    }

    async fn until_role(&mut self, done: impl Fn(Role) -> bool) {
        loop {
            let role = *self.rx.borrow_and_update();
            if done(role.at(Instant::now())) {
                return;
            }
            let published = async {
                if self.rx.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            };
            match role {
                Role::Leader {
                    until: Some(until), ..
                } => {
                    tokio::select! {
                        () = published => {}
                        () = tokio::time::sleep_until(until.into()) => {}
                    }
                }
                _ => published.await,
            }
        }
    }

    /// Resolves when the role may have changed: the keeper published another, or the
    /// leader's deadline passed. Never resolves for a role that cannot change.
    pub async fn changed(&mut self) {
        let deadline = match *self.rx.borrow_and_update() {
            Role::Leader {
                until: Some(until), ..
            } => Some(until),
            _ => None,
        };
        let published = async {
            if self.rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        match deadline {
            Some(until) => {
                tokio::select! {
                    () = published => {}
                    () = tokio::time::sleep_until(until.into()) => {}
                }
            }
            None => published.await,
        }
    }
}

/// A new node id: the host's name, the process id and a random part (two stores of one
/// process differ), at most 63 bytes, as PostgreSQL keeps an `application_name`.
pub(crate) fn node_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let host: String = host
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        .take(32)
        .collect();
    let host = if host.is_empty() { "host".into() } else { host };
    let random: u32 = rand::random();
    format!("mcp-onboard@{host}:{}:{random:08x}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_leader_past_its_deadline_is_a_follower() {
        let now = Instant::now();
        let leader = Role::Leader {
            epoch: 3,
            until: Some(now + Duration::from_secs(1)),
        };
        assert_eq!(leader.at(now), leader);
        assert_eq!(leader.at(now + Duration::from_secs(1)), Role::Follower);
        let forever = Role::Leader {
            epoch: 1,
            until: None,
        };
        assert_eq!(forever.at(now + Duration::from_secs(3600)), forever);
    }

    #[test]
    fn node_ids_differ_and_fit_an_application_name() {
        let (a, b) = (node_id(), node_id());
        assert_ne!(a, b);
        assert!(a.len() <= 63 && a.is_ascii(), "{a}");
        assert!(a.contains(&format!(":{}:", std::process::id())), "{a}");
    }

    #[tokio::test]
    async fn a_handle_says_follower_once_the_deadline_passes_without_a_word_from_the_keeper() {
        let until = Instant::now() + Duration::from_millis(50);
        let (tx, rx) = watch::channel(Role::Leader {
            epoch: 2,
            until: Some(until),
        });
        let mut l = Leadership::new("n", rx);
        assert!(l.is_leader());
        tokio::time::timeout(Duration::from_secs(5), l.changed())
            .await
            .expect("woken at the deadline");
        assert_eq!(l.role(), Role::Follower);
        drop(tx);
        assert!(Leadership::always("n").is_leader());
    }
}
