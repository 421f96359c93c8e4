//! One provisioning step for one tenant's integration: call Blaxel, classify the answer, record the
//! result as a lifecycle transition (or a quiet poll update).

use crate::blaxel::{
    BlaxelError, ConnectionRequest, FunctionRequest, GoogleOAuthSecret, RequestMetadata,
    function_needs_update,
};
use crate::domain::facet::parse_job_key;
use crate::domain::lifecycle::{Transition, TransitionError};
use crate::domain::model::{FailureKind, Integration, ProvisionState, ProvisionStep, Tenant};
use crate::domain::provisioning::{PollDecision, poll_decision};
use crate::engine::EngineError;
use crate::engine::ops::jobs::{DeployPolled, Job, Record, RefreshToken};
use crate::engine::ops::offboard::{OffboardStepDone, OffboardWait};
use crate::engine::ops::revoke::{GiveBackGrants, RevokeResult};
use crate::store::{Durability, NotLeader, StoreError};
use crate::time::{add, duration_ms, now_ms};

use super::{ME, Provisioner, poll_delay, retry_delay};

/// What a step came to.
pub(super) enum StepResult {
    Advance(Transition),
    Retry(BlaxelError),
    Poll(String),
    Fail(FailureKind, String),
    /// An offboarding step done, with what was done.
    Offboarded(String),
    /// Not yet (Blaxel still deleting, a 409 "in use", Google busy): ask again later.
    Wait(String),
    /// Nothing sent: this node does not lead now. Nothing is recorded (the tenant did
    /// nothing wrong); the leader runs the step.
    NotLeader,
}

/// Blaxel's answer decides: retry what may pass later, stop on anything else with
/// Blaxel's own words.
pub(super) fn classify(e: BlaxelError) -> StepResult {
    if e.is_not_leader() {
        StepResult::NotLeader
    } else if e.is_retryable() {
        StepResult::Retry(e)
    } else {
        StepResult::Fail(FailureKind::BlaxelRejected, e.to_string())
    }
}

impl Provisioner {
    /// Run the due step of the job `key` (a [`job_key`]: a tenant's first integration, or
    /// one added after it). `false` when something unexpected kept its result from being
    /// recorded: the job is still due, and the caller waits before it comes round.
    pub(super) async fn run_step(&self, key: &str) -> bool {
        let Some((slug, integration)) = parse_job_key(key) else {
            tracing::error!(job = key, "a job names no known integration");
            return false;
        };
        let slug = slug.as_str();
        let job = Job {
            slug: slug.to_owned(),
        };
        let tenant = match self.engine.run(ME, job).await {
            Ok(Some(t)) => t,
            Ok(None) => return true,
            Err(e) => {
                tracing::error!(tenant = slug, error = %e, "cannot read tenant");
                return false;
            }
        };
        // The integration's job runs on its facet: its own state, names and token.
        let tenant = match integration {
            None => tenant,
            Some(i) => match tenant.facet(i) {
                Some(f) => f,
                None => return true,
            },
        };
        let Some(job) = tenant.provision.clone() else {
            return true;
        };
        if !job.step.is_active() || job.next_attempt_at > now_ms() {
            return true;
        }
        let started = std::time::Instant::now();
        if self.panics_here(key) {
            panic!("injected panic in the {} step", job.step.as_str());
        }
        let outcome = match job.step {
            ProvisionStep::Connection => self.connection(&tenant, integration, &job).await,
            ProvisionStep::Function => self.function(&tenant, integration, &job).await,
            ProvisionStep::Deploy => self.deploy(&tenant, integration, &job).await,
            ProvisionStep::RevokeGrant => {
                let give_back = GiveBackGrants {
                    tenant: tenant.clone(),
                    integration,
                };
                match self.engine.run(ME, give_back).await {
                    RevokeResult::Done(d) => StepResult::Offboarded(d),
                    RevokeResult::Retry(w) => StepResult::Wait(w),
                    RevokeResult::Fail(r) => StepResult::Fail(FailureKind::ExchangeFailed, r),
                    RevokeResult::NotLeader => StepResult::NotLeader,
                }
            }
            ProvisionStep::DeleteServer => self.delete_server(&job).await,
            ProvisionStep::AwaitServerGone => self.server_gone(&job).await,
            ProvisionStep::DeleteConnection => self.delete_connection(&job).await,
            ProvisionStep::Done | ProvisionStep::Stopped => return true,
        };
        self.note_reachability(&outcome);
        let result = match &outcome {
            StepResult::Advance(_) | StepResult::Offboarded(_) => "done",
            StepResult::Retry(_) => "retry",
            StepResult::Poll(_) | StepResult::Wait(_) => "wait",
            StepResult::Fail(..) => "failed",
            StepResult::NotLeader => "not_leader",
        };
        self.engine
            .metrics()
            .observe_blaxel(result, started.elapsed());
        if matches!(outcome, StepResult::NotLeader) {
            tracing::info!(
                tenant = slug,
                step = job.step.as_str(),
                "not run: this node does not lead now"
            );
            return false;
        }
        match self.record(&tenant, integration, &job, outcome).await {
            Ok(()) => true,
            Err(EngineError::Transition(
                TransitionError::Stale(_)
                | TransitionError::Offboarded(_)
                | TransitionError::Offboarding(_),
            )) => {
                tracing::debug!(tenant = slug, "provisioning result no longer applies");
                true
            }
            Err(e) => {
                tracing::error!(tenant = slug, error = %e, "cannot record provisioning result");
                false
            }
        }
    }

    /// A panic stopped the tenant's step: stop its job as `failed` (internal), so that
    /// `retry` runs it again, rather than leave it due and panicking round after round.
    /// `false` when even that could not be recorded.
    pub(super) async fn stop_after_panic(&self, key: &str, why: &str) -> bool {
        let Some((slug, integration)) = parse_job_key(key) else {
            return false;
        };
        let slug = slug.as_str();
        let read = Job {
            slug: slug.to_owned(),
        };
        let job = match self.engine.run(ME, read).await {
            Ok(Some(t)) => match integration {
                None => t.provision,
                Some(i) => t.facet(i).and_then(|f| f.provision),
            },
            Ok(None) => return true,
            Err(_) => return false,
        };
        let Some(job) = job.filter(|j| j.step.is_active()) else {
            return true;
        };
        let transition = Transition::ProvisionFailed {
            generation: job.generation,
            step: job.step,
            kind: FailureKind::Internal,
            reason: format!(
                "an internal error stopped it ({why}; logged); `mcp-onboard retry {slug}` runs it again"
            ),
        };
        let record = Record {
            slug: slug.to_owned(),
            integration,
            transition,
            durability: Durability::Lazy,
        };
        match self.engine.run(ME, record).await {
            Ok(_) => true,
            Err(e) => {
                tracing::error!(tenant = slug, error = %e, "cannot stop the job after a panic");
                false
            }
        }
    }

    fn note_reachability(&self, outcome: &StepResult) {
        match outcome {
            StepResult::Retry(e) => self.saw_blaxel(e.status().is_some_and(|s| s < 500)),
            StepResult::Fail(FailureKind::StoreFailed, _) | StepResult::NotLeader => {}
            _ => self.saw_blaxel(true),
        }
    }

    async fn delete_server(&self, job: &ProvisionState) -> StepResult {
        match self.client.delete_function(&job.function_name).await {
            Ok(_) => StepResult::Offboarded(format!("MCP server {} deleted", job.function_name)),
            Err(e) if e.is_not_found() => StepResult::Offboarded(format!(
                "MCP server {} was not at Blaxel (deleted already)",
                job.function_name
            )),
            Err(e) => classify(e),
        }
    }

    async fn server_gone(&self, job: &ProvisionState) -> StepResult {
        use crate::blaxel::Status;
        /// Checks (with backoff up to a minute apart) before giving up: about two hours.
        const MAX_WAITS: u32 = 120;
        match self.client.get_function(&job.function_name).await {
            Err(e) if e.is_not_found() => {
                StepResult::Offboarded(format!("MCP server {} is gone", job.function_name))
            }
            Ok(f) if f.status == Some(Status::Terminated) => {
                StepResult::Offboarded(format!("MCP server {} is terminated", job.function_name))
            }
            Ok(_) if job.attempts >= MAX_WAITS => StepResult::Fail(
                FailureKind::BlaxelRejected,
                format!(
                    "Blaxel has not deleted the MCP server {} after {MAX_WAITS} checks",
                    job.function_name
                ),
            ),
            Ok(f) if f.status == Some(Status::Deleting) => StepResult::Wait(format!(
                "Blaxel is still deleting the MCP server {}",
                job.function_name
            )),
            // Not being deleted (the delete did not take): ask again, then wait.
            Ok(f) => match self.client.delete_function(&job.function_name).await {
                Ok(_) | Err(_) => StepResult::Wait(format!(
                    "the MCP server {} was {}, not being deleted: asked Blaxel again",
                    job.function_name,
                    f.status.as_ref().map_or("without a status", |s| s.as_str())
                )),
            },
            Err(e) => classify(e),
        }
    }

    async fn delete_connection(&self, job: &ProvisionState) -> StepResult {
        match self.client.delete_connection(&job.connection_name).await {
            Ok(_) => StepResult::Offboarded(format!(
                "integration connection {} deleted",
                job.connection_name
            )),
            Err(e) if e.is_not_found() => StepResult::Offboarded(format!(
                "integration connection {} was not at Blaxel (deleted already)",
                job.connection_name
            )),
            // In use: a server bound to it is still being deleted.
            Err(e) if e.is_conflict() => StepResult::Wait(format!(
                "the connection {} is still in use at Blaxel: {e}",
                job.connection_name
            )),
            Err(e) => classify(e),
        }
    }

    async fn record(
        &self,
        tenant: &Tenant,
        integration: Option<Integration>,
        job: &ProvisionState,
        outcome: StepResult,
    ) -> Result<(), EngineError> {
        let slug = tenant.slug.as_str();
        let generation = job.generation;
        let now = now_ms();
        let s = &self.settings;
        let transition = match outcome {
            StepResult::Advance(t) => t,
            StepResult::NotLeader => return Err(StoreError::from(NotLeader).into()),
            StepResult::Offboarded(detail) => {
                tracing::info!(tenant = slug, step = job.step.as_str(), %detail, "offboarding step done");
                let done = OffboardStepDone {
                    slug: slug.to_owned(),
                    integration,
                    generation,
                    step: job.step,
                    detail,
                };
                return self.engine.run(ME, done).await;
            }
            StepResult::Wait(why) => {
                let delay = retry_delay(job.attempts, s.base_backoff, s.max_backoff, None);
                tracing::info!(tenant = slug, step = job.step.as_str(), %why, ?delay, "waiting");
                // Quietly: only a new reason to wait goes on the timeline.
                let wait = OffboardWait {
                    slug: slug.to_owned(),
                    integration,
                    generation,
                    step: job.step,
                    why,
                    next_attempt_at: add(now, delay),
                };
                return self.engine.run(ME, wait).await;
            }
            StepResult::Retry(e) => {
                let asked = e.retry_after().map(|ra| ra.min(s.max_retry_after));
                let delay = retry_delay(job.attempts, s.base_backoff, s.max_backoff, asked);
                tracing::info!(tenant = slug, step = job.step.as_str(), error = %e, ?delay, "retrying");
                Transition::ProvisionRetry {
                    generation,
                    step: job.step,
                    error: e.to_string(),
                    next_attempt_at: add(now, delay),
                }
            }
            StepResult::Fail(kind, reason) => {
                tracing::warn!(tenant = slug, step = job.step.as_str(), %reason, "provisioning stopped");
                Transition::ProvisionFailed {
                    generation,
                    step: job.step,
                    kind,
                    reason,
                }
            }
            StepResult::Poll(status) => {
                let delay = duration_ms(poll_delay(job.attempts, s.first_poll, s.max_poll));
                match poll_decision(
                    job,
                    &status,
                    now,
                    duration_ms(s.max_poll),
                    duration_ms(s.deploy_timeout),
                    delay,
                ) {
                    PollDecision::TimedOut { reason } => Transition::ProvisionFailed {
                        generation,
                        step: job.step,
                        kind: FailureKind::DeployFailed,
                        reason,
                    },
                    PollDecision::Wait {
                        gap_ms,
                        next_attempt_at,
                    } => {
                        let polled = DeployPolled {
                            slug: slug.to_owned(),
                            integration,
                            generation,
                            status,
                            gap_ms,
                            next_attempt_at,
                        };
                        return self.engine.run(ME, polled).await;
                    }
                }
            }
        };
        // Each step is idempotent on replay, so its result need not wait for a flush.
        let record = Record {
            slug: slug.to_owned(),
            integration,
            transition,
            durability: Durability::Lazy,
        };
        self.engine.run(ME, record).await?;
        Ok(())
    }

    pub(super) async fn connection(
        &self,
        tenant: &Tenant,
        integration: Option<Integration>,
        job: &ProvisionState,
    ) -> StepResult {
        let read = RefreshToken {
            slug: tenant.slug.clone(),
            integration,
        };
        let stored = self.engine.run(ME, read).await;
        let refresh_token = match stored {
            Ok(Some(t)) => t,
            Ok(None) => {
                return StepResult::Fail(
                    FailureKind::StoreFailed,
                    "no refresh token is stored; issue a new consent link".into(),
                );
            }
            Err(e) => return StepResult::Fail(FailureKind::StoreFailed, e.to_string()),
        };
        let oauth = self.oauth.of(tenant.integration);
        let secret = GoogleOAuthSecret {
            client_id: oauth.client_id.clone(),
            client_secret: oauth.client_secret.clone(),
            refresh_token,
        };
        let meta = RequestMetadata::for_tenant(
            job.connection_name.clone(),
            &tenant.display_name,
            &tenant.slug,
        );
        let body = ConnectionRequest::google_oauth(
            tenant.integration.name(),
            &tenant.integration.profile().secrets,
            meta,
            &secret,
        );
        let advance = StepResult::Advance(Transition::ConnectionReady {
            generation: job.generation,
        });
        match self.client.create_connection(&body).await {
            Ok(_) => advance,
            // It exists (an earlier consent, or our own create whose answer was lost):
            // write the fresh secret, never values read back (they are masked).
            Err(e) if e.is_conflict() => match self.client.update_connection(&body).await {
                Ok(_) => advance,
                Err(e) => classify(e),
            },
            Err(e) => classify(e),
        }
    }

    /// Make the server bound to the job's connection (409: read it, and send it again when
    /// it differs); with `force_update`, send it again whatever it is.
    pub(super) async fn make_server(&self, tenant: &Tenant, job: &ProvisionState) -> StepResult {
        let meta = RequestMetadata::for_tenant(
            job.function_name.clone(),
            &tenant.display_name,
            &tenant.slug,
        );
        let body = FunctionRequest::mcp(meta, job.connection_name.clone());
        let created = |status: Option<String>| {
            StepResult::Advance(Transition::ServerCreated {
                generation: job.generation,
                blaxel_status: status,
            })
        };
        let status_of =
            |f: &crate::blaxel::Function| f.status.as_ref().map(|s| s.as_str().to_owned());
        if job.force_update {
            return match self.client.update_function(&body).await {
                Ok(f) => created(status_of(&f)),
                Err(e) if e.is_not_found() => match self.client.create_function(&body).await {
                    Ok(f) => created(status_of(&f)),
                    Err(e) => classify(e),
                },
                Err(e) => classify(e),
            };
        }
        match self.client.create_function(&body).await {
            Ok(f) => created(status_of(&f)),
            Err(e) if e.is_conflict() => {
                match self.client.get_function(&body.metadata.name).await {
                    Ok(existing) if function_needs_update(&existing, &body) => {
                        match self.client.update_function(&body).await {
                            Ok(f) => created(status_of(&f)),
                            Err(e) => classify(e),
                        }
                    }
                    Ok(existing) => created(status_of(&existing)),
                    Err(e) => classify(e),
                }
            }
            Err(e) => classify(e),
        }
    }
}
