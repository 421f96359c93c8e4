//! `reconcile`: compare Blaxel with the store (drift), and fix what the operator names:
//! hand tenants back to the provisioner, or delete a resource of ours that no tenant owns.

use anyhow::Result;
use clap::Args;

use super::instance::Instance;
use super::reply::run_and_print;
use crate::engine::Command;

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Hand this tenant back to the provisioner, which makes what is missing again.
    #[arg(long, value_name = "SLUG", conflicts_with_all = ["fix_all", "delete_orphan"])]
    pub fix: Vec<String>,
    /// The same for every tenant with a finding.
    #[arg(long, conflicts_with = "delete_orphan")]
    pub fix_all: bool,
    /// Delete a resource labelled as ours that no tenant owns: `function/NAME` or
    /// `connection/NAME`.
    #[arg(long, value_name = "KIND/NAME")]
    pub delete_orphan: Option<String>,
}

pub async fn run(instance: &Instance, r: &ReconcileArgs, as_json: bool) -> Result<()> {
    let command = if let Some(what) = &r.delete_orphan {
        Command::DeleteOrphan { what: what.clone() }
    } else if r.fix_all || !r.fix.is_empty() {
        Command::ReconcileFix {
            slugs: r.fix.clone(),
        }
    } else {
        Command::Reconcile
    };
    run_and_print(instance, command, as_json).await
}
