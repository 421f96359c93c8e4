//! The read model: what the store keeps in memory so that reads on the request path never
//! touch the database (node-local state, see [`super::NodeLocal`]). Updated by the writer, after each batch commits, in commit order:
//!
//! - every tenant in brief (sorted by slug), and counts by status;
//! - the active provisioning jobs by next attempt (the provisioner's work list);
//! - the consent links that can still start a flow, by the SHA-256 of their code.
//!
//! Built from the stored records at open; a link that ended (used, withdrawn, superseded, expired)
//! leaves the map and is then read from the database when asked for.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::domain::brief::Brief;
use crate::domain::facet::job_key;
use crate::domain::model::{ConsentLink, Integration, LinkState, Tenant, TenantStatus};
use crate::time::Millis;

#[derive(Debug, Default)]
pub struct Index {
    briefs: BTreeMap<String, std::sync::Arc<Brief>>,
    counts: BTreeMap<TenantStatus, usize>,
    /// Integrations of tenants, by integration and its status.
    by_integration: BTreeMap<(Integration, TenantStatus), usize>,
    jobs: JobIndex,
    live_links: HashMap<[u8; 32], ConsentLink>,
    /// Pending OAuth flows by state hash, with their expiry.
    flows: HashMap<[u8; 32], Millis>,
    /// Tenants holding a consent, by the Google account (`sub`) that gave it.
    consents: HashMap<String, BTreeSet<String>>,
}

/// Active provisioning jobs by next attempt time, by [`job_key`].
#[derive(Debug, Default)]
struct JobIndex {
    by_time: BTreeSet<(i64, String)>,
    at: HashMap<String, i64>,
    /// Active jobs waiting after a failed attempt.
    retrying: std::collections::HashSet<String>,
}

impl JobIndex {
    /// The tenant's jobs, one per integration it holds, keyed by [`job_key`].
    fn set(&mut self, t: &Tenant) {
        self.forget(&t.slug);
        let first = std::iter::once((None, t.provision.as_ref()));
        let added = t
            .added
            .iter()
            .map(|s| (Some(s.integration), s.provision.as_ref()));
        for (integration, job) in first.chain(added) {
            let Some(p) = job.filter(|p| p.step.is_active()) else {
                continue;
            };
            let key = job_key(&t.slug, integration);
            self.at.insert(key.clone(), p.next_attempt_at);
            self.by_time.insert((p.next_attempt_at, key.clone()));
            if p.last_error.is_some() {
                self.retrying.insert(key);
            }
        }
    }

    /// Drop every job of the tenant `slug`.
    fn forget(&mut self, slug: &str) {
        let keys = std::iter::once(None)
            .chain(Integration::all().map(Some))
            .map(|i| job_key(slug, i));
        for key in keys {
            if let Some(old) = self.at.remove(&key) {
                self.by_time.remove(&(old, key.clone()));
            }
            self.retrying.remove(&key);
        }
    }

    fn due(&self, now: Millis) -> (Vec<String>, Option<Millis>) {
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

fn hash32(hash: &[u8]) -> Option<[u8; 32]> {
    <[u8; 32]>::try_from(hash).ok()
}

impl Index {
    pub(super) fn put_tenant(&mut self, t: &Tenant) {
        let brief = Brief::of(t);
        let new_subs: Vec<String> = brief.grant_subs().cloned().collect();
        let (status, statuses) = (brief.status, brief.statuses.clone());
        for sub in &new_subs {
            self.consents
                .entry(sub.clone())
                .or_default()
                .insert(t.slug.clone());
        }
        if let Some(old) = self
            .briefs
            .insert(t.slug.clone(), std::sync::Arc::new(brief))
        {
            self.uncount(&old);
            for sub in old.grant_subs() {
                if !new_subs.contains(sub) {
                    self.forget_consent(sub, &t.slug);
                }
            }
        }
        *self.counts.entry(status).or_insert(0) += 1;
        for held in statuses {
            *self.by_integration.entry(held).or_insert(0) += 1;
        }
        self.jobs.set(t);
    }

    fn uncount(&mut self, old: &Brief) {
        fn down<K: Ord>(map: &mut BTreeMap<K, usize>, key: K) {
            if let Some(n) = map.get_mut(&key) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    map.remove(&key);
                }
            }
        }
        down(&mut self.counts, old.status);
        for held in &old.statuses {
            down(&mut self.by_integration, *held);
        }
    }

    fn forget_consent(&mut self, sub: &str, slug: &str) {
        if let Some(set) = self.consents.get_mut(sub) {
            set.remove(slug);
            if set.is_empty() {
                self.consents.remove(sub);
            }
        }
    }

    pub(super) fn remove_tenant(&mut self, slug: &str) {
        if let Some(old) = self.briefs.remove(slug) {
            self.uncount(&old);
            for sub in old.grant_subs() {
                self.forget_consent(sub, slug);
            }
        }
        // Its links went with it: none may start a flow any more.
        self.live_links.retain(|_, l| l.tenant != slug);
        self.jobs.forget(slug);
    }

    pub(super) fn put_link(&mut self, hash: &[u8], link: &ConsentLink, now: Millis) {
        let Some(h) = hash32(hash) else { return };
        if link.state(now) == LinkState::Active {
            self.live_links.insert(h, link.clone());
        } else {
            self.live_links.remove(&h);
        }
    }

    pub(super) fn sweep_links(&mut self, now: Millis) -> usize {
        let before = self.live_links.len();
        self.live_links
            .retain(|_, l| l.state(now) == LinkState::Active);
        before - self.live_links.len()
    }

    pub(super) fn put_flow(&mut self, hash: &[u8], expires_at: Millis) {
        if let Some(h) = hash32(hash) {
            self.flows.insert(h, expires_at);
        }
    }

    pub(super) fn remove_flow(&mut self, hash: &[u8]) {
        if let Some(h) = hash32(hash) {
            self.flows.remove(&h);
        }
    }

    /// OAuth flows started and still within their sign-in window.
    pub fn pending_flows(&self) -> usize {
        let now = crate::time::now_ms();
        self.flows.values().filter(|e| **e > now).count()
    }

    /// OAuth flows kept, whether or not still within their sign-in window.
    pub fn flows_kept(&self) -> usize {
        self.flows.len()
    }

    /// Tenants that hold a consent by this Google account now.
    pub fn consents_by(&self, sub: &str) -> Vec<String> {
        self.consents
            .get(sub)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub fn brief(&self, slug: &str) -> Option<&Brief> {
        self.briefs.get(slug).map(|b| &**b)
    }

    /// A tenant in brief, as a shared handle.
    pub fn brief_shared(&self, slug: &str) -> Option<std::sync::Arc<Brief>> {
        self.briefs.get(slug).cloned()
    }

    /// The tenants from `after` (exclusive) on, in slug order, as shared handles: taking
    /// them is cheap, so a long list is built without holding the index.
    pub fn snapshot_after(&self, after: Option<&str>) -> Vec<std::sync::Arc<Brief>> {
        match after {
            Some(a) => self
                .briefs
                .range::<str, _>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded))
                .map(|(_, b)| b.clone())
                .collect(),
            None => self.briefs.values().cloned().collect(),
        }
    }

    /// Every tenant in slug order.
    pub fn briefs(&self) -> impl Iterator<Item = &Brief> {
        self.briefs.values().map(|b| &**b)
    }

    /// Tenants from `after` (exclusive) on, in slug order.
    pub fn briefs_after<'a>(
        &'a self,
        after: Option<&str>,
    ) -> Box<dyn Iterator<Item = &'a Brief> + 'a> {
        match after {
            Some(a) => Box::new(
                self.briefs
                    .range::<str, _>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded))
                    .map(|(_, b)| &**b),
            ),
            None => Box::new(self.briefs.values().map(|b| &**b)),
        }
    }

    pub fn len(&self) -> usize {
        self.briefs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.briefs.is_empty()
    }

    pub fn counts(&self) -> &BTreeMap<TenantStatus, usize> {
        &self.counts
    }

    /// Integrations of tenants, by integration and status.
    pub fn counts_by_integration(&self) -> &BTreeMap<(Integration, TenantStatus), usize> {
        &self.by_integration
    }

    /// Tenants whose provisioning job is due at `now`, and when the next one after is.
    pub fn due_jobs(&self, now: Millis) -> (Vec<String>, Option<Millis>) {
        self.jobs.due(now)
    }

    /// Jobs with work left.
    pub fn active_jobs(&self) -> usize {
        self.jobs.at.len()
    }

    /// Active jobs waiting after a failed attempt.
    pub fn retrying_jobs(&self) -> usize {
        self.jobs.retrying.len()
    }

    /// A link that can still start a flow (and its state is checked again at `now`).
    pub fn live_link(&self, hash: &[u8], now: Millis) -> Option<&ConsentLink> {
        hash32(hash)
            .and_then(|h| self.live_links.get(&h))
            .filter(|l| l.state(now) == LinkState::Active)
    }

    /// The tenants with a link that can still start a consent.
    pub fn tenants_with_live_links(&self, now: Millis) -> std::collections::HashSet<String> {
        self.live_links
            .values()
            .filter(|l| l.state(now) == LinkState::Active)
            .map(|l| l.tenant.clone())
            .collect()
    }

    pub fn live_link_count(&self) -> usize {
        self.live_links.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{NewTenant, new_tenant};

    fn tenant(slug: &str) -> Tenant {
        new_tenant(
            &NewTenant {
                slug: slug.into(),
                ..Default::default()
            },
            1,
        )
        .unwrap()
        .0
    }

    fn link(expires_at: Millis) -> ConsentLink {
        ConsentLink::new("a", "l", 0, expires_at)
    }

    #[test]
    fn counts_follow_status_changes_and_removal() {
        let mut ix = Index::default();
        let mut a = tenant("a");
        ix.put_tenant(&a);
        ix.put_tenant(&tenant("b"));
        assert_eq!(ix.counts().get(&TenantStatus::Created), Some(&2));
        a.status = TenantStatus::Failed;
        ix.put_tenant(&a);
        assert_eq!(ix.counts().get(&TenantStatus::Created), Some(&1));
        assert_eq!(ix.counts().get(&TenantStatus::Failed), Some(&1));
        ix.remove_tenant("a");
        assert_eq!(ix.counts().get(&TenantStatus::Failed), None);
        assert_eq!(ix.len(), 1);
        let after: Vec<_> = ix.briefs_after(Some("a")).map(|b| b.slug.clone()).collect();
        assert_eq!(after, vec!["b".to_owned()]);
    }

    #[test]
    fn counts_by_integration_follow_each_integration_and_the_tenant_its_summary() {
        use Integration::{Gmail, GoogleDrive};
        let mut ix = Index::default();
        let mut a = tenant("a");
        a.status = TenantStatus::Deployed;
        ix.put_tenant(&a);
        let by = |ix: &Index, i, s| ix.counts_by_integration().get(&(i, s)).copied();
        assert_eq!(by(&ix, Gmail, TenantStatus::Deployed), Some(1));
        a.add_integration(GoogleDrive, 2).unwrap();
        ix.put_tenant(&a);
        assert_eq!(by(&ix, Gmail, TenantStatus::Deployed), Some(1));
        assert_eq!(by(&ix, GoogleDrive, TenantStatus::Created), Some(1));
        assert_eq!(ix.counts().get(&TenantStatus::Created), Some(&1));
        assert_eq!(ix.counts().get(&TenantStatus::Deployed), None);
        ix.remove_tenant("a");
        assert!(ix.counts_by_integration().is_empty());
        assert!(ix.counts().is_empty());
    }

    #[test]
    fn only_active_links_are_kept_live() {
        let mut ix = Index::default();
        ix.put_link(&[1; 32], &link(100), 0);
        assert!(ix.live_link(&[1; 32], 50).is_some());
        assert!(ix.live_link(&[1; 32], 100).is_none(), "expired at 100");
        let mut used = link(100);
        used.used_at = Some(5);
        ix.put_link(&[1; 32], &used, 10);
        assert_eq!(ix.live_link_count(), 0);
        ix.put_link(&[2; 32], &link(100), 0);
        assert_eq!(ix.sweep_links(200), 1);
        assert!(
            ix.live_link(&[9; 3], 0).is_none(),
            "a short hash matches nothing"
        );
    }
}
