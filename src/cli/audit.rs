//! `audit`: list the chain, verify it (against anchors noted outside the box), and print
//! its head, the anchor to note.

use anyhow::Result;
use clap::{Args, Subcommand};

use super::instance::Instance;
use super::output;
use super::reply::run_and_print;
use crate::domain::anchor::AuditAnchor;
use crate::engine::{Command, Reply};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub verify: Option<AuditCmd>,
    /// Only the entries about this tenant.
    #[arg(long, visible_alias = "slug", value_name = "SLUG")]
    pub tenant: Option<String>,
    /// Only entries from then on: an RFC 3339 time or a duration back from now (`24h`).
    #[arg(long, value_name = "WHEN", value_parser = parse_since)]
    pub since: Option<i64>,
}

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Check the chain and its head; names the first broken entry (exit 1).
    Verify {
        /// A head noted earlier (`SEQ:HASH`, as `audit head` prints it): the chain must
        /// still have that entry, with that hash (repeat for several). Shows a chain
        /// rolled back to an older copy, which its own MAC cannot.
        #[arg(long, value_name = "SEQ:HASH")]
        expect: Vec<AuditAnchor>,
    },
    /// Print the chain's head as SEQ:HASH, the anchor to keep outside this machine.
    Head,
}

fn parse_since(s: &str) -> Result<i64, String> {
    if let Ok(t) = humantime::parse_rfc3339_weak(s) {
        let ms = t
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_millis();
        return i64::try_from(ms).map_err(|e| e.to_string());
    }
    let d = humantime::parse_duration(s)
        .map_err(|_| format!("{s:?}: expected an RFC 3339 time or a duration such as 24h"))?;
    Ok(crate::time::now_ms() - crate::time::duration_ms(d))
}

pub async fn run(instance: &Instance, a: &AuditArgs, as_json: bool) -> Result<()> {
    match &a.verify {
        Some(AuditCmd::Verify { expect }) => {
            let reply = instance
                .execute(Command::AuditVerify {
                    expect: expect.clone(),
                })
                .await?;
            let broken = matches!(
                &reply,
                Reply::AuditVerified {
                    broken_at: Some(_),
                    ..
                }
            );
            if !broken {
                anchors_checked(&reply, expect)?;
            }
            output::print(&reply, as_json, None)?;
            if broken {
                anyhow::bail!("the audit chain does not hold");
            }
            if !as_json {
                for anchor in expect {
                    println!("it extends the anchored head {anchor}");
                }
            }
            Ok(())
        }
        Some(AuditCmd::Head) => run_and_print(instance, Command::AuditHead, as_json).await,
        None => {
            let command = Command::Audit {
                tenant: a.tenant.clone(),
                since_ms: a.since,
            };
            run_and_print(instance, command, as_json).await
        }
    }
}

/// An answer that holds says it checked every anchor asked for: an owner of a build
/// before anchors ignores them, and its "holds" proves nothing about them.
fn anchors_checked(reply: &Reply, expect: &[AuditAnchor]) -> Result<()> {
    let checked = match reply {
        Reply::AuditVerified {
            anchors_checked, ..
        } => anchors_checked.unwrap_or(0),
        _ => 0,
    };
    if checked < expect.len() {
        anyhow::bail!(
            "the owner answering did not check the anchors (it is of a build before `--expect`): nothing proves the chain extends {}; restart it with this build, or stop it and run this again",
            expect
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}
