//! Refused and failed sign-ins of a tenant (or of one integration it holds) since its last
//! consent: how many, how many went on the timeline, and when the last came.

use serde::{Deserialize, Serialize};

use crate::time::Millis;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Refusals {
    /// All refused sign-ins since the last consent.
    pub total: u32,
    /// Those of them on the timeline.
    pub on_timeline: u32,
    /// Counted only, since the last one on the timeline.
    pub counted: u32,
    /// The last one on the timeline.
    pub last_at: Option<Millis>,
    /// The last one, on the timeline or only counted: a callback came back then (records
    /// of earlier releases have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_at: Option<Millis>,
}
