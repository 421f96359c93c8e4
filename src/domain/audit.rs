//! The audit chain's records: who an operator is, an entry of the chain, and its head.
//! The chain itself (linking, sealing, verifying) is the store's.

use serde::{Deserialize, Serialize};

use crate::time::Millis;

/// Who an operator is, as the owner knows it: the peer's uid and pid on the control socket
/// (verified by the kernel; for a command run in this process, its own), and what the
/// client says about its operator (reported, not verified). Stored flat: the claim's
/// fields sit beside uid and pid, as they always have in the audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Operator {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    #[serde(flatten)]
    pub claimed: Claimed,
}

impl Operator {
    /// An operator known by its peer's uid and pid, with what its client claims.
    pub fn new(uid: u32, pid: Option<i32>, claimed: Claimed) -> Self {
        Self {
            uid: Some(uid),
            pid,
            claimed,
        }
    }
}

/// What a client says about the person running it: reported, not verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Claimed {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sudo_user: Option<String>,
    /// The SSH client address, from `SSH_CONNECTION`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_client: Option<String>,
}

impl Claimed {
    /// What this process's environment says: `USER` (or `LOGNAME`), `SUDO_USER`, and the
    /// client address of `SSH_CONNECTION`.
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Self {
            user: var("USER").or_else(|| var("LOGNAME")),
            sudo_user: var("SUDO_USER"),
            ssh_client: var("SSH_CONNECTION")
                .and_then(|c| c.split_whitespace().next().map(str::to_owned)),
        }
    }
}

/// One entry of the audit chain: its hash covers the previous entry's hash and itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: u64,
    pub at: Millis,
    /// `command` (an operator's) or `event` (a lifecycle event).
    pub kind: String,
    pub what: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    pub detail: String,
    /// Who: set for operators' commands and the events they cause; absent for what
    /// customers and the provisioner do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Operator>,
    pub prev: String,
    pub hash: String,
}

impl AuditRecord {
    /// The hash of `prev` and everything else of the entry (the `hash` field left empty).
    pub fn compute_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut bare = self.clone();
        bare.hash = String::new();
        let body = serde_json::to_vec(&bare).unwrap_or_default();
        let mut h = Sha256::new();
        h.update(self.prev.as_bytes());
        h.update(b"\n");
        h.update(&body);
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// What the audit chain says of a lifecycle event: its detail, after the integration it is
/// about when one added after the tenant's first (`[google-drive] ...`, as `tenant show`
/// names it on the timeline).
pub fn event_detail(e: &super::model::AuditEvent) -> String {
    match e.integration {
        Some(i) => format!("[{i}] {}", e.detail),
        None => e.detail.clone(),
    }
}

/// The chain's head: its last entry, with a MAC only the master key's holder can make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub seq: u64,
    pub hash: String,
    pub mac: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operator_is_stored_flat_as_the_chain_has_always_held_it() {
        let op = Operator::new(
            1000,
            Some(42),
            Claimed {
                user: Some("ada".into()),
                sudo_user: None,
                ssh_client: Some("192.0.2.7".into()),
            },
        );
        let json = serde_json::to_string(&op).unwrap();
        assert_eq!(
            json,
            r#"{"uid":1000,"pid":42,"user":"ada","ssh_client":"192.0.2.7"}"#
        );
        let back: Operator =
            serde_json::from_str(r#"{"uid":0,"user":"root","sudo_user":"ada"}"#).unwrap();
        assert_eq!(back.uid, Some(0));
        assert_eq!(back.pid, None);
        assert_eq!(back.claimed.user.as_deref(), Some("root"));
        assert_eq!(back.claimed.sudo_user.as_deref(), Some("ada"));
    }
}
