//! `webhook test`: a signed sample event to every configured webhook, and what each
//! answered; the command fails when one did not take it.

use anyhow::Result;
use clap::Subcommand;

use super::instance::Instance;
use super::output;
use crate::engine::{Command, Reply};

#[derive(Debug, Subcommand)]
pub enum WebhookCmd {
    /// Send a signed sample event to every configured webhook and say what each answered.
    Test,
}

pub async fn run(instance: &Instance, cmd: &WebhookCmd, as_json: bool) -> Result<()> {
    match cmd {
        WebhookCmd::Test => {
            let reply = instance.execute(Command::WebhookTest).await?;
            let failed = matches!(&reply, Reply::WebhookTest { deliveries } if deliveries.iter().any(|d| !d.ok()));
            output::print(&reply, as_json, None)?;
            if failed {
                anyhow::bail!("a webhook did not take the test event");
            }
            Ok(())
        }
    }
}
