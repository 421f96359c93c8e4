//! The vocabulary of tenant changes: `Transition` (what happened), `TransitionError` (why a
//! change is refused) and the small helpers every rule uses. Pure.

use thiserror::Error;

use super::model::{
    AuditEvent, EventKind, FailureKind, GoogleIdentity, ProvisionStep, Tenant, TenantStatus,
};
use crate::time::Millis;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// A link issued; it asks for `only` that integration (`None`: each not consented).
    LinkIssued {
        link_id: String,
        expires_at: Millis,
        only: Option<super::integration::Integration>,
    },
    /// A link opened for the first time; `only` as it was issued.
    LinkOpened {
        link_id: String,
        only: Option<super::integration::Integration>,
    },
    ConsentStarted {
        link_id: String,
    },
    Consented {
        identity: GoogleIdentity,
        granted_scopes: Vec<String>,
    },
    ConsentFailed {
        kind: FailureKind,
        reason: String,
    },
    CallbackRefused {
        reason: String,
    },
    /// A consent by another account than the previous one: kept aside for the operator.
    AwaitApproval {
        identity: GoogleIdentity,
        granted_scopes: Vec<String>,
    },
    /// The operator approves the pending consent: it becomes the tenant's consent.
    Approve,
    /// The operator rejects it: the previous consent stays.
    Reject,
    /// The operator hands the tenant back to the provisioner (drift): a new job makes its
    /// connection and server again, as after a consent.
    Reprovision,
    /// The operator asks to offboard the tenant: its grant given back, its Blaxel
    /// resources deleted, its secrets wiped; the record stays as `offboarded`.
    OffboardRequested,
    /// An offboarding step of job `generation` is done; `detail` says what was done.
    OffboardStepDone {
        generation: u64,
        step: ProvisionStep,
        detail: String,
    },
    /// A token health check's verdict (see `health::classify`).
    HealthChecked {
        health: crate::domain::health::Health,
        reason: String,
    },
    /// Provisioning results; `generation` and `step` say which job step produced them.
    ConnectionReady {
        generation: u64,
    },
    ServerCreated {
        generation: u64,
        blaxel_status: Option<String>,
    },
    Deployed {
        generation: u64,
        mcp_url: Option<String>,
        blaxel_status: String,
    },
    ProvisionRetry {
        generation: u64,
        step: ProvisionStep,
        error: String,
        next_attempt_at: Millis,
    },
    ProvisionFailed {
        generation: u64,
        step: ProvisionStep,
        kind: FailureKind,
        reason: String,
    },
    RetryRequested,
}

impl Transition {
    /// A result of the Blaxel job (not an operator's or a customer's act).
    pub fn is_provisioning_result(&self) -> bool {
        matches!(
            self,
            Transition::ConnectionReady { .. }
                | Transition::ServerCreated { .. }
                | Transition::Deployed { .. }
                | Transition::ProvisionRetry { .. }
                | Transition::ProvisionFailed { .. }
                | Transition::OffboardStepDone { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    #[error("tenant {0} does not hold {1}")]
    NotHeld(String, super::integration::Integration),
    #[error("tenant {0} is offboarded; add it again under a new slug")]
    Offboarded(String),
    #[error("tenant {0} is being offboarded")]
    Offboarding(String),
    #[error("a provisioning result for {0} is stale (the job moved on)")]
    Stale(String),
    #[error("tenant {0} has nothing to retry: {1}")]
    NothingToRetry(String, &'static str),
    #[error("tenant {0} has no token to check: {1}")]
    NothingToCheck(String, &'static str),
    #[error(
        "tenant {0} never consented: nothing of it is at Google or Blaxel; `mcp-onboard tenant remove {0}` deletes it"
    )]
    NeverConsented(String),
    #[error("tenant {0} has no consent waiting for approval")]
    NothingPending(String),
    #[error(
        "tenant {0} has a consent by another Google account waiting for approval: `mcp-onboard approve {0}` or `mcp-onboard reject {0}` first"
    )]
    AwaitingApproval(String),
    #[error(
        "tenant {0} has consented ({1}): its Google grant and Blaxel resources would be left behind; a consented tenant is offboarded, not removed (`mcp-onboard offboard {0}`)"
    )]
    Consented(String, &'static str),
}

pub fn event(slug: &str, at: Millis, kind: EventKind, detail: String) -> AuditEvent {
    AuditEvent {
        at,
        tenant: slug.to_owned(),
        kind,
        detail: crate::text::clean(&detail),
        integration: None,
    }
}

/// An offboarding or offboarded tenant accepts no transition at all.
pub fn ensure_active(tenant: &Tenant) -> Result<(), TransitionError> {
    match tenant.status {
        TenantStatus::Offboarded => Err(TransitionError::Offboarded(tenant.slug.clone())),
        TenantStatus::Offboarding => Err(TransitionError::Offboarding(tenant.slug.clone())),
        _ => Ok(()),
    }
}

/// Only a tenant that never consented may be removed outright: nothing of it exists at
/// Google or Blaxel yet. One that has consented (for any of its integrations) holds a
/// grant and (maybe) Blaxel resources.
pub fn ensure_removable(tenant: &Tenant) -> Result<(), TransitionError> {
    ensure_active(tenant)?;
    if super::held::any_traces(tenant) {
        return Err(TransitionError::Consented(
            tenant.slug.clone(),
            tenant.status.as_str(),
        ));
    }
    Ok(())
}

pub fn set_status(t: &mut Tenant, status: TenantStatus) {
    t.status = status;
    if status != TenantStatus::Failed {
        t.failure = None;
        t.reason = None;
    }
}
