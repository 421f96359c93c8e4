//! The deploy step (poll the MCP server until Blaxel says it is deployed or failed), and
//! what a job does when a resource it made is gone from Blaxel before the job is done
//! (deleted behind our back, or a stand-in that forgot everything when it restarted): it
//! makes the resource again, as the step that made it does, rather than stop on an answer
//! that `retry` alone could not get past (a server bound to a connection that is gone).
//! Names are the tenant's own, so nothing is made twice; a server that keeps vanishing
//! ends on the deploy timeout like one that never deploys.

use super::Provisioner;
use super::step::{StepResult, classify};
use crate::blaxel::mcp_url;
use crate::domain::lifecycle::Transition;
use crate::domain::model::{FailureKind, Integration, ProvisionState, Tenant};

impl Provisioner {
    pub(super) async fn deploy(
        &self,
        tenant: &Tenant,
        integration: Option<Integration>,
        job: &ProvisionState,
    ) -> StepResult {
        match self.client.get_function(&job.function_name).await {
            Ok(f) => match &f.status {
                Some(s) if s.is_deployed() => StepResult::Advance(Transition::Deployed {
                    generation: job.generation,
                    mcp_url: mcp_url(&f),
                    blaxel_status: s.as_str().to_owned(),
                }),
                Some(s) if s.is_terminal_failure() => StepResult::Fail(
                    FailureKind::DeployFailed,
                    format!(
                        "Blaxel reports the MCP server {} as {}",
                        job.function_name,
                        s.as_str()
                    ),
                ),
                Some(s) => StepResult::Poll(s.as_str().to_owned()),
                None => StepResult::Poll("UNKNOWN".into()),
            },
            Err(e) if e.is_not_found() => self.remake_server(tenant, integration, job).await,
            Err(e) => classify(e),
        }
    }

    /// The server is gone while it deploys: its connection (which may be gone too) and the
    /// server made again, then the new deploy polled.
    async fn remake_server(
        &self,
        tenant: &Tenant,
        integration: Option<Integration>,
        job: &ProvisionState,
    ) -> StepResult {
        tracing::warn!(
            tenant = %tenant.slug,
            server = %job.function_name,
            "the MCP server is gone from Blaxel while it deployed: making it again"
        );
        match self.connection(tenant, integration, job).await {
            StepResult::Advance(_) => {}
            other => return other,
        }
        match self.function(tenant, integration, job).await {
            StepResult::Advance(Transition::ServerCreated { blaxel_status, .. }) => {
                StepResult::Poll(blaxel_status.unwrap_or_else(|| "UNKNOWN".into()))
            }
            other => other,
        }
    }

    /// The function step: the server made (see `make_server`); when Blaxel refuses it and
    /// the connection it is bound to is gone, the connection is made again and the server
    /// asked for once more.
    pub(super) async fn function(
        &self,
        tenant: &Tenant,
        integration: Option<Integration>,
        job: &ProvisionState,
    ) -> StepResult {
        let made = self.make_server(tenant, job).await;
        if !matches!(made, StepResult::Fail(FailureKind::BlaxelRejected, _)) {
            return made;
        }
        let gone = self.client.get_connection(&job.connection_name).await;
        if !gone.is_err_and(|e| e.is_not_found()) {
            return made;
        }
        tracing::warn!(
            tenant = %tenant.slug,
            connection = %job.connection_name,
            "the connection is gone from Blaxel before its server was made: making it again"
        );
        match self.connection(tenant, integration, job).await {
            StepResult::Advance(_) => self.make_server(tenant, job).await,
            other => other,
        }
    }
}
