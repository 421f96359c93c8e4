//! Where each integration of a tenant stands, as its row or its detail says it (an owner of
//! an earlier release says less), and which integration an approval must name.

use super::integration_view::IntegrationStatus;
use super::views::{TenantSummary, TenantView};
use crate::domain::model::Integration;
use crate::domain::standing::Standing;

impl TenantSummary {
    /// Where each integration of the tenant stands, its first first. The first's job step
    /// is the row's own when its entry does not say (an owner of an earlier release); from
    /// an owner that does not list them, the tenant's status and step, as one.
    pub fn standings(&self) -> Vec<Standing> {
        let first = Standing {
            status: self.status,
            step: self.step,
        };
        standings_or(&self.statuses, first)
    }
}

impl TenantView {
    /// As [`TenantSummary::standings`], its first's job read from its provisioning.
    pub fn standings(&self) -> Vec<Standing> {
        let first = Standing {
            status: self.status,
            step: self.provisioning.as_ref().map(|p| p.step).or(self.step),
        };
        standings_or(&self.statuses, first)
    }
}

impl TenantView {
    /// The integration an `approve` or `reject` of `integration`'s waiting consent must
    /// name: none while it is the only one waiting (`approve SLUG` takes it, as the
    /// console's keys do), else itself.
    pub fn to_name_for_approval(&self, integration: Integration) -> Option<Integration> {
        let waiting = self
            .integrations
            .iter()
            .filter(|v| v.pending_consent.is_some())
            .count();
        (waiting > 1).then_some(integration)
    }
}

/// Each of `statuses` as it stands, the first's step `first`'s when it does not say; `first`
/// alone when there are none.
fn standings_or(statuses: &[IntegrationStatus], first: Standing) -> Vec<Standing> {
    if statuses.is_empty() {
        return vec![first];
    }
    statuses
        .iter()
        .enumerate()
        .map(|(n, s)| Standing {
            status: s.status,
            step: if n == 0 {
                s.step.or(first.step)
            } else {
                s.step
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::TenantStatus;

    #[test]
    fn a_row_says_where_each_integration_stands_its_first_job_its_own_when_unsaid() {
        use crate::domain::model::ProvisionStep;
        let mut row = crate::engine::api::fixtures::summary("acme", "Acme");
        row.status = TenantStatus::Failed;
        row.step = Some(ProvisionStep::Done);
        let standing = |status, step| Standing { status, step };
        // An owner that lists no integrations: the tenant as one.
        assert_eq!(
            row.standings(),
            [standing(TenantStatus::Failed, Some(ProvisionStep::Done))]
        );
        // One of an earlier release lists them without their steps.
        row.statuses = vec![
            IntegrationStatus {
                integration: Integration::Gmail,
                status: TenantStatus::Deployed,
                step: None,
                mcp_unreachable: false,
            },
            IntegrationStatus {
                integration: Integration::GoogleDrive,
                status: TenantStatus::Failed,
                step: Some(ProvisionStep::Stopped),
                mcp_unreachable: false,
            },
        ];
        assert_eq!(
            row.standings(),
            [
                standing(TenantStatus::Deployed, Some(ProvisionStep::Done)),
                standing(TenantStatus::Failed, Some(ProvisionStep::Stopped)),
            ]
        );
    }
}
