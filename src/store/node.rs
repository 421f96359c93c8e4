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
use crate::domain::health::HealthAlarm;
use crate::domain::health_alarm::{Client, ClientAlarms};
use crate::domain::model::{ConsentLink, Integration, PendingFlow, ProvisionerState, TenantStatus};
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
    /// How many integrations of tenants there are of each integration in each status.
    fn counts_by_integration(&self) -> BTreeMap<(Integration, TenantStatus), usize>;
    /// Provisioning jobs due at `now` (by [`crate::domain::facet::job_key`]: a tenant's
    /// first integration's is its slug), and when the next one after is.
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
    /// Whether flows are staged here ([`NodeLocal::stage_flow`]) and may be queued without
    /// waiting for their commit: only when this process alone takes the callbacks. A
    /// backend another process may share says no: a flow is then committed before the
    /// customer is sent to Google, wherever the callback lands.
    fn stages_flows(&self) -> bool {
        true
    }
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
    alarms: RwLock<ClientAlarms>,
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

    /// The alarms about our OAuth clients as one, if one is raised (see
    /// [`ClientAlarms::combined`]).
    pub fn health_alarm(&self) -> Option<HealthAlarm> {
        self.alarms.read().ok().and_then(|a| a.combined())
    }

    /// The OAuth clients under alarm.
    pub fn alarmed_clients(&self) -> Vec<Client> {
        self.alarms.read().map(|a| a.clients()).unwrap_or_default()
    }

    /// Record what a check through `client` said of it (see [`ClientAlarms::set`]);
    /// returns that client's alarm now when it was raised or cleared by this
    /// (`Some(None)`: cleared), else `None`.
    pub fn set_health_alarm(
        &self,
        client: Client,
        alarm: Option<HealthAlarm>,
    ) -> Option<Option<HealthAlarm>> {
        let Ok(mut a) = self.alarms.write() else {
            return None;
        };
        let now = alarm.clone();
        a.set(client, alarm).then_some(now)
    }
}
