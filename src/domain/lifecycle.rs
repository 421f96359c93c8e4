//! The tenant lifecycle as pure transitions: `apply(tenant, transition, now)` returns the
//! next tenant and the audit event to record, and performs no IO.
//!
//! Invariants: an offboarded tenant accepts nothing; a tenant that already holds consent is
//! never knocked back to `failed` or `link_*` by a later bad callback (those are recorded as
//! events only), so a stale link or a replay cannot break a working MCP server.

use thiserror::Error;

use super::provisioning;
pub use super::provisioning::deploy_polled;
pub use super::transition::{Transition, TransitionError};
use super::transition::{ensure_active, event, set_status};

use super::health::{Health, TokenHealth};
use super::input::{contact_of, plain_text};
use super::model::{
    AuditEvent, EventKind, ExpectedAccount, Integration, PendingConsent, Tenant, TenantStatus,
};
use crate::time::{Millis, rfc3339};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidInput {
    #[error(
        "invalid slug {0:?}: use 1 to 31 characters, lowercase letters, digits and hyphens, starting and ending with a letter or digit"
    )]
    Slug(String),
    #[error("invalid display name: {0}")]
    DisplayName(&'static str),
    #[error("invalid email {0:?}: expected something like name@example.com")]
    Email(String),
    #[error("invalid domain {0:?}: expected something like example.com")]
    Domain(String),
    #[error("invalid return URL {0:?}: {1}")]
    ReturnUrl(String, String),
    #[error("invalid {0}: {1}")]
    Text(&'static str, String),
}

/// A URL customers are sent to after consent: `https://` (plain `http://` only on a
/// loopback address), with a host and no credentials or fragment.
pub fn validate_return_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|e| format!("{e}; expected an https:// URL"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err("expected an https:// URL with a host".into()),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(
                "must be https:// (plain http:// only on a loopback address): customers' browsers are sent to it"
                    .into(),
            );
        }
        _ => return Err("expected an https:// URL".into()),
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err("may not carry credentials or a #fragment".into());
    }
    Ok(url)
}

fn return_url_of(text: Option<&str>) -> Result<Option<String>, InvalidInput> {
    if let Some(t) = text {
        plain_text("return URL", t.trim())?;
    }
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => validate_return_url(t)
            .map(|u| Some(u.to_string()))
            .map_err(|why| InvalidInput::ReturnUrl(t.to_owned(), why)),
    }
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
    /// This tenant's own page to return to after consent (else `listener.return_url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
}

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

pub fn validate_slug(slug: &str) -> Result<(), InvalidInput> {
    let bytes = slug.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= 31
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        // Blaxel names end with a letter or digit: a trailing hyphen would have to be
        // rewritten, and the names would no longer read as the slug.
        && bytes[bytes.len() - 1] != b'-'
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
    if ok {
        Ok(())
    } else {
        Err(InvalidInput::Slug(slug.to_owned()))
    }
}

pub fn valid_domain(d: &str) -> bool {
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

pub fn normalise_email(e: &str) -> Result<String, InvalidInput> {
    plain_text("email", e.trim())?;
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

/// What an operator changes about a tenant; `None` keeps a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct TenantEdit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// An empty contact clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_domain: Option<String>,
    /// Accept any Google account from now on (clears an expected email or domain).
    #[serde(default)]
    pub any_account: bool,
    /// A new return URL (an empty one removes it: `listener.return_url` applies again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
}

fn display_name(name: Option<&str>, slug: &str) -> Result<String, InvalidInput> {
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(slug)
        .to_owned();
    if name.chars().count() > 100 {
        return Err(InvalidInput::DisplayName("at most 100 characters"));
    }
    plain_text("display name", &name)?;
    Ok(name)
}

fn expected_account(
    email: Option<&str>,
    domain: Option<&str>,
) -> Result<Option<ExpectedAccount>, InvalidInput> {
    Ok(match (email, domain) {
        (Some(e), _) => Some(ExpectedAccount::Email(normalise_email(e)?)),
        (None, Some(d)) => {
            plain_text("domain", d.trim())?;
            let d = d.trim().trim_start_matches('@').to_ascii_lowercase();
            if !valid_domain(&d) {
                return Err(InvalidInput::Domain(d));
            }
            Some(ExpectedAccount::Domain(d))
        }
        (None, None) => None,
    })
}

/// Apply an operator's edit; the event says what changed. Pure.
pub fn edit_tenant(
    t: &Tenant,
    e: &TenantEdit,
    now: Millis,
) -> Result<(Tenant, Option<AuditEvent>), InvalidInput> {
    let mut next = t.clone();
    let mut changes = Vec::new();
    if let Some(n) = &e.display_name {
        let n = display_name(Some(n), &t.slug)?;
        if n != t.display_name {
            changes.push(format!("name is now {n:?}"));
            next.display_name = n;
        }
    }
    if let Some(c) = &e.contact {
        let c = contact_of(c)?;
        if c != t.contact {
            changes.push(match &c {
                Some(c) => format!("contact is now {c:?}"),
                None => "contact removed".into(),
            });
            next.contact = c;
        }
    }
    let expected = if e.any_account {
        Some(None)
    } else if e.expected_email.is_some() || e.expected_domain.is_some() {
        Some(expected_account(
            e.expected_email.as_deref(),
            e.expected_domain.as_deref(),
        )?)
    } else {
        None
    };
    if let Some(x) = expected
        && x != t.expected
    {
        changes.push(match &x {
            Some(ExpectedAccount::Email(m)) => format!("expects the Google account {m}"),
            Some(ExpectedAccount::Domain(d)) => format!("expects a Google account of {d}"),
            None => "accepts any Google account".into(),
        });
        next.expected = x;
    }
    if let Some(r) = &e.return_url {
        let r = return_url_of(Some(r))?;
        if r != t.return_url {
            changes.push(match &r {
                Some(u) => format!("returns customers to {u}"),
                None => "return URL removed".into(),
            });
            next.return_url = r;
        }
    }
    if changes.is_empty() {
        return Ok((next, None));
    }
    next.updated_at = now;
    let detail = format!("operator edited the tenant: {}", changes.join("; "));
    Ok((
        next,
        Some(event(&t.slug, now, EventKind::TenantEdited, detail)),
    ))
}

/// Validate an operator's input and build the tenant with its first event.
pub fn new_tenant(input: &NewTenant, now: Millis) -> Result<(Tenant, AuditEvent), InvalidInput> {
    validate_slug(&input.slug)?;
    let display_name = display_name(input.display_name.as_deref(), &input.slug)?;
    let expected = expected_account(
        input.expected_email.as_deref(),
        input.expected_domain.as_deref(),
    )?;
    let tenant = Tenant {
        slug: input.slug.clone(),
        display_name,
        contact: match input.contact.as_deref() {
            Some(c) => contact_of(c)?,
            None => None,
        },
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
        refusals: Default::default(),
        health: None,
        tokens_issued: 0,
        pending: None,
        return_url: return_url_of(input.return_url.as_deref())?,
    };
    let event = event(
        &tenant.slug,
        now,
        EventKind::TenantAdded,
        "tenant added".into(),
    );
    Ok((tenant, event))
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
        } => {
            if tenant.status == TenantStatus::AwaitingApproval {
                return Err(TransitionError::AwaitingApproval(tenant.slug.clone()));
            }
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
