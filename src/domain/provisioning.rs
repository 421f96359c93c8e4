//! Provisioning job transitions, pure like the rest of the lifecycle: a fresh job on every
//! consent, the step results the provisioner reports, the operator's retry, and quiet deploy
//! polls. Results from another generation or step are refused as stale.

use super::model::{AuditEvent, EventKind, ProvisionState, ProvisionStep, Tenant, TenantStatus};
use super::transition::{Transition, TransitionError, ensure_active, event, set_status};
use crate::time::{Millis, rfc3339};

/// A fresh job at the first step, under the next generation.
pub(super) fn new_job(tenant: &Tenant, now: Millis) -> ProvisionState {
    let parts = tenant.integration.profile().names;
    let names = tenant
        .integration
        .resource_names(&tenant.slug)
        .unwrap_or_else(|_| crate::blaxel::ResourceNames {
            connection: crate::blaxel::names::normalise_name(&format!(
                "{}-{}",
                parts.connection, tenant.slug
            )),
            function: crate::blaxel::names::normalise_name(&format!(
                "{}-{}",
                parts.function, tenant.slug
            )),
        });
    ProvisionState {
        generation: tenant.provision.as_ref().map_or(1, |p| p.generation + 1),
        step: ProvisionStep::Connection,
        connection_name: names.connection,
        function_name: names.function,
        attempts: 0,
        next_attempt_at: now,
        step_started_at: now,
        last_error: None,
        failed_step: None,
        // A re-consent redeploys the server: whether a running server picks up new
        // connection secrets by itself is not documented, and `deployed` must mean it
        // runs with the token just granted.
        force_update: tenant.provision.is_some(),
        blaxel_status: tenant
            .provision
            .as_ref()
            .and_then(|p| p.blaxel_status.clone()),
        blaxel_status_at: tenant.provision.as_ref().and_then(|p| p.blaxel_status_at),
        mcp_url: tenant.provision.as_ref().and_then(|p| p.mcp_url.clone()),
        waited_ms: 0,
    }
}

fn advance(job: &mut ProvisionState, step: ProvisionStep, now: Millis) {
    job.step = step;
    job.attempts = 0;
    job.next_attempt_at = now;
    job.step_started_at = now;
    job.last_error = None;
    job.waited_ms = 0;
}

/// The status a tenant shows while its job is at `step`.
fn status_at(step: ProvisionStep) -> TenantStatus {
    match step {
        ProvisionStep::Connection => TenantStatus::Consented,
        ProvisionStep::Function => TenantStatus::ConnectionReady,
        ProvisionStep::Deploy => TenantStatus::ServerCreated,
        ProvisionStep::Done => TenantStatus::Deployed,
        ProvisionStep::Stopped => TenantStatus::Failed,
        ProvisionStep::RevokeGrant
        | ProvisionStep::DeleteServer
        | ProvisionStep::AwaitServerGone
        | ProvisionStep::DeleteConnection => TenantStatus::Offboarding,
    }
}

/// Start offboarding: a new job generation at its first step (a tenant that never got a
/// job gets one for the names its resources would have: a tenant whose only consent is an
/// added integration's gets its first's, the tenant's job, see
/// [`super::offboarding`]).
pub(super) fn offboard(
    next: &mut Tenant,
    now: Millis,
) -> Result<(EventKind, String), TransitionError> {
    if next.status == TenantStatus::Offboarding {
        return Err(TransitionError::Offboarding(next.slug.clone()));
    }
    if !super::held::any_traces(next) {
        return Err(TransitionError::NeverConsented(next.slug.clone()));
    }
    let mut job = match next.provision.take() {
        Some(j) => j,
        None => new_job(next, now),
    };
    job.generation += 1;
    job.failed_step = None;
    job.force_update = false;
    advance(&mut job, ProvisionStep::RevokeGrant, now);
    next.provision = Some(job);
    next.status = TenantStatus::Offboarding;
    next.failure = None;
    next.reason = None;
    Ok((
        EventKind::OffboardRequested,
        "operator asked to offboard: the grant goes back to Google, the MCP server and the connection are deleted, the secrets wiped".into(),
    ))
}

/// Stop a provisioning job on its way, because the consent it was started for no longer
/// counts (`why`): a new generation, so that what the provisioner is doing with that
/// consent's token comes back stale, stopped at the step it was at. A new consent starts a
/// fresh job. A job done, stopped or offboarding is left as it is.
pub(super) fn stop_job(next: &mut Tenant, why: &str, now: Millis) {
    let Some(job) = next.provision.as_mut() else {
        return;
    };
    if !job.step.is_active() || job.step.is_offboarding() {
        return;
    }
    let at = job.step;
    job.generation += 1;
    advance(job, ProvisionStep::Stopped, now);
    job.failed_step = Some(at);
    job.last_error = Some(crate::text::clean(why));
}

/// One offboarding step done: on to the next; after the last, `offboarded`.
pub(super) fn offboard_step_done(
    next: &mut Tenant,
    generation: u64,
    step: ProvisionStep,
    detail: &str,
    now: Millis,
) -> Result<(EventKind, String), TransitionError> {
    let slug = next.slug.clone();
    let Some(job) = next.provision.as_mut() else {
        return Err(TransitionError::Stale(slug));
    };
    if job.generation != generation || job.step != step || !step.is_offboarding() {
        return Err(TransitionError::Stale(slug));
    }
    let to = step.next_offboarding();
    advance(job, to, now);
    let detail = crate::text::clean(detail);
    if to == ProvisionStep::Done {
        job.mcp_url = None;
        job.blaxel_status = None;
        next.status = TenantStatus::Offboarded;
        next.pending = None;
        next.health = None;
        return Ok((
            EventKind::Offboarded,
            format!("{detail}; secrets wiped: offboarded"),
        ));
    }
    next.status = TenantStatus::Offboarding;
    Ok((EventKind::OffboardStep, detail))
}

pub(super) fn retry(
    next: &mut Tenant,
    now: Millis,
) -> Result<(EventKind, String), TransitionError> {
    let slug = next.slug.clone();
    let Some(job) = next.provision.as_mut() else {
        return Err(TransitionError::NothingToRetry(
            slug,
            "it has no consent yet; issue a new consent link",
        ));
    };
    if job.step != ProvisionStep::Stopped {
        return Err(TransitionError::NothingToRetry(
            slug,
            "its provisioning is not stopped",
        ));
    }
    let from = job.failed_step.unwrap_or(ProvisionStep::Connection);
    if from.is_offboarding() {
        job.generation += 1;
        advance(job, from, now);
        job.failed_step = None;
        next.status = TenantStatus::Offboarding;
        next.failure = None;
        next.reason = None;
        return Ok((
            EventKind::RetryRequested,
            format!(
                "operator asked to retry offboarding from the {} step",
                from.as_str()
            ),
        ));
    }
    // A failed deploy is retried by sending the function again, which redeploys it.
    let (step, force) = match from {
        ProvisionStep::Deploy => (ProvisionStep::Function, true),
        s => (s, false),
    };
    job.generation += 1;
    advance(job, step, now);
    job.force_update = force;
    job.failed_step = None;
    set_status(next, status_at(step));
    Ok((
        EventKind::RetryRequested,
        format!(
            "operator asked to retry provisioning from the {} step",
            step.as_str()
        ),
    ))
}

pub(super) fn provision_result(
    next: &mut Tenant,
    t: &Transition,
    now: Millis,
) -> Result<(EventKind, String), TransitionError> {
    let slug = next.slug.clone();
    let (generation, expected) = match t {
        Transition::ConnectionReady { generation } => (*generation, ProvisionStep::Connection),
        Transition::ServerCreated { generation, .. } => (*generation, ProvisionStep::Function),
        Transition::Deployed { generation, .. } => (*generation, ProvisionStep::Deploy),
        Transition::ProvisionRetry {
            generation, step, ..
        }
        | Transition::ProvisionFailed {
            generation, step, ..
        } => (*generation, *step),
        _ => return Err(TransitionError::Stale(slug)),
    };
    let Some(job) = next.provision.as_mut() else {
        return Err(TransitionError::Stale(slug));
    };
    if job.generation != generation || job.step != expected {
        return Err(TransitionError::Stale(slug));
    }
    let out = match t {
        Transition::ConnectionReady { .. } => {
            advance(job, ProvisionStep::Function, now);
            (
                EventKind::ConnectionReady,
                format!(
                    "Blaxel integration connection {} holds the credentials",
                    job.connection_name
                ),
            )
        }
        Transition::ServerCreated { blaxel_status, .. } => {
            advance(job, ProvisionStep::Deploy, now);
            job.force_update = false;
            if let Some(s) = blaxel_status {
                job.blaxel_status = Some(s.clone());
                job.blaxel_status_at = Some(now);
            }
            (
                EventKind::ServerCreated,
                format!(
                    "MCP server {} created, bound to {}",
                    job.function_name, job.connection_name
                ),
            )
        }
        Transition::Deployed {
            mcp_url,
            blaxel_status,
            ..
        } => {
            advance(job, ProvisionStep::Done, now);
            job.blaxel_status = Some(blaxel_status.clone());
            job.blaxel_status_at = Some(now);
            job.mcp_url = mcp_url.clone();
            let function = job.function_name.clone();
            // `tenant.recovered` goes out for the change that clears it (see `outbox`).
            let recovered = next
                .token_facts
                .as_mut()
                .is_some_and(|f| std::mem::take(&mut f.recovering));
            (
                EventKind::Deployed,
                format!(
                    "MCP server {function} deployed: {}{}",
                    mcp_url.as_deref().unwrap_or("(Blaxel gave no URL)"),
                    if recovered {
                        " (recovered: deployed again after a new consent)"
                    } else {
                        ""
                    }
                ),
            )
        }
        Transition::ProvisionRetry {
            step,
            error,
            next_attempt_at,
            ..
        } => {
            job.attempts += 1;
            job.next_attempt_at = *next_attempt_at;
            job.last_error = Some(crate::text::clean(error));
            (
                EventKind::ProvisionRetry,
                format!(
                    "{} step, attempt {} failed, retrying at {}: {error}",
                    step.as_str(),
                    job.attempts,
                    rfc3339(*next_attempt_at)
                ),
            )
        }
        Transition::ProvisionFailed {
            step, kind, reason, ..
        } => {
            job.step = ProvisionStep::Stopped;
            job.failed_step = Some(*step);
            job.last_error = Some(crate::text::clean(reason));
            let offboarding = step.is_offboarding();
            let reason = crate::text::clean(&if offboarding {
                format!(
                    "offboarding stopped at the {} step: {reason}; `mcp-onboard retry {slug}` runs it again",
                    step.as_str()
                )
            } else {
                format!("{} step failed: {reason}", step.as_str())
            });
            next.failure = Some(*kind);
            next.reason = Some(reason.clone());
            next.status = if offboarding {
                TenantStatus::Offboarding
            } else {
                TenantStatus::Failed
            };
            return Ok((EventKind::ProvisionFailed, reason));
        }
        _ => return Err(TransitionError::Stale(slug)),
    };
    let step = job.step;
    set_status(next, status_at(step));
    Ok(out)
}

/// A deploy poll that found the function still on its way: the job's bookkeeping moves
/// on; an event is recorded only when Blaxel's status changed.
pub fn deploy_polled(
    tenant: &Tenant,
    generation: u64,
    blaxel_status: &str,
    waited_ms: i64,
    next_attempt_at: Millis,
    now: Millis,
) -> Result<(Tenant, Option<AuditEvent>), TransitionError> {
    ensure_active(tenant)?;
    let mut next = tenant.clone();
    let slug = tenant.slug.clone();
    let Some(job) = next.provision.as_mut() else {
        return Err(TransitionError::Stale(slug));
    };
    if job.generation != generation || job.step != ProvisionStep::Deploy {
        return Err(TransitionError::Stale(slug));
    }
    let changed = job.blaxel_status.as_deref() != Some(blaxel_status);
    job.attempts += 1;
    job.waited_ms = job.waited_ms.saturating_add(waited_ms.max(0));
    job.next_attempt_at = next_attempt_at;
    job.blaxel_status = Some(blaxel_status.to_owned());
    job.blaxel_status_at = Some(now);
    job.last_error = None;
    next.updated_at = now;
    let event = changed.then(|| {
        event(
            &slug,
            now,
            EventKind::DeployStatus,
            format!("Blaxel reports {blaxel_status}"),
        )
    });
    Ok((next, event))
}

/// What a deploy poll that found the server still on its way comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollDecision {
    /// Poll again at `next_attempt_at`; `gap_ms` of waiting is added to the job's total.
    Wait {
        gap_ms: i64,
        next_attempt_at: Millis,
    },
    /// The deploy took too long: stop the job with this reason.
    TimedOut { reason: String },
}

/// The deploy-timeout rule. The time counted is the time seen waiting between polls, each
/// gap capped at about two poll intervals, so an owner that was down for an hour has not
/// seen the deploy wait an hour.
pub fn poll_decision(
    job: &ProvisionState,
    status: &str,
    now: Millis,
    max_poll_ms: i64,
    deploy_timeout_ms: i64,
    next_delay_ms: i64,
) -> PollDecision {
    let last_look = job
        .blaxel_status_at
        .unwrap_or(job.step_started_at)
        .max(job.step_started_at);
    let gap_ms = (now - last_look).clamp(0, 2 * max_poll_ms + 1000);
    if job.waited_ms.saturating_add(gap_ms) > deploy_timeout_ms {
        let timeout =
            std::time::Duration::from_millis(u64::try_from(deploy_timeout_ms).unwrap_or(0));
        PollDecision::TimedOut {
            reason: format!(
                "still {status} after {}; check the function in the Blaxel console, then retry",
                humantime::format_duration(timeout)
            ),
        }
    } else {
        PollDecision::Wait {
            gap_ms,
            next_attempt_at: now.saturating_add(next_delay_ms),
        }
    }
}

#[cfg(test)]
mod poll_tests {
    use super::*;
    use rstest::rstest;

    fn job(step_started_at: Millis, status_at: Option<Millis>, waited_ms: i64) -> ProvisionState {
        ProvisionState {
            generation: 1,
            step: ProvisionStep::Deploy,
            connection_name: "c".into(),
            function_name: "f".into(),
            attempts: 3,
            next_attempt_at: 0,
            step_started_at,
            last_error: None,
            failed_step: None,
            force_update: false,
            blaxel_status: Some("DEPLOYING".into()),
            blaxel_status_at: status_at,
            mcp_url: None,
            waited_ms,
        }
    }

    // max poll 15 s: a gap counts at most 31 s; timeout 20 min = 1_200_000 ms.
    #[rstest]
    #[case::first_poll(job(1_000, None, 0), 6_000, Some(5_000))]
    #[case::since_last_look(job(0, Some(10_000), 1_000), 12_000, Some(2_000))]
    #[case::downtime_is_capped(job(0, Some(10_000), 0), 3_610_000, Some(31_000))]
    #[case::clock_going_back_counts_nothing(job(0, Some(10_000), 0), 9_000, Some(0))]
    #[case::over_the_limit(job(0, Some(10_000), 1_190_000), 25_000, None)]
    #[case::just_under(job(0, Some(10_000), 1_190_000), 20_000, Some(10_000))]
    fn deploy_timeout_rule(
        #[case] j: ProvisionState,
        #[case] now: Millis,
        #[case] gap: Option<i64>,
    ) {
        match poll_decision(&j, "DEPLOYING", now, 15_000, 1_200_000, 4_000) {
            PollDecision::Wait {
                gap_ms,
                next_attempt_at,
            } => {
                assert_eq!(Some(gap_ms), gap);
                assert_eq!(next_attempt_at, now + 4_000);
            }
            PollDecision::TimedOut { reason } => {
                assert_eq!(gap, None, "{reason}");
                assert!(reason.contains("still DEPLOYING after 20m"), "{reason}");
            }
        }
    }
}
