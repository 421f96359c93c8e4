//! What the operator can do next about a tenant, read from where each of its integrations
//! stands (its status and its provisioning job's step, as a tenant's row carries them):
//! run a stopped job again, check a token, or, when every integration that failed did so
//! before its consent, issue a new link. A tenant of one integration reads as it always
//! did; one of several as its integrations say, never as its first alone (a Drive whose job
//! stopped is retried though Gmail's is done; Gmail's token is checked though Drive needs a
//! new consent). The engine has the last word; these decide what the faces offer and say.

use super::before_consent;
use super::model::{ProvisionStep, TenantStatus};

/// Where one integration of a tenant stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub status: TenantStatus,
    /// Its provisioning job's step (`None`: it never had a job: it never consented).
    pub step: Option<ProvisionStep>,
}

/// Whether `retry` has a stopped job to run again: an integration's job stopped, other
/// than one whose token Google refused (a new consent brings that one back).
pub fn retry_offered(held: &[Standing]) -> bool {
    held.iter()
        .any(|s| s.step == Some(ProvisionStep::Stopped) && s.status != TenantStatus::NeedsReconsent)
}

/// Whether an integration stands on a consent whose token can be checked: not refused by
/// Google nor leaving, and past its consent (a job made with it, or a status after it).
pub fn token_checkable(held: &[Standing]) -> bool {
    held.iter().any(|s| {
        let leaving_or_refused = matches!(
            s.status,
            TenantStatus::NeedsReconsent | TenantStatus::Offboarding | TenantStatus::Offboarded
        );
        let before = matches!(
            s.status,
            TenantStatus::Created
                | TenantStatus::LinkIssued
                | TenantStatus::LinkOpened
                | TenantStatus::Failed
        );
        !leaving_or_refused && (s.step.is_some() || !before)
    })
}

/// Whether the tenant, reading `status` (its integrations' summary), failed before any
/// consent could be retried: it reads failed, and its integrations that failed did so
/// before their consent (none has a job to run again; a new link is what helps).
pub fn failed_before_consent(status: TenantStatus, held: &[Standing]) -> bool {
    let mut failed = held.iter().filter(|s| s.status == TenantStatus::Failed);
    status == TenantStatus::Failed
        && failed
            .clone()
            .any(|s| before_consent::failed_before_consent(s.status, s.step.is_some()))
        && failed.all(|s| before_consent::failed_before_consent(s.status, s.step.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProvisionStep::*;
    use TenantStatus::*;

    fn at(status: TenantStatus, step: Option<ProvisionStep>) -> Standing {
        Standing { status, step }
    }

    #[test]
    fn a_tenant_of_one_integration_reads_as_before() {
        assert!(retry_offered(&[at(Failed, Some(Stopped))]));
        assert!(!retry_offered(&[at(Failed, None)]));
        assert!(!retry_offered(&[at(NeedsReconsent, Some(Stopped))]));
        assert!(!retry_offered(&[at(ServerCreated, Some(Deploy))]));
        assert!(failed_before_consent(Failed, &[at(Failed, None)]));
        assert!(!failed_before_consent(Failed, &[at(Failed, Some(Stopped))]));
        assert!(!failed_before_consent(LinkOpened, &[at(LinkOpened, None)]));
        // A summary no integration bears out says nothing.
        assert!(!failed_before_consent(Failed, &[at(ServerCreated, None)]));
        assert!(token_checkable(&[at(Deployed, Some(Done))]));
        assert!(token_checkable(&[at(Deployed, None)]));
        assert!(!token_checkable(&[at(NeedsReconsent, Some(Done))]));
        assert!(!token_checkable(&[at(Created, None)]));
        assert!(!token_checkable(&[at(Failed, None)]));
    }

    #[test]
    fn a_tenant_of_several_reads_as_each_integration_says() {
        // Gmail never consented, Drive's job stopped: a retry runs Drive's again.
        let drive_stopped = [at(Created, None), at(Failed, Some(Stopped))];
        assert!(retry_offered(&drive_stopped));
        assert!(!failed_before_consent(Failed, &drive_stopped));
        // Gmail's job done, Drive's stopped.
        assert!(retry_offered(&[
            at(Deployed, Some(Done)),
            at(Failed, Some(Stopped))
        ]));
        // Gmail deployed, Drive's token refused: Gmail's can still be checked.
        let refused = [at(Deployed, Some(Done)), at(NeedsReconsent, Some(Done))];
        assert!(token_checkable(&refused));
        assert!(!retry_offered(&refused));
        // Drive declined, Gmail working: a new link, nothing to retry.
        let declined = [at(Deployed, Some(Done)), at(Failed, None)];
        assert!(failed_before_consent(Failed, &declined));
        assert!(!retry_offered(&declined));
    }
}
