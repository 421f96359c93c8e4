//! In-memory index of active provisioning jobs by next attempt time. Rebuilt from the
//! tenants at open; the store updates it with every tenant change.

use std::collections::{BTreeSet, HashMap};

use crate::engine::model::Tenant;

#[derive(Debug, Default)]
pub(super) struct JobIndex {
    by_time: BTreeSet<(i64, String)>,
    at: HashMap<String, i64>,
}

impl JobIndex {
    /// Reflect `t`'s job: indexed while active, gone otherwise.
    pub(super) fn set(&mut self, t: &Tenant) {
        if let Some(old) = self.at.remove(&t.slug) {
            self.by_time.remove(&(old, t.slug.clone()));
        }
        if let Some(p) = t.provision.as_ref().filter(|p| p.step.is_active()) {
            self.at.insert(t.slug.clone(), p.next_attempt_at);
            self.by_time.insert((p.next_attempt_at, t.slug.clone()));
        }
    }

    pub(super) fn due(&self, now: i64) -> (Vec<String>, Option<i64>) {
        let mut due = Vec::new();
        for (at, slug) in &self.by_time {
            if *at > now {
                return (due, Some(*at));
            }
            due.push(slug.clone());
        }
        (due, None)
    }
}
