//! Each integration a tenant holds, as `tenant show` gives it: its own status, consent,
//! Blaxel resources and MCP URL.

use serde::{Deserialize, Serialize};

use crate::domain::model::{FailureKind, Integration, ProvisionState, Tenant, TenantStatus};
use crate::time::{Millis, rfc3339};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationView {
    pub integration: Integration,
    pub status: TenantStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub requested_scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consented_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_url: Option<String>,
}

impl IntegrationView {
    fn new(
        integration: Integration,
        status: TenantStatus,
        failure: Option<FailureKind>,
        reason: Option<&String>,
        scopes: &[String],
        consented_at: Option<Millis>,
        job: Option<&ProvisionState>,
    ) -> Self {
        IntegrationView {
            integration,
            status,
            failure,
            reason: reason.cloned(),
            requested_scopes: scopes.to_vec(),
            consented_at: consented_at.map(rfc3339),
            connection: job.map(|p| p.connection_name.clone()),
            function: job.map(|p| p.function_name.clone()),
            mcp_url: job.and_then(|p| p.mcp_url.clone()),
        }
    }

    /// Every integration of `t`, its first first.
    pub fn of_tenant(t: &Tenant) -> Vec<Self> {
        let first = Self::new(
            t.integration,
            t.status,
            t.failure,
            t.reason.as_ref(),
            &t.scopes,
            t.consented_at,
            t.provision.as_ref(),
        );
        std::iter::once(first)
            .chain(t.added.iter().map(|s| {
                Self::new(
                    s.integration,
                    s.status,
                    s.failure,
                    s.reason.as_ref(),
                    &s.scopes,
                    s.consented_at,
                    s.provision.as_ref(),
                )
            }))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{NewTenant, new_tenant};

    #[test]
    fn each_integration_is_listed_with_its_own_status_and_mcp_url() {
        let input = NewTenant {
            slug: "acme".into(),
            ..Default::default()
        };
        let mut t = new_tenant(&input, 1).unwrap().0;
        t.status = TenantStatus::Deployed;
        t.consented_at = Some(2);
        t.provision = Some(ProvisionState {
            generation: 1,
            step: crate::domain::model::ProvisionStep::Done,
            connection_name: "gmail-acme".into(),
            function_name: "gmail-mcp-acme".into(),
            attempts: 0,
            next_attempt_at: 2,
            step_started_at: 2,
            last_error: None,
            failed_step: None,
            force_update: false,
            blaxel_status: None,
            blaxel_status_at: None,
            mcp_url: Some("https://run.example/gmail-mcp-acme/mcp".into()),
            waited_ms: 0,
        });
        t.add_integration(Integration::GoogleDrive, 3).unwrap();
        let views = IntegrationView::of_tenant(&t);
        assert_eq!(views.len(), 2);
        assert_eq!(views[0].integration, Integration::Gmail);
        assert_eq!(views[0].status, TenantStatus::Deployed);
        assert_eq!(
            views[0].mcp_url.as_deref(),
            Some("https://run.example/gmail-mcp-acme/mcp")
        );
        assert_eq!(views[0].connection.as_deref(), Some("gmail-acme"));
        assert_eq!(views[1].integration, Integration::GoogleDrive);
        assert_eq!(views[1].status, TenantStatus::Created);
        assert_eq!(views[1].mcp_url, None);
        assert_eq!(views[1].requested_scopes, Integration::GoogleDrive.scopes());
        let json = serde_json::to_value(&views).unwrap();
        assert_eq!(json[1]["integration"], "google-drive");
        assert_eq!(json[0]["mcp_url"], "https://run.example/gmail-mcp-acme/mcp");
    }
}
