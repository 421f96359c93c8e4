//! `reconcile --fix`: hand tenants back to the provisioner, which makes what is missing or
//! wrong at Blaxel again. Of each tenant only integrations that hold a consent (so neither
//! waiting for a new one nor leaving) are provisioned again: those whose resources a
//! finding names, or, for a tenant named with none found, each of them. A tenant with
//! nothing to provision again is named with why and the others go on. `--fix SLUG` looks
//! at that tenant's resources alone; `--fix-all` lists Blaxel to find the tenants.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::apply::{apply_for, apply_in, tenant_in};
use super::batch::in_batches;
use super::reconcile::{facet_findings, find_drift, finished};
use crate::blaxel::BlaxelClient;
use crate::domain::actor::Actor;
use crate::domain::lifecycle::Transition;
use crate::domain::model::{Integration, Tenant};
use crate::engine::api::{Finding, Reply, Skipped};
use crate::engine::core::Core;
use crate::engine::error::EngineError;
use crate::store::Tx;

/// The resource names each tenant's findings name.
type Named = BTreeMap<String, Vec<String>>;

pub async fn fix(core: &Core, actor: &Actor, slugs: Vec<String>) -> Result<Reply, EngineError> {
    let (slugs, named, mut skipped) = if slugs.is_empty() {
        let mut named = Named::new();
        for f in find_drift(core).await? {
            if let Some(slug) = f.slug {
                named.entry(slug).or_default().push(f.name);
            }
        }
        (named.keys().cloned().collect(), named, Vec::new())
    } else {
        drift_of(core, slugs).await?
    };
    let named = Arc::new(named);
    let done = in_batches(core, actor, &slugs, move |tx, slug| {
        let names = named.get(slug).map(Vec::as_slice).unwrap_or_default();
        reprovision(tx, slug, names)
    })
    .await?;
    if !done.done.is_empty() {
        core.wake_provisioner();
    }
    skipped.extend(done.skipped);
    Ok(Reply::Retried {
        retried: done.done,
        skipped,
    })
}

/// Provision again the integrations of `slug` that hold a consent: those whose resources
/// are `named`, or each when none is; refused (nothing written) when there is none.
fn reprovision(tx: &mut dyn Tx, slug: &str, named: &[String]) -> Result<bool, EngineError> {
    let t = tenant_in(tx, slug)?;
    let held: Vec<(Integration, Vec<String>)> = t
        .integrations()
        .into_iter()
        .filter_map(|i| {
            let f = t.facet(i)?;
            let job = f.provision.clone().filter(|_| f.holds_consent())?;
            Some((i, vec![job.connection_name, job.function_name]))
        })
        .collect();
    let which: Vec<Integration> = held
        .iter()
        .filter(|(_, names)| named.is_empty() || names.iter().any(|n| named.contains(n)))
        .map(|(i, _)| *i)
        .collect();
    if which.is_empty() && !named.is_empty() {
        return Err(EngineError::Conflict(format!(
            "tenant {slug}: what drifted ({}) is of {}, which holds no consent now (it waits for a new one, or leaves); a new consent provisions it again",
            named.join(", "),
            whose(&t, named).join(" and ")
        )));
    }
    if which.is_empty() {
        // Nothing it provisioned holds a consent: the lifecycle says why.
        apply_in(tx, slug, &Transition::Reprovision)?;
    }
    for i in which {
        let added = (i != t.integration).then_some(i);
        apply_for(tx, slug, added, &Transition::Reprovision)?;
    }
    Ok(true)
}

/// The integrations of `t` whose resources are among `named`.
fn whose(t: &Tenant, named: &[String]) -> Vec<String> {
    t.integrations()
        .into_iter()
        .filter(|i| {
            t.facet(*i).and_then(|f| f.provision).is_some_and(|j| {
                named.contains(&j.connection_name) || named.contains(&j.function_name)
            })
        })
        .map(|i| i.to_string())
        .collect()
}

/// The drift of these tenants alone, asked of Blaxel resource by resource: the tenants to
/// fix, the names each one's findings name, and those that could not be looked at (gone,
/// or Blaxel did not answer), with why.
async fn drift_of(
    core: &Core,
    slugs: Vec<String>,
) -> Result<(Vec<String>, Named, Vec<Skipped>), EngineError> {
    let Some(client) = core.blaxel() else {
        return Err(EngineError::Unavailable(
            "reconcile needs Blaxel credentials and runs in the owner (`serve` or the console)"
                .into(),
        ));
    };
    let (mut found, mut named, mut skipped) = (Vec::new(), Named::new(), Vec::new());
    for slug in slugs {
        let s = slug.clone();
        let Some(t) = core.store().read(move |st| st.tenant(&s)).await? else {
            skipped.push(Skipped {
                reason: EngineError::UnknownTenant(slug.clone()).to_string(),
                slug,
            });
            continue;
        };
        match findings_of(client, &t).await {
            Ok(f) => {
                named.insert(slug.clone(), f.into_iter().map(|f| f.name).collect());
                found.push(slug);
            }
            Err(why) => skipped.push(Skipped { slug, reason: why }),
        }
    }
    Ok((found, named, skipped))
}

/// What is wrong with `t`'s resources at Blaxel, each integration's looked up by name.
async fn findings_of(client: &BlaxelClient, t: &Tenant) -> Result<Vec<Finding>, String> {
    let looking = |e: crate::blaxel::BlaxelError| format!("looking at Blaxel: {e}");
    let mut findings = Vec::new();
    for f in t.integrations().into_iter().filter_map(|i| t.facet(i)) {
        let Some(job) = finished(&f) else { continue };
        let connection_there = match client.get_connection(&job.connection_name).await {
            Ok(_) => true,
            Err(e) if e.is_not_found() => false,
            Err(e) => return Err(looking(e)),
        };
        let function = match client.get_function(&job.function_name).await {
            Ok(func) => Some(func),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(looking(e)),
        };
        findings.extend(facet_findings(&f, job, connection_there, function.as_ref()));
    }
    Ok(findings)
}
