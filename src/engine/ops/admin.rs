//! Looking after the owner: `status`, the audit chain's commands (its entries, verifying it
//! against anchors an operator noted outside the box, its head), a backup, and the
//! sweeper's round.

use crate::domain::actor::Actor;
use crate::domain::anchor::AuditAnchor;
use crate::engine::api::{Reply, StatusView};
use crate::engine::core::{Core, Placement};
use crate::engine::error::EngineError;
use crate::engine::operation::Operation;
use crate::store::{Cluster, Durability, SCHEMA_VERSION};
use crate::time::Millis;

pub fn status(core: &Core) -> StatusView {
    let store = core.store();
    let node = store.node();
    let (tenants, by_status) = node.counts();
    let p = node.published().provisioner();
    StatusView {
        tenants,
        by_status,
        public_url: core.config().listener.public_url.to_string(),
        redirect_uri: core.config().redirect_uri().to_string(),
        data_dir: store.dir().display().to_string(),
        owner: format!("process {}", std::process::id()),
        owner_pid: std::process::id(),
        serving: core.placement() == Placement::Serving,
        provisioner: p.describe(),
        provisioner_state: p,
        seq: store.last_seq(),
        schema_version: SCHEMA_VERSION,
        store: store.stats(),
        subscribers: store.subscribers(),
        pending_flows: node.pending_flows(),
        consent: describe_consent(core),
        health: describe_health(core),
        health_alarm: node.published().health_alarm(),
        webhooks: core.config().webhooks.len(),
        outbox: store.outbox_len(),
        setup: core.setup().to_vec(),
        cluster: Cluster::default(),
    }
}

/// [`status`], with the nodes sharing the data as the store says now (or why it could
/// not say: `status` answers all the same).
pub async fn status_with_nodes(core: &Core) -> StatusView {
    let mut view = status(core);
    view.cluster = core.store().cluster().await.unwrap_or_else(|e| Cluster {
        database: core.store().dir().display().to_string(),
        error: Some(e.to_string()),
        ..Default::default()
    });
    view
}

/// How token checks run: the interval, or the alarm that paused them.
pub fn describe_health(core: &Core) -> String {
    if let Some(a) = core.store().node().published().health_alarm() {
        return format!("ALARM since {}: {}", a.since, a.reason);
    }
    if core.google().is_err() {
        return "off: no Google client".into();
    }
    match (core.config().health.interval, core.placement()) {
        (Some(d), Placement::Serving) => format!(
            "every {} (jittered); `mcp-onboard health` checks now",
            crate::time::short_duration(d)
        ),
        (Some(d), Placement::Direct) => format!(
            "every {} while an owner runs; `mcp-onboard health` checks now",
            crate::time::short_duration(d)
        ),
        (None, _) => {
            "periodic checks off (health.interval = off); `mcp-onboard health` checks now".into()
        }
    }
}

/// `enabled`, or `disabled: <why>`.
pub fn describe_consent(core: &Core) -> String {
    match core.consent_disabled() {
        None => "enabled".into(),
        Some(why) => format!("disabled: {why}"),
    }
}

/// `Audit`: the chain's entries (a tenant's only, from a time on).
pub async fn audit(
    core: &Core,
    tenant: Option<String>,
    since_ms: Option<Millis>,
) -> Result<Reply, EngineError> {
    Ok(Reply::Audit {
        records: core
            .store()
            .read(move |s| s.audit_records(tenant.as_deref(), since_ms))
            .await?,
    })
}

/// `AuditVerify`: the chain holds and extends every anchor, or the first entry that does
/// not.
pub async fn audit_verify(core: &Core, expect: Vec<AuditAnchor>) -> Result<Reply, EngineError> {
    let anchors_checked = Some(expect.len());
    let r = core.store().read(move |s| s.verify_audit(&expect)).await?;
    Ok(match r {
        Ok(entries) => Reply::AuditVerified {
            entries,
            broken_at: None,
            why: None,
            anchors_checked,
        },
        Err((at, why)) => Reply::AuditVerified {
            entries: 0,
            broken_at: Some(at),
            why: Some(why),
            anchors_checked,
        },
    })
}

/// `AuditHead`: the head's number and hash, when its MAC holds.
pub async fn audit_head(core: &Core) -> Result<Reply, EngineError> {
    let (head, at) = core
        .store()
        .read(|s| s.audit_head())
        .await?
        .map_err(EngineError::Conflict)?;
    Ok(Reply::AuditHead {
        anchor: AuditAnchor {
            seq: head.seq,
            hash: head.hash,
        },
        at: crate::time::rfc3339(at),
    })
}

/// `Backup`: a consistent snapshot of everything committed, to a new file.
pub async fn backup(core: &Core, path: String) -> Result<Reply, EngineError> {
    let p = std::path::PathBuf::from(&path);
    if !p.is_absolute() {
        return Err(EngineError::BadRequest(format!(
            "the backup path {path:?} must be absolute"
        )));
    }
    let summary = core.store().backup(p).await?;
    Ok(Reply::BackedUp { path, summary })
}

/// The sweeper's round: drop flows and tombstones older than `before` (noting on the
/// tenant each link whose customer went on to Google and never came back), and let the
/// read model forget links that expired; how many records went.
pub struct Sweep {
    pub before: Millis,
}

impl Operation for Sweep {
    type Output = Result<usize, EngineError>;

    async fn run(self, core: &Core, actor: &Actor) -> Self::Output {
        let (n, noted) = core
            .commit(actor, Durability::Lazy, move |tx| {
                let swept = tx.sweep_flows(self.before)?;
                let noted = super::no_callback::note(tx, &swept.expired)?;
                tx.sweep_live_links()?;
                Ok((swept.count, noted))
            })
            .await?;
        super::no_callback::log(&noted);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::anchor::AuditAnchor;
    use crate::engine::api::{Command, Reply};

    #[test]
    fn the_head_and_an_anchored_verify_cross_the_socket_intact() {
        let anchor = AuditAnchor {
            seq: 7,
            hash: "ab".repeat(32),
        };
        let reply = Reply::AuditHead {
            anchor: anchor.clone(),
            at: "2026-12-02T10:04:11Z".into(),
        };
        let text = serde_json::to_string(&reply).unwrap();
        assert_eq!(
            serde_json::from_str::<Reply>(&text).unwrap(),
            reply,
            "{text}"
        );
        let cmd = Command::AuditVerify {
            expect: vec![anchor],
        };
        let text = serde_json::to_string(&cmd).unwrap();
        assert_eq!(serde_json::from_str::<Command>(&text).unwrap(), cmd);
        // A client of before (no anchors) still reads as a plain verify.
        assert_eq!(
            serde_json::from_str::<Command>(r#"{"command":"audit_verify"}"#).unwrap(),
            Command::AuditVerify { expect: vec![] }
        );
    }
}
