//! `retry`: run a tenant's stopped provisioning jobs again, or (`--all-failed`) every
//! failed integration's of every tenant (`--integration`: that one's), after saying how
//! many tenants and asking.

use anyhow::Result;
use clap::Args;

use super::instance::Instance;
use super::output;
use super::prompt::confirm;
use super::reply::run_and_print;
use crate::domain::integration::Integration;
use crate::engine::api::StatusOf;
use crate::engine::{Command, Reply};

#[derive(Debug, Args)]
pub struct RetryArgs {
    /// The tenant whose provisioning to run again.
    #[arg(required_unless_present = "all_failed", conflicts_with = "all_failed")]
    pub slug: Option<String>,
    /// Every failed integration whose provisioning stopped, of every tenant: says how many
    /// tenants and asks first.
    #[arg(long)]
    pub all_failed: bool,
    /// Do not ask (for scripts).
    #[arg(short, long, requires = "all_failed")]
    pub yes: bool,
    /// With --all-failed: only this integration's stopped jobs (gmail, google-drive).
    #[arg(long, value_name = "NAME", requires = "all_failed")]
    pub integration: Option<Integration>,
}

pub async fn run(instance: &Instance, r: &RetryArgs, as_json: bool) -> Result<()> {
    match &r.slug {
        Some(slug) => run_and_print(instance, Command::Retry { slug: slug.clone() }, as_json).await,
        None => all_failed(instance, r.yes, r.integration, as_json).await,
    }
}

/// `retry --all-failed`: count the tenants with a failed integration whose provisioning
/// stopped (`integration`: only that one), ask (unless `--yes`), retry them. Those that
/// failed before consent need a new link instead.
async fn all_failed(
    instance: &Instance,
    yes: bool,
    integration: Option<Integration>,
    as_json: bool,
) -> Result<()> {
    use crate::domain::model::{ProvisionStep, TenantStatus};
    use std::collections::BTreeSet;
    let (mut stopped, mut before) = (BTreeSet::new(), BTreeSet::new());
    let each: Vec<Integration> =
        integration.map_or_else(|| Integration::all().collect(), |i| vec![i]);
    for i in each {
        let list = Command::ListTenants {
            query: crate::engine::api::ListQuery {
                status: vec![TenantStatus::Failed],
                status_of: StatusOf::Integration(i),
                ..Default::default()
            },
        };
        let Reply::Tenants { tenants, .. } = instance.execute(list).await? else {
            anyhow::bail!("the owner answered the list with something else");
        };
        for t in tenants {
            if t.step == Some(ProvisionStep::Stopped) {
                stopped.insert(t.slug);
            } else {
                before.insert(t.slug);
            }
        }
    }
    let retryable = stopped.len();
    let before_consent = before.difference(&stopped).count();
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let aside = if before_consent > 0 {
        format!(
            " ({before_consent} more failed before consent and need{} a new link instead)",
            if before_consent == 1 { "s" } else { "" }
        )
    } else {
        String::new()
    };
    if retryable == 0 {
        if as_json {
            return output::print(
                &Reply::Retried {
                    retried: Vec::new(),
                    skipped: Vec::new(),
                },
                true,
                None,
            );
        }
        println!("no failed provisioning to retry{aside}");
        return Ok(());
    }
    let question = format!(
        "Retry provisioning of {retryable} failed tenant{}{aside}? [y/N] ",
        plural(retryable)
    );
    let what = format!(
        "{retryable} failed tenant{} would be retried",
        plural(retryable)
    );
    if !confirm(yes, &question, &what)? {
        eprintln!("nothing retried");
        return Ok(());
    }
    // Exactly those counted and confirmed: one failed since is not retried unasked.
    let confirmed: Vec<String> = stopped.into_iter().collect();
    let (mut retried, mut skipped) = (Vec::new(), Vec::new());
    for chunk in confirmed.chunks(1000) {
        let reply = instance
            .execute(Command::RetryAllFailed {
                slugs: chunk.to_vec(),
                integration,
            })
            .await?;
        if let Reply::Retried {
            retried: r,
            skipped: s,
        } = reply
        {
            retried.extend(r);
            skipped.extend(s);
        }
    }
    output::print(&Reply::Retried { retried, skipped }, as_json, None)
}
