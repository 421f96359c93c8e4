//! The integrations a tenant holds. Its first integration (the one it was added with) keeps
//! its state in the tenant's own fields, exactly as a tenant of one integration always did;
//! each integration added after it holds its own state ([`IntegrationState`], stored in the
//! tenant's record): consent, granted scopes, token (a sealed secret of its own name), token
//! health, provisioning job (its Blaxel connection and MCP server), status and failure. The
//! Google account is the tenant's, one for all its integrations. The tenant's status is the
//! summary of its integrations' ([`super::summary::tenant_status`]).
//!
//! Each integration can be seen as a tenant of it alone, its facet ([`Tenant::facet`],
//! written back by [`Tenant::merge_facet`]): lifecycle rules run on it (see
//! [`super::facet`]), and whether it may have left anything at Google or Blaxel is read
//! from it ([`left_traces`]).

use super::integration::Integration;
use super::model::{IntegrationState, ProvisionStep, Refusals, Tenant, TenantStatus};
use super::summary::tenant_status;
use crate::time::Millis;

impl IntegrationState {
    /// An integration just added: nothing consented yet.
    pub fn new(integration: Integration, now: Millis) -> Self {
        IntegrationState {
            integration,
            scopes: integration.scopes(),
            status: TenantStatus::Created,
            failure: None,
            reason: None,
            granted_scopes: Vec::new(),
            consented_at: None,
            added_at: now,
            provision: None,
            refusals: Refusals::default(),
            health: None,
            tokens_issued: 0,
            pending: None,
            mcp: None,
            token_facts: None,
        }
    }
}

/// Google credentials are stored for an integration consented at `consented_at` that is
/// now at `status` (whatever Blaxel's state).
pub fn credentials_held(consented_at: Option<Millis>, status: TenantStatus) -> bool {
    consented_at.is_some()
        && !matches!(
            status,
            TenantStatus::NeedsReconsent | TenantStatus::Offboarding | TenantStatus::Offboarded
        )
}

impl IntegrationState {
    pub fn holds_consent(&self) -> bool {
        credentials_held(self.consented_at, self.status)
    }
}

impl Tenant {
    /// Google credentials are stored for this tenant (whatever Blaxel's state).
    pub fn holds_consent(&self) -> bool {
        credentials_held(self.consented_at, self.status)
    }
}

/// Asked to add an integration the tenant holds already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlreadyHeld(pub Integration);

impl std::fmt::Display for AlreadyHeld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the tenant holds {} already", self.0)
    }
}

impl std::error::Error for AlreadyHeld {}

impl Tenant {
    /// Every integration it holds, its first first.
    pub fn integrations(&self) -> Vec<Integration> {
        std::iter::once(self.integration)
            .chain(self.added.iter().map(|s| s.integration))
            .collect()
    }

    pub fn holds(&self, integration: Integration) -> bool {
        self.integration == integration || self.added_state(integration).is_some()
    }

    /// The state of an integration added after the first (`None` for the first: its state
    /// is the tenant's own fields).
    pub fn added_state(&self, integration: Integration) -> Option<&IntegrationState> {
        self.added.iter().find(|s| s.integration == integration)
    }

    /// The status of one integration it holds.
    pub fn status_of(&self, integration: Integration) -> Option<TenantStatus> {
        if self.integration == integration {
            return Some(self.status);
        }
        self.added_state(integration).map(|s| s.status)
    }

    /// Each integration it holds with its own status, its first first.
    pub fn statuses(&self) -> Vec<(Integration, TenantStatus)> {
        std::iter::once((self.integration, self.status))
            .chain(self.added.iter().map(|s| (s.integration, s.status)))
            .collect()
    }

    /// The tenant's status: its integrations' summarised, the one needing attention first.
    pub fn summary_status(&self) -> TenantStatus {
        tenant_status(std::iter::once(self.status).chain(self.added.iter().map(|s| s.status)))
            .unwrap_or(self.status)
    }

    /// The integrations holding a consent now (all by the tenant's one Google account).
    pub fn consented_integrations(&self) -> Vec<Integration> {
        let first = self.holds_consent().then_some(self.integration);
        first
            .into_iter()
            .chain(
                self.added
                    .iter()
                    .filter(|s| s.holds_consent())
                    .map(|s| s.integration),
            )
            .collect()
    }

    /// Integrations added after its first whose provisioning job stopped (`retry` runs
    /// them again); not one that needs a new consent (its job waits for that).
    pub fn added_stopped(&self) -> Vec<Integration> {
        self.added
            .iter()
            .filter(|s| s.status != TenantStatus::NeedsReconsent)
            .filter(|s| {
                s.provision
                    .as_ref()
                    .is_some_and(|p| p.step == ProvisionStep::Stopped)
            })
            .map(|s| s.integration)
            .collect()
    }

    /// Add an integration, not yet consented, after those it holds.
    pub fn add_integration(
        &mut self,
        integration: Integration,
        now: Millis,
    ) -> Result<(), AlreadyHeld> {
        if self.holds(integration) {
            return Err(AlreadyHeld(integration));
        }
        self.added.push(IntegrationState::new(integration, now));
        Ok(())
    }

    /// The name of one of an integration's secrets (`base`: the first integration's name of
    /// it, e.g. `refresh_token`): the first integration's keep their names, an added one's
    /// are prefixed with its name, so no two integrations share a token.
    pub fn secret_name(&self, integration: Integration, base: &str) -> Option<String> {
        if self.integration == integration {
            Some(integration_secret(None, base))
        } else if self.holds(integration) {
            Some(integration_secret(Some(integration), base))
        } else {
            None
        }
    }
}

impl Tenant {
    /// `integration` as a tenant of it alone (`None` when it does not hold it). The first
    /// integration's facet is the tenant without the others.
    pub fn facet(&self, integration: Integration) -> Option<Tenant> {
        let mut f = self.clone();
        f.added = Vec::new();
        if self.integration == integration {
            return Some(f);
        }
        let s = self.added_state(integration)?.clone();
        f.integration = s.integration;
        f.scopes = s.scopes;
        f.status = s.status;
        f.failure = s.failure;
        f.reason = s.reason;
        f.granted_scopes = s.granted_scopes;
        f.consented_at = s.consented_at;
        f.provision = s.provision;
        f.refusals = s.refusals;
        f.health = s.health;
        f.tokens_issued = s.tokens_issued;
        f.pending = s.pending;
        f.mcp = s.mcp;
        f.token_facts = s.token_facts;
        Some(f)
    }

    /// Write a facet (of an integration the tenant holds) back: its integration's state,
    /// the tenant's Google account and when it changed.
    pub fn merge_facet(&mut self, f: Tenant) {
        self.google = f.google.clone();
        self.updated_at = self.updated_at.max(f.updated_at);
        if f.integration == self.integration {
            let added = std::mem::take(&mut self.added);
            *self = Tenant { added, ..f };
            return;
        }
        if let Some(s) = self
            .added
            .iter_mut()
            .find(|s| s.integration == f.integration)
        {
            *s = IntegrationState {
                integration: f.integration,
                scopes: f.scopes,
                status: f.status,
                failure: f.failure,
                reason: f.reason,
                granted_scopes: f.granted_scopes,
                consented_at: f.consented_at,
                added_at: s.added_at,
                provision: f.provision,
                refusals: f.refusals,
                health: f.health,
                tokens_issued: f.tokens_issued,
                pending: f.pending,
                mcp: f.mcp,
                token_facts: f.token_facts,
            };
        }
    }
}

/// Whether anything of this integration (`f`: as a tenant of it alone) may be at Google or
/// Blaxel: a consent (now or before), a provisioning job, or a consent waiting.
pub fn left_traces(f: &Tenant) -> bool {
    f.consented_at.is_some() || f.provision.is_some() || f.pending.is_some()
}

/// Whether any integration of `t` may have left something at Google or Blaxel.
pub fn any_traces(t: &Tenant) -> bool {
    t.integrations()
        .into_iter()
        .filter_map(|i| t.facet(i))
        .any(|f| left_traces(&f))
}

/// The name of a secret of a tenant's integration: `base` for its first (`None`), prefixed
/// with the integration's name for one added after it.
pub fn integration_secret(added: Option<Integration>, base: &str) -> String {
    match added {
        None => base.to_owned(),
        Some(i) => format!("{}/{base}", i.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{NewTenant, new_tenant};

    fn acme() -> Tenant {
        let input = NewTenant {
            slug: "acme".into(),
            ..Default::default()
        };
        new_tenant(&input, 1).unwrap().0
    }

    #[test]
    fn a_new_tenant_holds_only_its_first_integration() {
        let t = acme();
        assert_eq!(t.integrations(), [Integration::Gmail]);
        assert!(t.holds(Integration::Gmail));
        assert!(!t.holds(Integration::GoogleDrive));
        assert_eq!(t.status_of(Integration::GoogleDrive), None);
        assert_eq!(t.summary_status(), TenantStatus::Created);
    }

    #[test]
    fn an_added_integration_has_its_own_state_and_scopes() {
        let mut t = acme();
        t.status = TenantStatus::Deployed;
        t.add_integration(Integration::GoogleDrive, 7).unwrap();
        assert_eq!(
            t.integrations(),
            [Integration::Gmail, Integration::GoogleDrive]
        );
        let drive = t.added_state(Integration::GoogleDrive).unwrap();
        assert_eq!(drive.status, TenantStatus::Created);
        assert_eq!(drive.added_at, 7);
        assert_eq!(drive.scopes, Integration::GoogleDrive.scopes());
        assert_ne!(drive.scopes, t.scopes);
        assert_eq!(
            t.status_of(Integration::Gmail),
            Some(TenantStatus::Deployed)
        );
        assert_eq!(
            t.status_of(Integration::GoogleDrive),
            Some(TenantStatus::Created)
        );
        assert_eq!(t.summary_status(), TenantStatus::Created);
        assert_eq!(
            t.add_integration(Integration::GoogleDrive, 8),
            Err(AlreadyHeld(Integration::GoogleDrive))
        );
        assert_eq!(
            t.add_integration(Integration::Gmail, 8),
            Err(AlreadyHeld(Integration::Gmail))
        );
        assert_eq!(t.added.len(), 1);
    }

    #[test]
    fn the_tenant_reads_as_its_integration_needing_attention() {
        let mut t = acme();
        t.status = TenantStatus::Deployed;
        t.add_integration(Integration::GoogleDrive, 2).unwrap();
        t.added[0].status = TenantStatus::Failed;
        assert_eq!(t.summary_status(), TenantStatus::Failed);
        t.added[0].status = TenantStatus::Deployed;
        assert_eq!(t.summary_status(), TenantStatus::Deployed);
    }

    #[test]
    fn each_integration_holds_its_own_consent() {
        let mut t = acme();
        assert!(t.consented_integrations().is_empty());
        t.add_integration(Integration::GoogleDrive, 2).unwrap();
        t.added[0].consented_at = Some(3);
        t.added[0].status = TenantStatus::Deployed;
        assert_eq!(t.consented_integrations(), [Integration::GoogleDrive]);
        t.consented_at = Some(4);
        t.status = TenantStatus::Deployed;
        assert_eq!(
            t.consented_integrations(),
            [Integration::Gmail, Integration::GoogleDrive]
        );
        t.added[0].status = TenantStatus::NeedsReconsent;
        assert_eq!(t.consented_integrations(), [Integration::Gmail]);
    }

    #[test]
    fn each_integration_has_its_own_secret_names() {
        let mut t = acme();
        assert_eq!(
            t.secret_name(Integration::Gmail, "refresh_token")
                .as_deref(),
            Some("refresh_token")
        );
        assert_eq!(
            t.secret_name(Integration::GoogleDrive, "refresh_token"),
            None
        );
        t.add_integration(Integration::GoogleDrive, 2).unwrap();
        assert_eq!(
            t.secret_name(Integration::GoogleDrive, "refresh_token")
                .as_deref(),
            Some("google-drive/refresh_token")
        );
    }

    #[test]
    fn a_tenant_stored_before_integrations_were_several_reads_with_none_added() {
        let mut json = serde_json::to_value(acme()).unwrap();
        json.as_object_mut().unwrap().remove("added");
        let t: Tenant = serde_json::from_value(json).unwrap();
        assert!(t.added.is_empty());
        assert_eq!(t.integrations(), [Integration::Gmail]);
    }

    #[test]
    fn an_added_integration_is_stored_and_read_back() {
        let mut t = acme();
        t.add_integration(Integration::GoogleDrive, 2).unwrap();
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.contains("\"added\""), "{json}");
        let back: Tenant = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
    }
}
