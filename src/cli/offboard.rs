//! `offboard`: gather the tenants (one, those in a status, or those named in a file), say
//! how many, ask (unless `--yes`), and start their offboarding: each tenant whole, or with
//! `--integration` that integration alone (as `tenant integration remove`).
//!
//! `--status` offboards a tenant whole only when each of its integrations is in one of the
//! statuses: a tenant whose Gmail works is not offboarded because its Drive failed; it is
//! named as skipped, and `--integration` offboards the failed one alone.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;

use super::instance::Instance;
use super::output;
use super::prompt::confirm;
use super::tenant::parse_status;
use crate::domain::integration::Integration;
use crate::domain::model::TenantStatus;
use crate::engine::api::{ListQuery, Skipped, StatusOf};
use crate::engine::{Command, Reply};

#[derive(Debug, Args)]
pub struct OffboardArgs {
    /// The tenant to offboard.
    #[arg(required_unless_present_any = ["status", "file"], conflicts_with_all = ["status", "file"])]
    pub slug: Option<String>,
    /// Every tenant each of whose integrations is in this status (repeat for several),
    /// e.g. for an incident; with --integration, every tenant holding it in this status.
    #[arg(long, value_name = "STATUS", value_parser = parse_status, conflicts_with = "file")]
    pub status: Vec<TenantStatus>,
    /// The tenants named in this file, one slug a line (`#` starts a comment).
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Offboard this integration of each tenant alone (gmail, google-drive), as `tenant
    /// integration remove` does; the tenants' other integrations stay.
    #[arg(long, value_name = "NAME")]
    pub integration: Option<Integration>,
    /// Do not ask (for scripts); without it, the count is shown and a terminal asked.
    #[arg(short, long)]
    pub yes: bool,
}

/// The slugs named in `f`, one a line.
fn slugs_in(f: &PathBuf) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if crate::engine::lifecycle::validate_slug(line).is_err() {
            return Err(crate::engine::EngineError::BadRequest(format!(
                "{}:{}: {line:?} is not a slug; nothing was offboarded",
                f.display(),
                n + 1
            ))
            .into());
        }
        out.push(line.to_owned());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The slugs of the tenants a list with these statuses selects.
async fn listed(
    instance: &Instance,
    status: &[TenantStatus],
    status_of: StatusOf,
) -> Result<BTreeSet<String>> {
    let list = Command::ListTenants {
        query: ListQuery {
            status: status.to_vec(),
            status_of,
            ..Default::default()
        },
    };
    Ok(match instance.execute(list).await? {
        Reply::Tenants { tenants, .. } => tenants.into_iter().map(|t| t.slug).collect(),
        _ => BTreeSet::new(),
    })
}

/// The tenants `--status` takes (whole, or their `integration` alone), and those it names
/// without taking them: some integration of theirs is in one of the statuses, not each.
async fn by_status(
    instance: &Instance,
    status: &[TenantStatus],
    integration: Option<Integration>,
) -> Result<(Vec<String>, Vec<Skipped>)> {
    if let Some(i) = integration {
        let taken = listed(instance, status, StatusOf::Integration(i)).await?;
        return Ok((taken.into_iter().collect(), Vec::new()));
    }
    let whole = listed(instance, status, StatusOf::Each).await?;
    let mut partly: BTreeSet<String> = BTreeSet::new();
    for i in Integration::all() {
        let some = listed(instance, status, StatusOf::Integration(i)).await?;
        partly.extend(some.into_iter().filter(|s| !whole.contains(s)));
    }
    let said: Vec<&str> = status.iter().map(|s| s.as_str()).collect();
    let skipped = partly
        .into_iter()
        .map(|slug| Skipped {
            reason: format!(
                "not each of its integrations is {}, so it is not offboarded whole; `--integration NAME` offboards one alone (`mcp-onboard tenant show {slug}` lists them)",
                said.join(" or ")
            ),
            slug,
        })
        .collect();
    Ok((whole.into_iter().collect(), skipped))
}

/// `offboard`: gather the tenants, say how many, ask (unless `--yes`), start.
pub async fn run(instance: &Instance, o: &OffboardArgs, as_json: bool) -> Result<()> {
    let (slugs, mut skipped) = if let Some(s) = &o.slug {
        (vec![s.clone()], Vec::new())
    } else if let Some(f) = &o.file {
        (slugs_in(f)?, Vec::new())
    } else {
        by_status(instance, &o.status, o.integration).await?
    };
    if slugs.is_empty() {
        if !skipped.is_empty() {
            // None whole, but those not taken are named, with why.
            return output::print(&offboarding(Vec::new(), skipped, None), as_json, None);
        }
        println!("no tenant to offboard");
        return Ok(());
    }
    let n = slugs.len();
    let what = if n == 1 {
        slugs[0].clone()
    } else {
        format!("{n} tenants")
    };
    let ask = match o.integration {
        None => format!(
            "Offboard {what}? Grants go back to Google, MCP servers and connections are deleted at Blaxel, secrets are wiped; the records stay as offboarded. [y/N] "
        ),
        Some(i) => format!(
            "Offboard {i} of {what}? Its grant goes back to Google unless another consent by the account stands, its MCP server and connection are deleted at Blaxel, its token is wiped; the other integrations stay. [y/N] "
        ),
    };
    if !confirm(o.yes, &ask, &format!("{what} would be offboarded"))? {
        eprintln!("nothing offboarded");
        return Ok(());
    }
    let (mut started, mut note) = (Vec::new(), None);
    if let Some(integration) = o.integration {
        for slug in slugs {
            let remove = Command::RemoveIntegration {
                slug: slug.clone(),
                integration,
            };
            match instance.execute(remove).await {
                Ok(_) => started.push(slug),
                Err(e) => skipped.push(Skipped {
                    slug,
                    reason: format!("{e:#}"),
                }),
            }
        }
    } else {
        for chunk in slugs.chunks(1000) {
            if let Reply::Offboarding {
                started: a,
                skipped: b,
                note: n,
            } = instance
                .execute(Command::Offboard {
                    slugs: chunk.to_vec(),
                })
                .await?
            {
                started.extend(a);
                skipped.extend(b);
                note = note.or(n);
            }
        }
    }
    output::print(&offboarding(started, skipped, note), as_json, None)
}

fn offboarding(started: Vec<String>, skipped: Vec<Skipped>, note: Option<String>) -> Reply {
    Reply::Offboarding {
        started,
        skipped,
        note,
    }
}
