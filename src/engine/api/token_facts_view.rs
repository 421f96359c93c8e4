//! What a tenant's views show of a token's facts (see `domain::token_facts`): the likely
//! cause of its last refusal, Google's last security event about it, a hold while Google
//! has the account disabled, and a credential change Google asked for.

use serde::{Deserialize, Serialize};

use crate::domain::risc::RiscKind;
use crate::domain::token_facts::{FailureCause, SecurityNote, TokenFacts};
use crate::time::rfc3339;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactsView {
    /// The likely cause of the last refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<FailureCause>,
    /// That cause, as an operator reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause_text: Option<String>,
    /// Google's last security event about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_event: Option<EventSeen>,
    /// On hold since Google disabled the account (until it enables it again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_hold_since: Option<String>,
    /// When Google asked for the account's credentials to change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_change_at: Option<String>,
}

/// A security event as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventSeen {
    pub kind: RiscKind,
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl EventSeen {
    fn of(n: &SecurityNote) -> Self {
        EventSeen {
            kind: n.kind,
            at: rfc3339(n.at),
            reason: n.note.clone(),
        }
    }
}

impl FactsView {
    pub fn of(facts: Option<&TokenFacts>) -> Self {
        let Some(f) = facts else {
            return Self::default();
        };
        FactsView {
            cause: f.cause,
            cause_text: f.cause.map(|c| c.describe().to_owned()),
            security_event: f.security.as_ref().map(EventSeen::of),
            on_hold_since: f.hold.as_ref().map(|h| rfc3339(h.at)),
            credential_change_at: f.credential_change.as_ref().map(|c| rfc3339(c.at)),
        }
    }
}
