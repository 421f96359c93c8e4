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
use std::sync::{Arc, RwLock, RwLockReadGuard};

use super::index::Index;
use crate::domain::brief::Brief;
use crate::domain::health::HealthAlarm;
use crate::domain::health_alarm::{Client, ClientAlarms};
use crate::domain::model::{ConsentLink, Integration, PendingFlow, ProvisionerState, TenantStatus};
use crate::time::{Millis, now_ms};

/// Provisioning jobs with work left, and those of them waiting after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobCounts {
    pub active: usize,
    pub retrying: usize,
}

/// What a node answers from memory. The read model's questions are answered here, once,
/// from [`NodeLocal::index`]; a backend says where its read model is, and how it counts,
/// stages and publishes.
pub trait NodeLocal: Send + Sync {
    /// The read model. Hold the guard briefly: the writer waits for it.
    fn index(&self) -> RwLockReadGuard<'_, Index>;

    /// A tenant in brief.
    fn brief(&self, slug: &str) -> Option<Arc<Brief>> {
        self.index().brief_shared(slug)
    }
    /// The tenants from `after` (exclusive) on, in slug order, as shared handles.
    fn briefs_after(&self, after: Option<&str>) -> Vec<Arc<Brief>> {
        self.index().snapshot_after(after)
    }
    /// How many tenants there are, and how many in each status.
    fn counts(&self) -> (usize, BTreeMap<TenantStatus, usize>) {
        let index = self.index();
        (index.len(), index.counts().clone())
    }
    /// How many integrations of tenants there are of each integration in each status.
    fn counts_by_integration(&self) -> BTreeMap<(Integration, TenantStatus), usize> {
        self.index().counts_by_integration().clone()
    }
    /// Provisioning jobs due at `now` (by [`crate::domain::facet::job_key`]: a tenant's
    /// first integration's is its slug), and when the next one after is.
    fn due_jobs(&self, now: Millis) -> (Vec<String>, Option<Millis>) {
        self.index().due_jobs(now)
    }
    fn jobs(&self) -> JobCounts {
        let index = self.index();
        JobCounts {
            active: index.active_jobs(),
            retrying: index.retrying_jobs(),
        }
    }
    /// A link that can still start a flow (its state checked at `now`).
    fn live_link(&self, hash: &[u8], now: Millis) -> Option<ConsentLink> {
        self.index().live_link(hash, now).cloned()
    }
    /// The tenants with a link that can still start a consent.
    fn tenants_with_live_links(&self, now: Millis) -> HashSet<String> {
        self.index().tenants_with_live_links(now)
    }
    /// Tenants that hold a consent by this Google account (`sub`) now.
    fn consents_by(&self, sub: &str) -> Vec<String> {
        self.index().consents_by(sub)
    }
    /// OAuth flows started and still within their sign-in window, written or staged.
    fn pending_flows(&self) -> usize;
    /// Pending flows kept now, written or staged (tests and diagnostics).
    fn flow_count(&self) -> usize;
    /// Count a repeated open (`continued`: a repeated Continue) of a live link without a
    /// transaction of its own: it is written with the next lazy write. `false` when this is
    /// not a repeat (the first goes on the timeline, through a transaction) or the link is
    /// not live.
    fn count_again(&self, hash: &[u8], continued: bool) -> bool {
        let repeat = self.index().live_link(hash, now_ms()).is_some_and(|l| {
            if continued {
                l.continued_at.is_some()
            } else {
                l.opened_at.is_some()
            }
        });
        if repeat {
            self.count_repeat(hash, continued);
        }
        repeat
    }
    /// Keep the count of a repeat [`NodeLocal::count_again`] found, for the next lazy write.
    fn count_repeat(&self, hash: &[u8], continued: bool);
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::domain::lifecycle::{NewTenant, new_tenant};

    /// A backend that says only where its read model is and keeps the repeats it is given.
    #[derive(Default)]
    struct Node {
        index: RwLock<Index>,
        repeats: Mutex<Vec<bool>>,
        published: Published,
    }

    impl NodeLocal for Node {
        fn index(&self) -> RwLockReadGuard<'_, Index> {
            self.index.read().unwrap()
        }
        fn pending_flows(&self) -> usize {
            0
        }
        fn flow_count(&self) -> usize {
            0
        }
        fn count_repeat(&self, _hash: &[u8], continued: bool) {
            self.repeats.lock().unwrap().push(continued);
        }
        fn stage_flow(&self, _state_hash: &[u8], _flow: PendingFlow, _sealed: String) {}
        fn published(&self) -> &Published {
            &self.published
        }
    }

    #[test]
    fn the_read_model_answers_for_every_backend_and_only_repeats_of_a_live_link_are_counted() {
        let node = Node::default();
        let input = NewTenant {
            slug: "acme".into(),
            ..Default::default()
        };
        let (tenant, _) = new_tenant(&input, 1).unwrap();
        const H: [u8; 32] = [7; 32];
        let mut link = ConsentLink::new("acme", "l1", 0, i64::MAX);
        {
            let mut index = node.index.write().unwrap();
            index.put_tenant(&tenant);
            index.put_link(&H, &link, 0);
        }
        assert_eq!(node.brief("acme").unwrap().slug, "acme");
        assert_eq!(node.briefs_after(None).len(), 1);
        assert_eq!(node.counts().0, 1);
        assert_eq!(node.counts().1.get(&TenantStatus::Created), Some(&1));
        assert!(node.live_link(&H, 0).is_some());
        assert!(node.tenants_with_live_links(0).contains("acme"));
        assert_eq!(node.jobs(), JobCounts::default());
        // Not yet opened: the first open is no repeat; nor is an unknown link's.
        assert!(!node.count_again(&H, false));
        assert!(!node.count_again(&[9; 32], false));
        link.opened_at = Some(1);
        node.index.write().unwrap().put_link(&H, &link, 0);
        assert!(node.count_again(&H, false));
        assert!(!node.count_again(&H, true), "never continued");
        assert_eq!(*node.repeats.lock().unwrap(), [false]);
    }
}
