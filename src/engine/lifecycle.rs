//! The tenant lifecycle as pure transitions: `apply(tenant, transition, now)` returns the
//! next tenant and the audit event to record, and performs no IO.
//!
//! Invariants: an offboarded tenant accepts nothing; a tenant that already holds consent is
//! never knocked back to `failed` or `link_*` by a later bad callback (those are recorded as
//! events only), so a stale link or a replay cannot break a working MCP server.

use thiserror::Error;

use super::model::{
    AuditEvent, EventKind, ExpectedAccount, FailureKind, GoogleIdentity, Integration,
    ProvisionState, ProvisionStep, Tenant, TenantStatus,
};
use crate::time::{Millis, rfc3339};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    LinkIssued {
        link_id: String,
        expires_at: Millis,
    },
    LinkOpened {
        link_id: String,
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

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    #[error("tenant {0} is offboarded; add it again under a new slug")]
    Offboarded(String),
    #[error("tenant {0} is being offboarded")]
    Offboarding(String),
    #[error("a provisioning result for {0} is stale (the job moved on)")]
    Stale(String),
    #[error("tenant {0} has nothing to retry: {1}")]
    NothingToRetry(String, &'static str),
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidInput {
    #[error(
        "invalid slug {0:?}: use 1 to 31 characters, lowercase letters, digits and hyphens, starting with a letter or digit"
    )]
    Slug(String),
    #[error("invalid display name: {0}")]
    DisplayName(&'static str),
    #[error("invalid email {0:?}: expected something like name@example.com")]
    Email(String),
    #[error("invalid domain {0:?}: expected something like example.com")]
    Domain(String),
}

/// What an operator gives to add a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct NewTenant {
    pub slug: String,
    pub display_name: Option<String>,
    pub contact: Option<String>,
    pub expected_email: Option<String>,
    pub expected_domain: Option<String>,
    #[serde(default)]
    pub integration: Integration,
}

pub fn validate_slug(slug: &str) -> Result<(), InvalidInput> {
    let bytes = slug.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= 31
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
    if ok {
        Ok(())
    } else {
        Err(InvalidInput::Slug(slug.to_owned()))
    }
}

fn valid_domain(d: &str) -> bool {
    let labels: Vec<&str> = d.split('.').collect();
    d.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn normalise_email(e: &str) -> Result<String, InvalidInput> {
    let e = e.trim().to_ascii_lowercase();
    match e.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !local.contains(char::is_whitespace)
                && valid_domain(domain) =>
        {
            Ok(e)
        }
        _ => Err(InvalidInput::Email(e)),
    }
}

/// Validate an operator's input and build the tenant with its first event.
pub fn new_tenant(input: &NewTenant, now: Millis) -> Result<(Tenant, AuditEvent), InvalidInput> {
    validate_slug(&input.slug)?;
    let display_name = input
        .display_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&input.slug)
        .to_owned();
    if display_name.chars().count() > 100 {
        return Err(InvalidInput::DisplayName("at most 100 characters"));
    }
    if display_name.chars().any(char::is_control) {
        return Err(InvalidInput::DisplayName("no control characters"));
    }
    let expected = match (&input.expected_email, &input.expected_domain) {
        (Some(e), _) => Some(ExpectedAccount::Email(normalise_email(e)?)),
        (None, Some(d)) => {
            let d = d.trim().trim_start_matches('@').to_ascii_lowercase();
            if !valid_domain(&d) {
                return Err(InvalidInput::Domain(d));
            }
            Some(ExpectedAccount::Domain(d))
        }
        (None, None) => None,
    };
    let tenant = Tenant {
        slug: input.slug.clone(),
        display_name,
        contact: input.contact.clone().filter(|c| !c.trim().is_empty()),
        expected,
        integration: input.integration,
        scopes: input.integration.scopes(),
        status: TenantStatus::Created,
        failure: None,
        reason: None,
        google: None,
        granted_scopes: Vec::new(),
        consented_at: None,
        created_at: now,
        updated_at: now,
        provision: None,
    };
    let event = event(
        &tenant.slug,
        now,
        EventKind::TenantAdded,
        "tenant added".into(),
    );
    Ok((tenant, event))
}

fn event(slug: &str, at: Millis, kind: EventKind, detail: String) -> AuditEvent {
    AuditEvent {
        at,
        tenant: slug.to_owned(),
        kind,
        detail,
    }
}

/// Apply one transition. Pure: same inputs, same outputs.
pub fn apply(
    tenant: &Tenant,
    transition: &Transition,
    now: Millis,
) -> Result<(Tenant, AuditEvent), TransitionError> {
    match tenant.status {
        TenantStatus::Offboarded => return Err(TransitionError::Offboarded(tenant.slug.clone())),
        TenantStatus::Offboarding => {
            return Err(TransitionError::Offboarding(tenant.slug.clone()));
        }
        _ => {}
    }
    let mut next = tenant.clone();
    next.updated_at = now;
    let consented = tenant.holds_consent();
    let (kind, detail) = match transition {
        Transition::LinkIssued {
            link_id,
            expires_at,
        } => {
            if !consented {
                set_status(&mut next, TenantStatus::LinkIssued);
            }
            (
                EventKind::LinkIssued,
                format!(
                    "consent link {link_id} issued, expires {}",
                    rfc3339(*expires_at)
                ),
            )
        }
        Transition::LinkOpened { link_id } => {
            if !consented {
                set_status(&mut next, TenantStatus::LinkOpened);
            }
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
            next.provision = Some(new_job(tenant, now));
            let who = identity.email.as_deref().unwrap_or(&identity.sub);
            (
                EventKind::Consented,
                format!("consent granted by {who}; refresh token stored"),
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
                next.reason = Some(reason.clone());
                (EventKind::ConsentFailed, reason.clone())
            }
        }
        Transition::CallbackRefused { reason } => (EventKind::CallbackRefused, reason.clone()),
        Transition::RetryRequested => retry(&mut next, now)?,
        provisioning => provision_result(&mut next, provisioning, now)?,
    };
    Ok((next.clone(), event(&next.slug, now, kind, detail)))
}

fn set_status(t: &mut Tenant, status: TenantStatus) {
    t.status = status;
    if status != TenantStatus::Failed {
        t.failure = None;
        t.reason = None;
    }
}

/// A fresh job at the first step, under the next generation.
fn new_job(tenant: &Tenant, now: Millis) -> ProvisionState {
    let names = crate::blaxel::resource_names(tenant.integration.name(), &tenant.slug)
        .unwrap_or_else(|_| crate::blaxel::ResourceNames {
            connection: crate::blaxel::names::normalise_name(&format!(
                "{}-{}",
                tenant.integration.name(),
                tenant.slug
            )),
            function: crate::blaxel::names::normalise_name(&format!(
                "{}-mcp-{}",
                tenant.integration.name(),
                tenant.slug
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
        force_update: false,
        blaxel_status: tenant
            .provision
            .as_ref()
            .and_then(|p| p.blaxel_status.clone()),
        blaxel_status_at: tenant.provision.as_ref().and_then(|p| p.blaxel_status_at),
        mcp_url: tenant.provision.as_ref().and_then(|p| p.mcp_url.clone()),
    }
}

fn advance(job: &mut ProvisionState, step: ProvisionStep, now: Millis) {
    job.step = step;
    job.attempts = 0;
    job.next_attempt_at = now;
    job.step_started_at = now;
    job.last_error = None;
}

/// The status a tenant shows while its job is at `step`.
fn status_at(step: ProvisionStep) -> TenantStatus {
    match step {
        ProvisionStep::Connection => TenantStatus::Consented,
        ProvisionStep::Function => TenantStatus::ConnectionReady,
        ProvisionStep::Deploy => TenantStatus::ServerCreated,
        ProvisionStep::Done => TenantStatus::Deployed,
        ProvisionStep::Stopped => TenantStatus::Failed,
    }
}

fn retry(next: &mut Tenant, now: Millis) -> Result<(EventKind, String), TransitionError> {
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

fn provision_result(
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
            (
                EventKind::Deployed,
                format!(
                    "MCP server {} deployed: {}",
                    job.function_name,
                    mcp_url.as_deref().unwrap_or("(Blaxel gave no URL)")
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
            job.last_error = Some(error.clone());
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
            job.last_error = Some(reason.clone());
            let reason = format!("{} step failed: {reason}", step.as_str());
            next.failure = Some(*kind);
            next.reason = Some(reason.clone());
            next.status = TenantStatus::Failed;
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
    next_attempt_at: Millis,
    now: Millis,
) -> Result<(Tenant, Option<AuditEvent>), TransitionError> {
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
