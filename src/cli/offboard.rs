//! `offboard`: gather the tenants (one, those in a status, or those named in a file), say
//! how many, ask (unless `--yes`), and start their offboarding.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;

use super::instance::Instance;
use super::output;
use super::prompt::confirm;
use super::tenant::parse_status;
use crate::engine::{Command, Reply};

#[derive(Debug, Args)]
pub struct OffboardArgs {
    /// The tenant to offboard.
    #[arg(required_unless_present_any = ["status", "file"], conflicts_with_all = ["status", "file"])]
    pub slug: Option<String>,
    /// Every tenant in this status (repeat for several), e.g. for an incident.
    #[arg(long, value_name = "STATUS", value_parser = parse_status, conflicts_with = "file")]
    pub status: Vec<crate::domain::model::TenantStatus>,
    /// The tenants named in this file, one slug a line (`#` starts a comment).
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Do not ask (for scripts); without it, the count is shown and a terminal asked.
    #[arg(short, long)]
    pub yes: bool,
}

/// `offboard`: gather the tenants, say how many, ask (unless `--yes`), start.
pub async fn run(instance: &Instance, o: &OffboardArgs, as_json: bool) -> Result<()> {
    let slugs: Vec<String> = if let Some(s) = &o.slug {
        vec![s.clone()]
    } else if let Some(f) = &o.file {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
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
        out
    } else {
        let list = Command::ListTenants {
            query: crate::engine::api::ListQuery {
                status: o.status.clone(),
                ..Default::default()
            },
        };
        match instance.execute(list).await? {
            Reply::Tenants { tenants, .. } => tenants.into_iter().map(|t| t.slug).collect(),
            _ => Vec::new(),
        }
    };
    if slugs.is_empty() {
        println!("no tenant to offboard");
        return Ok(());
    }
    let n = slugs.len();
    let what = if n == 1 {
        slugs[0].clone()
    } else {
        format!("{n} tenants")
    };
    let ask = format!(
        "Offboard {what}? Grants go back to Google, MCP servers and connections are deleted at Blaxel, secrets are wiped; the records stay as offboarded. [y/N] "
    );
    if !confirm(o.yes, &ask, &format!("{what} would be offboarded"))? {
        eprintln!("nothing offboarded");
        return Ok(());
    }
    let (mut started, mut skipped, mut note) = (Vec::new(), Vec::new(), None);
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
    output::print(
        &Reply::Offboarding {
            started,
            skipped,
            note,
        },
        as_json,
        None,
    )
}
