//! Node-local state: what this process keeps in memory and answers without a database
//! round trip. With one process owning the data (sled) it is the whole truth; a backend
//! shared by several processes answers the same questions from its database (or keeps
//! them in step through its change feed).
//!
//! - the read model ([`super::Index`]): tenants in brief, counts, due jobs, live links,
//!   consents by account, pending flows;
//! - repeated opens and Continues of a link, counted here and written in bulk, and flows
//!   staged for a repeated Continue before they are written;
//! - what the provisioner and the token checks publish about themselves ([`Published`]).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, RwLock};

use crate::domain::brief::Brief;
use crate::domain::health::{HealthAlarm, next_alarm};
use crate::domain::model::{ConsentLink, PendingFlow, ProvisionerState, TenantStatus};
use crate::time::Millis;

/// Provisioning jobs with work left, and those of them waiting after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobCounts {
    pub active: usize,
    pub retrying: usize,
}

pub trait NodeLocal: Send + Sync {
    /// A tenant in brief.
    fn brief(&self, slug: &str) -> Option<Arc<Brief>>;
    /// The tenants from `after` (exclusive) on, in slug order, as shared handles.
    fn briefs_after(&self, after: Option<&str>) -> Vec<Arc<Brief>>;
    /// How many tenants there are, and how many in each status.
    fn counts(&self) -> (usize, BTreeMap<TenantStatus, usize>);
    /// Tenants whose provisioning job is due at `now`, and when the next one after is.
    fn due_jobs(&self, now: Millis) -> (Vec<String>, Option<Millis>);
    fn jobs(&self) -> JobCounts;
    /// A link that can still start a flow (its state checked at `now`).
    fn live_link(&self, hash: &[u8], now: Millis) -> Option<ConsentLink>;
    /// The tenants with a link that can still start a consent.
    fn tenants_with_live_links(&self, now: Millis) -> HashSet<String>;
    /// Tenants that hold a consent by this Google account (`sub`) now.
    fn consents_by(&self, sub: &str) -> Vec<String>;
    /// OAuth flows started and still within their sign-in window, written or staged.
    fn pending_flows(&self) -> usize;
    /// Pending flows kept now, written or staged (tests and diagnostics).
    fn flow_count(&self) -> usize;
    /// Count a repeated open (`continued`: a repeated Continue) of a live link without a
    /// transaction of its own: it is written with the next lazy write. `false` when this is
    /// not a repeat (the first goes on the timeline, through a transaction) or the link is
    /// not live.
    fn count_again(&self, hash: &[u8], continued: bool) -> bool;
    /// Stage a pending flow (its verifier sealed already) without a transaction of its
    /// own: a callback finds it at once, and it is written with the next lazy write.
    fn stage_flow(&self, state_hash: &[u8], flow: PendingFlow, sealed: String);
    /// What the workers publish about themselves.
    fn published(&self) -> &Published;
}

/// What the provisioner and the token checks say about themselves, as this process knows
/// it (a backend shared by several processes would keep the leader's).
#[derive(Debug, Default)]
pub struct Published {
    provisioner: RwLock<ProvisionerState>,
    alarm: RwLock<Option<HealthAlarm>>,
}

impl Published {
    pub fn provisioner(&self) -> ProvisionerState {
        self.provisioner
            .read()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// Record the provisioner's state; `true` when it changed.
    pub fn set_provisioner(&self, state: &ProvisionerState) -> bool {
        let Ok(mut s) = self.provisioner.write() else {
            return false;
        };
        if *s == *state {
            return false;
        }
        s.clone_from(state);
        true
    }

    /// The alarm about our OAuth client, if one is raised.
    pub fn health_alarm(&self) -> Option<HealthAlarm> {
        self.alarm.read().map(|a| a.clone()).unwrap_or_default()
    }

    /// Record what a check said about our client (see [`next_alarm`]); returns the alarm
    /// now when it was raised or cleared by this (`Some(None)`: cleared), else `None`.
    pub fn set_health_alarm(&self, alarm: Option<HealthAlarm>) -> Option<Option<HealthAlarm>> {
        let Ok(mut a) = self.alarm.write() else {
            return None;
        };
        let changed = a.is_some() != alarm.is_some();
        *a = next_alarm(a.as_ref(), alarm);
        changed.then(|| a.clone())
    }
}
