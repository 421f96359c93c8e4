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
        let anchors_checked = Some(expect.len());
        let r = self.store.read(move |s| s.verify_audit(&expect)).await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Command;

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
