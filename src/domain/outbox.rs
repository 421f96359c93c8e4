//! The webhook outbox's record: a tenant event waiting for the receivers that want it, and
//! which change of a tenant makes one.

use serde::{Deserialize, Serialize};

use super::model::{Tenant, TenantStatus};
use crate::time::Millis;

/// A tenant event waiting in the outbox for the webhooks that want it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEvent {
    /// The `webhook-id`: the same on every retry.
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub at: Millis,
    pub data: serde_json::Value,
    /// The receivers that took it already, by id (`[[webhook]] id`, or a keyed hash of
    /// the URL): never a URL, which may carry a password or a token.
    #[serde(default)]
    pub delivered: Vec<String>,
}

impl OutboxEvent {
    /// The webhook event a change of `before` into `after` is, if any.
    pub fn of_change(
        before: Option<TenantStatus>,
        after: &Tenant,
    ) -> Option<(&'static str, serde_json::Value)> {
        if before == Some(after.status) {
            return None;
        }
        let t = match after.status {
            TenantStatus::Consented => "tenant.consented",
            TenantStatus::Deployed => "tenant.deployed",
            TenantStatus::Failed => "tenant.failed",
            TenantStatus::NeedsReconsent => "tenant.needs_reconsent",
            TenantStatus::Offboarded => "tenant.offboarded",
            _ => return None,
        };
        let mut data = serde_json::json!({
            "slug": after.slug,
            "name": after.display_name,
            "status": after.status,
            "google_email": after.google.as_ref().and_then(|g| g.email.clone()),
            "integration": after.integration.name(),
        });
        if let Some(o) = data.as_object_mut() {
            if after.status == TenantStatus::Deployed
                && let Some(p) = &after.provision
            {
                o.insert("mcp_url".into(), p.mcp_url.clone().into());
                o.insert("connection".into(), p.connection_name.clone().into());
                o.insert("function".into(), p.function_name.clone().into());
            }
            if after.status == TenantStatus::NeedsReconsent {
                o.insert("reason".into(), after.reason.clone().into());
                let cause = after.token_facts.as_ref().and_then(|f| f.cause);
                o.insert("cause".into(), cause.map(|c| c.as_str()).into());
            }
            if after.status == TenantStatus::Failed {
                o.insert("reason".into(), after.reason.clone().into());
                o.insert(
                    "failure".into(),
                    serde_json::to_value(after.failure).unwrap_or_default(),
                );
            }
        }
        Some((t, data))
    }

    /// The webhook events a change of `before` into `after` is: one for each integration
    /// whose status changed (its first's first), each about that integration alone (its
    /// status, Blaxel resources and MCP URL, `integration` naming it). A tenant of one
    /// integration gets exactly [`Self::of_change`]'s. An integration added after the first
    /// that goes while offboarding (`tenant integration remove`) ends `offboarded`; one that
    /// never consented tells nothing when it goes, alone or with its tenant (nothing of it
    /// was ever told); the first's `tenant.offboarded` says the tenant is gone.
    pub fn of_changes(
        before: Option<&Tenant>,
        after: &Tenant,
    ) -> Vec<(&'static str, serde_json::Value)> {
        let was = |i| before.and_then(|b| b.status_of(i));
        let now = after
            .integrations()
            .into_iter()
            .filter_map(|i| after.facet(i).map(|f| (i, f)))
            // An added one that never consented goes with its tenant unsaid, as when
            // removed alone.
            .filter(|(i, f)| {
                *i == after.integration
                    || f.status != TenantStatus::Offboarded
                    || f.consented_at.is_some()
            })
            .filter_map(|(i, f)| Self::of_change(was(i), &f));
        let gone = before
            .into_iter()
            .flat_map(|b| b.added.iter())
            .filter(|s| !after.holds(s.integration) && s.status == TenantStatus::Offboarding)
            .filter_map(|s| {
                let mut f = before?.facet(s.integration)?;
                f.status = TenantStatus::Offboarded;
                Self::of_change(Some(s.status), &f)
            });
        let mcp = super::mcp_events::of_changes(before, after);
        let recovered = after.integrations().into_iter().filter_map(|i| {
            let f = after.facet(i)?;
            let was = before?.facet(i)?;
            let cleared = was.token_facts.as_ref().is_some_and(|x| x.recovering)
                && !f.token_facts.as_ref().is_some_and(|x| x.recovering);
            if !(cleared && f.status == TenantStatus::Deployed) {
                return None;
            }
            let (_, mut data) = Self::of_change(None, &f)?;
            if let Some(o) = data.as_object_mut() {
                o.insert("recovered".into(), true.into());
            }
            Some(("tenant.recovered", data))
        });
        now.chain(gone).chain(mcp).chain(recovered).collect()
    }

    /// The outbox events of the change numbered `seq` (of `before` into `after`, at `at`):
    /// [`Self::of_changes`]'s, in its order. Each id carries the number (the order of the
    /// changes, whatever the clock does) and a random part: two installations sending to
    /// one receiver never share an id, nor two events of one change.
    pub fn of_commit(
        before: Option<&Tenant>,
        after: &Tenant,
        seq: u64,
        at: crate::time::Millis,
    ) -> Vec<Self> {
        Self::of_changes(before, after)
            .into_iter()
            .map(|(event_type, data)| {
                let salt: u64 = rand::random();
                OutboxEvent {
                    id: format!("msg_{seq:016x}{salt:016x}"),
                    event_type: event_type.to_owned(),
                    at,
                    data,
                    delivered: Vec::new(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{NewTenant, new_tenant};
    use crate::domain::model::GoogleIdentity;

    /// A Gmail-only tenant deployed, as the provisioner leaves it.
    fn deployed() -> Tenant {
        let input = NewTenant {
            slug: "acme".into(),
            display_name: Some("Acme Ltd".into()),
            ..Default::default()
        };
        let mut t = new_tenant(&input, 1).unwrap().0;
        t.google = Some(GoogleIdentity {
            sub: "1".into(),
            email: Some("it@acme.example".into()),
            email_verified: true,
            hd: None,
        });
        let mut job = crate::domain::provisioning::new_job(&t, 2);
        job.step = crate::domain::model::ProvisionStep::Done;
        job.mcp_url = Some("https://run.example/acme/mcp".into());
        t.provision = Some(job);
        t.status = TenantStatus::Deployed;
        t
    }

    #[test]
    fn a_gmail_only_tenant_deployed_is_the_event_of_the_previous_release_naming_its_integration() {
        let (kind, data) =
            OutboxEvent::of_change(Some(TenantStatus::ServerCreated), &deployed()).unwrap();
        assert_eq!(kind, "tenant.deployed");
        assert_eq!(
            data,
            serde_json::json!({
                "slug": "acme",
                "name": "Acme Ltd",
                "status": "deployed",
                "google_email": "it@acme.example",
                "mcp_url": "https://run.example/acme/mcp",
                "connection": "gmail-acme",
                "function": "gmail-mcp-acme",
                "integration": "gmail",
            })
        );
        assert_eq!(
            OutboxEvent::of_change(Some(TenantStatus::Deployed), &deployed()),
            None
        );
        let mut before = deployed();
        before.status = TenantStatus::ServerCreated;
        assert_eq!(
            OutboxEvent::of_changes(Some(&before), &deployed()),
            [("tenant.deployed", data)]
        );
    }

    #[test]
    fn a_change_of_an_added_integration_is_its_own_event_naming_it() {
        use crate::domain::integration::Integration::GoogleDrive;
        let mut before = deployed();
        before.add_integration(GoogleDrive, 3).unwrap();
        let mut after = before.clone();
        let mut job = crate::domain::provisioning::new_job(&after.facet(GoogleDrive).unwrap(), 4);
        job.mcp_url = Some("https://run.example/drive/mcp".into());
        let drive = &mut after.added[0];
        drive.status = TenantStatus::Deployed;
        drive.provision = Some(job);
        let events = OutboxEvent::of_changes(Some(&before), &after);
        assert_eq!(events.len(), 1, "{events:?}");
        let (kind, data) = &events[0];
        assert_eq!(*kind, "tenant.deployed");
        assert_eq!(data["integration"], "google-drive");
        assert_eq!(data["status"], "deployed");
        assert_eq!(data["mcp_url"], "https://run.example/drive/mcp");
        assert_eq!(data["connection"], "google-drive-acme");
        assert_eq!(data["function"], "google-drive-mcp-acme");
        // Removed after its offboarding: offboarded, once.
        let mut leaving = after.clone();
        leaving.added[0].status = TenantStatus::Offboarding;
        let mut gone = leaving.clone();
        gone.added.clear();
        let events = OutboxEvent::of_changes(Some(&leaving), &gone);
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].0, "tenant.offboarded");
        assert_eq!(events[0].1["integration"], "google-drive");
        // Removed before it ever consented: nothing to tell.
        assert!(OutboxEvent::of_changes(Some(&before), &deployed()).is_empty());
    }

    #[test]
    fn an_integration_never_consented_tells_nothing_when_it_goes_with_its_tenant() {
        use crate::domain::integration::Integration::GoogleDrive;
        let mut before = deployed();
        before.consented_at = Some(2);
        before.add_integration(GoogleDrive, 3).unwrap();
        let (leaving, _) = crate::domain::offboarding::offboard_whole(&before, 4).unwrap();
        assert_eq!(
            leaving.status_of(GoogleDrive),
            Some(TenantStatus::Offboarded)
        );
        // As `tenant integration remove` of it: nothing, not `tenant.offboarded` for it
        // while its tenant is still leaving.
        assert!(
            OutboxEvent::of_changes(Some(&before), &leaving).is_empty(),
            "{:?}",
            OutboxEvent::of_changes(Some(&before), &leaving)
        );
        // The tenant's own `tenant.offboarded` comes when its job ends, as always.
        let mut gone = leaving.clone();
        gone.status = TenantStatus::Offboarded;
        let events = OutboxEvent::of_changes(Some(&leaving), &gone);
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].0, "tenant.offboarded");
        assert_eq!(events[0].1["integration"], "gmail");
    }
}
