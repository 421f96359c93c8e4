//! Drift: what Blaxel holds against what the store says it should. Blaxel's list endpoints
//! cannot filter by label, so everything is listed (functions page by page) and filtered
//! here by `managed-by=mcp-onboard` and `tenant=SLUG`. Nothing is changed without the
//! operator: `--fix` hands tenants back to the provisioner (`reconcile_fix`), and an orphan
//! is deleted only when named.

use std::collections::{BTreeMap, BTreeSet};

use crate::blaxel::Function;
use crate::blaxel::names::{LABEL_MANAGED_BY, LABEL_TENANT, MANAGED_BY};
use crate::domain::actor::Actor;
use crate::domain::model::{ProvisionState, ProvisionStep, Tenant, TenantStatus};
use crate::engine::api::{Finding, Reply};
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::engine::operation::Operation;

fn managed(labels: Option<&BTreeMap<String, String>>) -> bool {
    labels
        .and_then(|l| l.get(LABEL_MANAGED_BY))
        .map(String::as_str)
        == Some(MANAGED_BY)
}

/// A reconcile round (`reconcile`, and the owner's periodic ones): the drift found.
pub struct FindDrift;

impl Operation for FindDrift {
    type Output = Result<Vec<Finding>, EngineError>;

    async fn run(self, core: &Core, actor: &Actor) -> Self::Output {
        drift_through(core, core.blaxel_as(actor)).await
    }
}

/// Compare Blaxel with the store; finds nothing when no provisioner runs here.
pub async fn find_drift(core: &Core) -> Result<Vec<Finding>, EngineError> {
    drift_through(core, core.blaxel()).await
}

/// [`find_drift`], asking Blaxel through `client`.
async fn drift_through(
    core: &Core,
    client: Option<&crate::blaxel::BlaxelClient>,
) -> Result<Vec<Finding>, EngineError> {
    let Some(client) = client else {
        return Err(EngineError::Unavailable(
            "reconcile needs Blaxel credentials and runs in the owner (`serve` or the console)"
                .into(),
        ));
    };
    let err =
        |e: crate::blaxel::BlaxelError| EngineError::Unavailable(format!("listing at Blaxel: {e}"));
    let connections = client.list_connections().await.map_err(err)?;
    let functions = client.list_functions().await.map_err(err)?;
    let tenants = core.store().read(|s| s.tenants()).await?;
    let mut findings = Vec::new();
    let mut owned: BTreeSet<(String, String)> = BTreeSet::new();
    let conns: BTreeMap<&str, &crate::blaxel::IntegrationConnection> = connections
        .iter()
        .map(|c| (c.metadata.name.as_str(), c))
        .collect();
    let funcs: BTreeMap<&str, &crate::blaxel::Function> = functions
        .iter()
        .map(|f| (f.metadata.name.as_str(), f))
        .collect();
    // Each integration of a tenant owns its own resources: its facet carries its job.
    let facets: Vec<_> = tenants
        .iter()
        .flat_map(|t| t.integrations().into_iter().filter_map(|i| t.facet(i)))
        .collect();
    for t in &facets {
        let Some(job) = &t.provision else { continue };
        if matches!(t.status, TenantStatus::Offboarded) {
            continue;
        }
        owned.insert(("connection".into(), job.connection_name.clone()));
        owned.insert(("function".into(), job.function_name.clone()));
        if let Some(job) = finished(t) {
            findings.extend(facet_findings(
                t,
                job,
                conns.contains_key(job.connection_name.as_str()),
                funcs.get(job.function_name.as_str()).copied(),
            ));
        }
    }
    let orphan = |resource: &str, name: &str, labels: Option<&BTreeMap<String, String>>| {
        let tenant = labels.and_then(|l| l.get(LABEL_TENANT)).cloned();
        Finding {
            kind: "orphan".into(),
            slug: None,
            resource: resource.into(),
            name: name.into(),
            detail: format!(
                "labelled managed-by={MANAGED_BY}{} but no tenant owns it; `mcp-onboard reconcile --delete-orphan {resource}/{name}` deletes it",
                tenant.map(|t| format!(", tenant={t}")).unwrap_or_default()
            ),
        }
    };
    for c in &connections {
        if managed(c.metadata.labels.as_ref())
            && !owned.contains(&("connection".to_owned(), c.metadata.name.clone()))
        {
            findings.push(orphan(
                "connection",
                &c.metadata.name,
                c.metadata.labels.as_ref(),
            ));
        }
    }
    for f in &functions {
        if managed(f.metadata.labels.as_ref())
            && !owned.contains(&("function".to_owned(), f.metadata.name.clone()))
        {
            findings.push(orphan(
                "function",
                &f.metadata.name,
                f.metadata.labels.as_ref(),
            ));
        }
    }
    Ok(findings)
}

/// The job of an integration (`t`: as a tenant of it alone) whose resources must be at
/// Blaxel: only a finished job says what must be there (not one offboarded).
pub(super) fn finished(t: &Tenant) -> Option<&ProvisionState> {
    t.provision
        .as_ref()
        .filter(|j| j.step == ProvisionStep::Done && t.status != TenantStatus::Offboarded)
}

/// What is wrong with an integration's resources (`t`: as a tenant of it alone, `job` its
/// [`finished`] job): whether its connection is there, and its server as Blaxel has it.
pub(super) fn facet_findings(
    t: &Tenant,
    job: &ProvisionState,
    connection_there: bool,
    function: Option<&Function>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let slug = Some(t.slug.clone());
    if !connection_there {
        findings.push(Finding {
            kind: "missing_connection".into(),
            slug: slug.clone(),
            resource: "connection".into(),
            name: job.connection_name.clone(),
            detail: format!("the integration connection is gone; `mcp-onboard reconcile --fix {}` creates it again", t.slug),
        });
    }
    match function {
        None => findings.push(Finding {
            kind: "missing_server".into(),
            slug: slug.clone(),
            resource: "function".into(),
            name: job.function_name.clone(),
            detail: format!(
                "the MCP server is gone; `mcp-onboard reconcile --fix {}` creates it again",
                t.slug
            ),
        }),
        Some(f) => {
            let bound = f
                .spec
                .integration_connections
                .as_ref()
                .is_some_and(|c| c.contains(&job.connection_name));
            if !bound {
                findings.push(Finding {
                    kind: "wrong_connection".into(),
                    slug: slug.clone(),
                    resource: "function".into(),
                    name: job.function_name.clone(),
                    detail: format!(
                        "bound to {:?}, not {}; `mcp-onboard reconcile --fix {}` binds it again",
                        f.spec.integration_connections, job.connection_name, t.slug
                    ),
                });
            }
            if !f.status.as_ref().is_some_and(|s| s.is_deployed()) {
                findings.push(Finding {
                    kind: "not_deployed".into(),
                    slug,
                    resource: "function".into(),
                    name: job.function_name.clone(),
                    detail: format!(
                        "Blaxel reports {}; `mcp-onboard reconcile --fix {}` deploys it again",
                        f.status.as_ref().map_or("no status", |s| s.as_str()),
                        t.slug
                    ),
                });
            }
        }
    }
    findings
}

/// `reconcile --delete-orphan function/NAME | connection/NAME`: only an orphan, found
/// afresh now; then what is found after.
pub async fn delete_orphan(core: &Core, what: &str) -> Result<Reply, EngineError> {
    let Some((resource, name)) = what.split_once('/') else {
        return Err(EngineError::BadRequest(format!(
            "{what:?}: expected function/NAME or connection/NAME"
        )));
    };
    let found = find_drift(core).await?;
    if !found
        .iter()
        .any(|f| f.kind == "orphan" && f.resource == resource && f.name == name)
    {
        return Err(EngineError::Conflict(format!(
            "{what} is not an orphan now (a tenant owns it, or it is not ours, or it is gone); nothing deleted"
        )));
    }
    let Some(client) = core.blaxel() else {
        return Err(EngineError::Unavailable("no Blaxel client here".into()));
    };
    let res = match resource {
        "function" => client.delete_function(name).await.map(|_| ()),
        _ => client.delete_connection(name).await.map(|_| ()),
    };
    res.map_err(|e| EngineError::Unavailable(format!("deleting {what} at Blaxel: {e}")))?;
    tracing::warn!(what, "orphan deleted at the operator's word");
    Ok(Reply::Findings {
        findings: find_drift(core).await?,
    })
}
