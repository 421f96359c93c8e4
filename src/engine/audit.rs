//! The audit chain's commands: verify it (against anchors an operator noted outside the
//! box) and show its head, the anchor to note.

use super::api::Reply;
use super::error::EngineError;
use super::handle::Engine;
use crate::domain::anchor::AuditAnchor;

impl Engine {
    /// `AuditVerify`: the chain holds and extends every anchor, or the first entry that
    /// does not.
    pub(super) async fn audit_verify(
        &self,
        expect: Vec<AuditAnchor>,
    ) -> Result<Reply, EngineError> {
        let r = self.store.read(move |s| s.verify_audit(&expect)).await?;
        Ok(match r {
            Ok(entries) => Reply::AuditVerified {
                entries,
                broken_at: None,
                why: None,
            },
            Err((at, why)) => Reply::AuditVerified {
                entries: 0,
                broken_at: Some(at),
                why: Some(why),
            },
        })
    }

    /// `AuditHead`: the head's number and hash, when its MAC holds.
    pub(super) async fn audit_head(&self) -> Result<Reply, EngineError> {
        let (head, at) = self
            .store
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
}
