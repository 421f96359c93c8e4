//! What most subcommands do: run one command on the instance's engine and print its reply.

use anyhow::Result;

use super::instance::Instance;
use super::output;
use crate::engine::Command;

/// Run `command` and print its reply (as JSON with `as_json`).
pub async fn run_and_print(instance: &Instance, command: Command, as_json: bool) -> Result<()> {
    output::print(&instance.execute(command).await?, as_json, None)
}
