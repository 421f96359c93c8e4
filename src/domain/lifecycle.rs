//! The tenant lifecycle as pure transitions: `apply(tenant, transition, now)` returns the
//! next tenant and the audit event to record, and performs no IO.
//!
//! Invariants: an offboarded tenant accepts nothing; a tenant that already holds consent is
//! never knocked back to `failed` or `link_*` by a later bad callback (those are recorded as
//! events only), so a stale link or a replay cannot break a working MCP server.

use super::provisioning;
pub use super::provisioning::deploy_polled;
pub use super::transition::{Transition, TransitionError};
use super::transition::{ensure_active, event, set_status};

use super::health::{Health, TokenHealth};
pub use super::input::{
    InvalidInput, NewTenant, TenantEdit, edit_tenant, new_tenant, normalise_email, valid_domain,
    validate_return_url, validate_slug,
};
use super::link_asks::move_asked;
use super::model::{AuditEvent, EventKind, PendingConsent, Tenant, TenantStatus};
use crate::time::{Millis, rfc3339};

/// Refused sign-ins on the timeline between two consents, at most.
pub const MAX_REFUSALS_ON_TIMELINE: u32 = 50;
/// A refused sign-in within this long of the last one on the timeline is only counted.
pub const REFUSAL_WINDOW_MS: Millis = 60_000;

/// Decide whether a refused sign-in (a replay, a denial, a dead link...) goes on the
/// timeline or is only counted. Anyone on the internet can send them, so at most one a
/// minute, and at most [`MAX_REFUSALS_ON_TIMELINE`] between consents, are kept; the count
/// of the others goes with the next one kept, and on the tenant.
pub fn note_refusal(tenant: &mut Tenant, event: &mut AuditEvent, now: Millis) -> bool {
    let r = &mut tenant.refusals;
    r.total = r.total.saturating_add(1);
    r.latest_at = Some(now);
    let recent = r.last_at.is_some_and(|t| now - t < REFUSAL_WINDOW_MS);
    if recent || r.on_timeline >= MAX_REFUSALS_ON_TIMELINE {
        r.counted = r.counted.saturating_add(1);
        return false;
    }
    if r.counted > 0 {
        event.detail.push_str(&format!(
            " ({} more refused sign-ins before this one were only counted)",
            r.counted
        ));
    }
    r.on_timeline += 1;
    r.last_at = Some(now);
    r.counted = 0;
    true
}

/// Apply one transition. Pure: same inputs, same outputs.
pub fn apply(
    tenant: &Tenant,
    transition: &Transition,
    now: Millis,
) -> Result<(Tenant, AuditEvent), TransitionError> {
    // An offboarding tenant takes only its offboarding job's results (and a retry of it).
    let offboard_job = tenant.provision.as_ref().is_some_and(|p| {
        p.step.is_offboarding() || p.failed_step.is_some_and(|f| f.is_offboarding())
    });
    let offboard_result = matches!(
        transition,
        Transition::OffboardStepDone { .. }
            | Transition::ProvisionRetry { .. }
            | Transition::ProvisionFailed { .. }
            | Transition::RetryRequested
    );
    if !(tenant.status == TenantStatus::Offboarding && offboard_job && offboard_result) {
        ensure_active(tenant)?;
    }
    let mut next = tenant.clone();
    next.updated_at = now;
    let consented = tenant.holds_consent();
    let (kind, detail) = match transition {
        Transition::LinkIssued {
            link_id,
            expires_at,
            only,
        } => {
            // While a consent of any of its integrations waits, the operator decides first.
            if tenant.summary_status() == TenantStatus::AwaitingApproval {
                return Err(TransitionError::AwaitingApproval(tenant.slug.clone()));
            }
            move_asked(tenant, &mut next, *only, TenantStatus::LinkIssued);
            (
                EventKind::LinkIssued,
                format!(
                    "consent link {link_id} issued, expires {}",
                    rfc3339(*expires_at)
                ),
            )
        }
        Transition::LinkOpened { link_id, only } => {
            move_asked(tenant, &mut next, *only, TenantStatus::LinkOpened);
            (
                EventKind::LinkOpened,
                format!("consent link {link_id} opened"),
            )
        }
        Transition::ConsentStarted { link_id } => (
            EventKind::ConsentStarted,
            format!("customer continued to Google from link {link_id}"),
        ),
        Transition::Consented {
            identity,
            granted_scopes,
        } => {
            set_status(&mut next, TenantStatus::Consented);
            next.google = Some(identity.clone());
            next.granted_scopes = granted_scopes.clone();
            next.consented_at = Some(now);
            next.refusals = Default::default();
            next.health = None;
            // Counted per account: another account's consent starts the count over.
            let same_account = tenant
                .google
                .as_ref()
                .is_some_and(|g| g.sub == identity.sub);
            next.tokens_issued = if same_account {
                tenant.tokens_by_current_account().saturating_add(1)
            } else {
                1
            };
            next.provision = Some(provisioning::new_job(tenant, now));
            let who = identity.email.as_deref().unwrap_or(&identity.sub);
            let changed = match &tenant.google {
                Some(before) if before.sub != identity.sub => format!(
                    " (Google account changed from {})",
                    before.email.as_deref().unwrap_or(&before.sub)
                ),
                _ => String::new(),
            };
            (
                EventKind::Consented,
                format!("consent granted by {who}{changed}; refresh token stored"),
            )
        }
        Transition::ConsentFailed { kind, reason } => {
            if consented {
                (
                    EventKind::ConsentFailed,
                    format!("{reason} (earlier consent kept)"),
                )
            } else {
                set_status(&mut next, TenantStatus::Failed);
                next.failure = Some(*kind);
                next.reason = Some(crate::text::clean(reason));
                (EventKind::ConsentFailed, reason.clone())
            }
        }
        Transition::CallbackRefused { reason } => (EventKind::CallbackRefused, reason.clone()),
        Transition::HealthChecked { health, reason } => {
            health_checked(&mut next, *health, reason, now)?
        }
        Transition::AwaitApproval {
            identity,
            granted_scopes,
        } => {
            let before = tenant
                .google
                .as_ref()
                .map(|g| g.email.clone().unwrap_or_else(|| g.sub.clone()))
                .unwrap_or_default();
            let who = identity
                .email
                .clone()
                .unwrap_or_else(|| identity.sub.clone());
            next.pending = Some(PendingConsent {
                identity: identity.clone(),
                granted_scopes: granted_scopes.clone(),
                at: now,
                underlying: tenant
                    .pending
                    .as_ref()
                    .map_or(tenant.status, |p| p.underlying),
            });
            next.status = TenantStatus::AwaitingApproval;
            next.refusals = Default::default();
            (
                EventKind::ApprovalRequested,
                format!(
                    "consent by {who}, not {before} as before: kept aside until the operator approves (`mcp-onboard approve {slug}`) or rejects it (`mcp-onboard reject {slug}`)",
                    slug = tenant.slug
                ),
            )
        }
        Transition::Approve => {
            let Some(p) = tenant.pending.clone() else {
                return Err(TransitionError::NothingPending(tenant.slug.clone()));
            };
            let mut base = tenant.clone();
            base.pending = None;
            base.status = p.underlying;
            let (approved, _) = apply(
                &base,
                &Transition::Consented {
                    identity: p.identity.clone(),
                    granted_scopes: p.granted_scopes.clone(),
                },
                now,
            )?;
            next = approved;
            let who = p.identity.email.clone().unwrap_or(p.identity.sub);
            let was = tenant
                .google
                .as_ref()
                .map(|g| g.email.clone().unwrap_or_else(|| g.sub.clone()))
                .unwrap_or_default();
            (
                EventKind::Approved,
                format!(
                    "operator approved the consent by {who} (was {was}); its refresh token goes to Blaxel"
                ),
            )
        }
        Transition::Reject => {
            let Some(p) = tenant.pending.clone() else {
                return Err(TransitionError::NothingPending(tenant.slug.clone()));
            };
            next.pending = None;
            next.status = p.underlying;
            let who = p.identity.email.unwrap_or(p.identity.sub);
            (
                EventKind::Rejected,
                format!("operator rejected the consent by {who}; the previous consent stays"),
            )
        }
        Transition::OffboardRequested => provisioning::offboard(&mut next, now)?,
        Transition::Reprovision => {
            if !tenant.holds_consent() || tenant.provision.is_none() {
                return Err(TransitionError::NothingToRetry(
                    tenant.slug.clone(),
                    "it holds no consent to provision with",
                ));
            }
            next.provision = Some(provisioning::new_job(tenant, now));
            set_status(&mut next, TenantStatus::Consented);
            (
                EventKind::RetryRequested,
                "operator asked to provision again (reconcile): the connection and the server are made again".into(),
            )
        }
        Transition::OffboardStepDone {
            generation,
            step,
            detail,
        } => provisioning::offboard_step_done(&mut next, *generation, *step, detail, now)?,
        Transition::RetryRequested if tenant.status == TenantStatus::NeedsReconsent => {
            return Err(TransitionError::NothingToRetry(
                tenant.slug.clone(),
                "Google refused its refresh token; a new consent link brings it back",
            ));
        }
        Transition::RetryRequested => provisioning::retry(&mut next, now)?,
        provisioning => provisioning::provision_result(&mut next, provisioning, now)?,
    };
    // A refused token stays said until a new consent: the previous consent's job moving on
    // (Blaxel recovering) must not show the tenant as fine again.
    if tenant.status == TenantStatus::NeedsReconsent && transition.is_provisioning_result() {
        next.status = TenantStatus::NeedsReconsent;
        next.failure = tenant.failure;
        next.reason = tenant.reason.clone();
    }
    // While a consent waits for approval the status says so; what the tenant would be
    // otherwise (its previous consent's job moves on) is kept beside the pending consent.
    if tenant.status == TenantStatus::AwaitingApproval
        && !matches!(
            transition,
            Transition::Approve
                | Transition::Reject
                | Transition::AwaitApproval { .. }
                | Transition::OffboardRequested
        )
    {
        if let Some(p) = next.pending.as_mut() {
            p.underlying = next.status;
        }
        next.status = TenantStatus::AwaitingApproval;
    }
    Ok((next.clone(), event(&next.slug, now, kind, detail)))
}

/// A token check's verdict on the tenant. Only a consent held can be checked; a client
/// error is no verdict on the tenant and is not applied.
fn health_checked(
    next: &mut Tenant,
    health: Health,
    reason: &str,
    now: Millis,
) -> Result<(EventKind, String), TransitionError> {
    if !next.holds_consent() {
        return Err(TransitionError::NothingToCheck(
            next.slug.clone(),
            "it holds no consent",
        ));
    }
    let before = next.health.clone();
    let reason = crate::text::clean(reason);
    let mut h = TokenHealth {
        checked_at: now,
        health,
        reason: reason.clone(),
        healthy_at: before.as_ref().and_then(|b| b.healthy_at),
        transient_in_a_row: 0,
    };
    let out = match health {
        Health::Healthy => {
            h.healthy_at = Some(now);
            (
                EventKind::TokenHealthy,
                "token check: the refresh token works".to_owned(),
            )
        }
        Health::Transient => {
            // No verdict: the previous one stands, with one more inconclusive check.
            let mut kept = before.unwrap_or(h);
            kept.checked_at = now;
            kept.transient_in_a_row = kept.transient_in_a_row.saturating_add(1);
            next.health = Some(kept);
            return Ok((
                EventKind::TokenHealthy,
                format!("token check inconclusive: {reason}"),
            ));
        }
        Health::NeedsReconsent => {
            set_status(next, TenantStatus::NeedsReconsent);
            next.reason = Some(reason.clone());
            (
                EventKind::TokenRejected,
                format!("token check: {reason}; a new consent link brings the tenant back"),
            )
        }
        Health::ClientError => {
            return Err(TransitionError::NothingToCheck(
                next.slug.clone(),
                "a client error is no verdict on a tenant",
            ));
        }
    };
    next.health = Some(h);
    Ok(out)
}

/// Whether a check's entry belongs on the timeline: a new verdict, not a repeat.
pub fn health_entry_kept(before: Option<&TokenHealth>, after: Option<&TokenHealth>) -> bool {
    match (before, after) {
        (_, None) => false,
        (_, Some(a)) if a.health == Health::Transient => false,
        (None, Some(_)) => true,
        (Some(b), Some(a)) => b.health != a.health,
    }
}
