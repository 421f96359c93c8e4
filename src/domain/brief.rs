//! A tenant in brief: the fields lists, filters, counts and the consent pages need, small
//! enough to keep every tenant's in memory. Derived from the full record, never stored.

use serde::{Deserialize, Serialize};

use super::model::{
    ExpectedAccount, FailureKind, Integration, ProvisionStep, Tenant, TenantStatus,
};
use super::standing::Standing;
use crate::time::Millis;

/// A link mailed, in brief: when, and whether the relay took it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MailedBrief {
    pub at: Millis,
    pub accepted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Brief {
    pub slug: String,
    pub display_name: String,
    /// The tenant's status: its integrations' summarised ([`Tenant::summary_status`]).
    pub status: TenantStatus,
    /// Each integration it holds with its own status, its first first.
    #[serde(default)]
    pub statuses: Vec<(Integration, TenantStatus)>,
    pub failure: Option<FailureKind>,
    pub reason: Option<String>,
    pub google_email: Option<String>,
    /// The Google account (`sub`) whose consent the tenant holds now, for any of its
    /// integrations, if it holds one.
    pub consent_sub: Option<String>,
    /// The integrations holding a consent by that account now, its first first.
    #[serde(default)]
    pub consented: Vec<Integration>,
    /// The account of its first integration's consent waiting for approval (an added
    /// integration's is in its facet): its grant is in use too (giving that account's
    /// grant back at Google would end it).
    pub pending_sub: Option<String>,
    pub expected: Option<ExpectedAccount>,
    pub integration: Integration,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub step: Option<ProvisionStep>,
    pub attempts: u32,
    pub next_attempt_at: Option<Millis>,
    pub blaxel_status: Option<String>,
    pub mcp_url: Option<String>,
    /// Its (first integration's) MCP server failed `health.mcp_failures` checks in a row.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mcp_unreachable: bool,
    /// The tenant's language, if it has one.
    #[serde(default)]
    pub lang: Option<crate::i18n::Lang>,
    /// Where its consent links are mailed ([`Tenant::mail_to`]), if anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_to: Option<String>,
    /// The last time one of its links was mailed, and whether the relay accepted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailed: Option<MailedBrief>,
    /// Each integration added after its first, in brief as a tenant of it alone (its own
    /// status, failure, job and MCP URL; see [`Brief::of_integration`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facets: Vec<Brief>,
}

impl Brief {
    pub fn of(t: &Tenant) -> Self {
        let p = t.provision.as_ref();
        let consented = t.consented_integrations();
        let status = t.summary_status();
        // The tenant's failure and reason are those of the integration its status is (the
        // one needing attention first), named when it is not its first.
        let (failure, reason) = match t
            .added
            .iter()
            .find(|a| a.status == status && t.status != status)
        {
            Some(a) => (
                a.failure,
                a.reason.as_ref().map(|r| format!("{}: {r}", a.integration)),
            ),
            None => (t.failure, t.reason.clone()),
        };
        Self {
            slug: t.slug.clone(),
            display_name: t.display_name.clone(),
            status,
            statuses: t.statuses(),
            failure,
            reason,
            google_email: t.google.as_ref().and_then(|g| g.email.clone()),
            consent_sub: t
                .google
                .as_ref()
                .filter(|_| !consented.is_empty())
                .map(|g| g.sub.clone()),
            consented,
            pending_sub: t
                .pending
                .as_ref()
                .filter(|_| {
                    !matches!(
                        t.status,
                        TenantStatus::Offboarding | TenantStatus::Offboarded
                    )
                })
                .map(|p| p.identity.sub.clone()),
            expected: t.expected.clone(),
            integration: t.integration,
            created_at: t.created_at,
            updated_at: t.updated_at,
            step: p.map(|p| p.step),
            attempts: p.map_or(0, |p| p.attempts),
            next_attempt_at: p.filter(|p| p.step.is_active()).map(|p| p.next_attempt_at),
            blaxel_status: p.and_then(|p| p.blaxel_status.clone()),
            mcp_url: p.and_then(|p| p.mcp_url.clone()),
            mcp_unreachable: super::mcp_record::shown(t.status, t.mcp.as_ref())
                .is_some_and(super::mcp_health::McpHealth::is_unreachable),
            lang: t.language(),
            mail_to: t.mail_to().map(str::to_owned),
            mailed: t.mailed.as_ref().map(|m| MailedBrief {
                at: m.at,
                accepted: m.accepted(),
            }),
            facets: t
                .added
                .iter()
                .filter_map(|a| t.facet(a.integration))
                .map(|f| Brief::of(&f))
                .collect(),
        }
    }

    /// One integration of the tenant in brief, as a tenant of it alone: its own status,
    /// failure, reason, job and MCP URL (`None`: the tenant does not hold it).
    pub fn of_integration(&self, integration: Integration) -> Option<Brief> {
        if integration != self.integration {
            return self
                .facets
                .iter()
                .find(|f| f.integration == integration)
                .cloned();
        }
        let status = self
            .statuses
            .iter()
            .find(|(i, _)| *i == integration)
            .map_or(self.status, |(_, s)| *s);
        Some(Brief {
            status,
            statuses: vec![(integration, status)],
            facets: Vec::new(),
            ..self.clone()
        })
    }

    /// Its integrations whose MCP server is shown unreachable, its first first.
    pub fn mcp_unreachable(&self) -> Vec<Integration> {
        let first = self.mcp_unreachable.then_some(self.integration);
        let added = self.facets.iter().filter(|f| f.mcp_unreachable);
        first
            .into_iter()
            .chain(added.map(|f| f.integration))
            .collect()
    }

    /// The provisioning job step of `integration`, which it holds (`None`: no job).
    pub fn step_of(&self, integration: Integration) -> Option<ProvisionStep> {
        if integration == self.integration {
            return self.step;
        }
        self.facets
            .iter()
            .find(|f| f.integration == integration)
            .and_then(|f| f.step)
    }

    /// Where each integration it holds stands, its first first.
    pub fn standings(&self) -> Vec<Standing> {
        self.statuses
            .iter()
            .map(|(i, status)| Standing {
                status: *status,
                step: self.step_of(*i),
            })
            .collect()
    }

    /// Whether the tenant is being offboarded whole (its first integration is leaving; one
    /// added after it may leave alone).
    pub fn leaving_whole(&self) -> bool {
        let first = self.statuses.first().map_or(self.status, |(_, s)| *s);
        super::offboarding::is_leaving(first)
    }

    /// Whether a case-insensitive `needle` occurs in the slug, name, account or reason.
    /// `needle` must already be lowercase.
    pub fn matches(&self, needle: &str) -> bool {
        if needle.is_empty() {
            return true;
        }
        let hit = |s: &str| {
            s.len() >= needle.len()
                && s.as_bytes()
                    .windows(needle.len())
                    .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
        };
        hit(&self.slug)
            || hit(&self.display_name)
            || self.google_email.as_deref().is_some_and(hit)
            || self.reason.as_deref().is_some_and(hit)
    }
}

impl Brief {
    /// Its integrations (`only` that one, when given) that failed with their provisioning
    /// job stopped: what `retry --all-failed` runs again.
    pub fn stopped(&self, only: Option<Integration>) -> Vec<Integration> {
        self.statuses
            .iter()
            .map(|(i, _)| *i)
            .filter(|i| only.is_none_or(|o| o == *i))
            .filter(|i| {
                self.of_integration(*i).is_some_and(|b| {
                    b.status == TenantStatus::Failed && b.step == Some(ProvisionStep::Stopped)
                })
            })
            .collect()
    }

    /// Whether `integration`, which the tenant holds, has never consented nor been
    /// provisioned (a link for it is what it waits for; `link --all-new --integration`).
    pub fn never_consented(&self, integration: Integration) -> bool {
        !self.consented.contains(&integration)
            && self.of_integration(integration).is_some_and(|b| {
                b.step.is_none()
                    && matches!(
                        b.status,
                        TenantStatus::Created
                            | TenantStatus::LinkIssued
                            | TenantStatus::LinkOpened
                            | TenantStatus::Failed
                    )
            })
    }

    /// Every Google account whose grant this tenant uses now: its consent's, and that of
    /// each consent waiting for approval, of any of its integrations.
    pub fn grant_subs(&self) -> impl Iterator<Item = &String> {
        self.consent_sub
            .iter()
            .chain(self.pending_sub.iter())
            .chain(self.facets.iter().filter_map(|f| f.pending_sub.as_ref()))
    }

    /// Its integrations holding a consent by the account `sub`, its first first: those
    /// consented by it, and those whose consent by it waits for approval.
    pub fn holding(&self, sub: &str) -> Vec<Integration> {
        let by = |s: Option<&String>| s.is_some_and(|s| s == sub);
        let consented = by(self.consent_sub.as_ref());
        self.statuses
            .iter()
            .map(|(i, _)| *i)
            .filter(|i| {
                let waiting = if *i == self.integration {
                    by(self.pending_sub.as_ref())
                } else {
                    self.facets
                        .iter()
                        .any(|f| f.integration == *i && by(f.pending_sub.as_ref()))
                };
                waiting || (consented && self.consented.contains(i))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{NewTenant, new_tenant};

    #[test]
    fn matches_any_shown_field_case_insensitively() {
        let (t, _) = new_tenant(
            &NewTenant {
                slug: "beta-corp".into(),
                display_name: Some("Beta Corporation".into()),
                ..Default::default()
            },
            1,
        )
        .unwrap();
        let b = Brief::of(&t);
        assert!(b.matches("beta"));
        assert!(b.matches("corporation"));
        assert!(b.matches(""));
        assert!(!b.matches("gamma"));
        assert_eq!(b.step, None);
    }

    #[test]
    fn a_tenant_whose_only_consent_is_an_added_integrations_holds_one_by_its_account() {
        let (mut t, _) = new_tenant(
            &NewTenant {
                slug: "acme".into(),
                ..Default::default()
            },
            1,
        )
        .unwrap();
        t.google = Some(crate::domain::model::GoogleIdentity {
            sub: "111".into(),
            email: Some("a@example.com".into()),
            email_verified: true,
            hd: None,
        });
        t.add_integration(Integration::GoogleDrive, 2).unwrap();
        assert_eq!(Brief::of(&t).consent_sub, None);
        t.added[0].consented_at = Some(3);
        t.added[0].status = TenantStatus::Deployed;
        let b = Brief::of(&t);
        assert_eq!(b.consent_sub.as_deref(), Some("111"));
        assert_eq!(b.consented, [Integration::GoogleDrive]);
        assert!(!b.consented.contains(&b.integration));
        assert_eq!(b.grant_subs().collect::<Vec<_>>(), ["111"]);
        // Each integration in brief as its own.
        let drive = b.of_integration(Integration::GoogleDrive).unwrap();
        assert_eq!(drive.status, TenantStatus::Deployed);
        assert_eq!(drive.integration, Integration::GoogleDrive);
        let gmail = b.of_integration(Integration::Gmail).unwrap();
        assert_eq!(gmail.status, TenantStatus::Created);
        assert_eq!(b.status, TenantStatus::Created);
        // The tenant's reason is that of the integration needing attention, named.
        t.added[0].status = TenantStatus::Failed;
        t.added[0].reason = Some("denied".into());
        let b = Brief::of(&t);
        assert_eq!(b.status, TenantStatus::Failed);
        assert_eq!(b.reason.as_deref(), Some("google-drive: denied"));
        assert_eq!(
            b.of_integration(Integration::GoogleDrive)
                .and_then(|d| d.reason),
            Some("denied".into())
        );
    }

    #[test]
    fn a_consent_waiting_for_an_added_integration_holds_its_accounts_grant() {
        use crate::domain::model::{GoogleIdentity, PendingConsent};
        let who = |sub: &str| GoogleIdentity {
            sub: sub.into(),
            email: None,
            email_verified: true,
            hd: None,
        };
        let (mut t, _) = new_tenant(
            &NewTenant {
                slug: "acme".into(),
                ..Default::default()
            },
            1,
        )
        .unwrap();
        t.google = Some(who("111"));
        t.consented_at = Some(2);
        t.status = TenantStatus::Deployed;
        t.add_integration(Integration::GoogleDrive, 3).unwrap();
        t.added[0].status = TenantStatus::AwaitingApproval;
        t.added[0].pending = Some(PendingConsent {
            identity: who("222"),
            granted_scopes: Vec::new(),
            at: 4,
            underlying: TenantStatus::Created,
        });
        let b = Brief::of(&t);
        assert_eq!(b.grant_subs().collect::<Vec<_>>(), ["111", "222"]);
        assert_eq!(b.holding("222"), [Integration::GoogleDrive]);
        assert_eq!(b.holding("111"), [Integration::Gmail]);
        assert!(b.holding("333").is_empty());
    }
}
