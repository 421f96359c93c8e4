//! `risc register` and `risc verify`: Google's security events set up from the terminal.
//! `register` tells Google's RISC API (`stream:update`) to push every event type we act on
//! to `{public_url}/risc`; `verify` asks it (`stream:verify`) for a verification event and
//! waits until the receiver has recorded it (asked of the running owner, which reads the
//! store: any node may have received it), or the time is up. Both authenticate with the
//! project's service account key file (`google.risc_api_url` says where the API is).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use clap::Subcommand;

use super::instance::Instance;
use super::output;
use crate::engine::{Command, Reply};
use crate::google::risc_api::{ServiceAccount, update_stream, verify_stream};

/// How often `verify` asks whether the event came.
const POLL: Duration = Duration::from_millis(500);

#[derive(Debug, Subcommand)]
pub enum RiscCmd {
    /// Register `{public_url}/risc` with Google's RISC API as the push receiver of the
    /// security events we act on (the verification event included)
    Register {
        /// The service account's key file (JSON) of the Google Cloud project, with the
        /// RISC Configuration Admin role
        #[arg(long, value_name = "FILE")]
        service_account: PathBuf,
    },
    /// Ask Google for a verification event and wait until the receiver has it
    Verify {
        /// The service account's key file (JSON), as for `register`
        #[arg(long, value_name = "FILE")]
        service_account: PathBuf,
        /// How long to wait for the event
        #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
        timeout: Duration,
    },
}

fn account(path: &PathBuf) -> Result<ServiceAccount> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the service account key file {}", path.display()))?;
    ServiceAccount::from_json(&text)
}

pub async fn run(instance: &Instance, cmd: &RiscCmd, as_json: bool) -> Result<()> {
    let config = &instance.config;
    let api = &config.google.risc_api_url;
    if !config.google.risc {
        bail!(
            "the receiver is off: set `google.risc = true` (GOOGLE_RISC=true) and restart `serve`, so that `{}` takes Google's events",
            config.public_path(crate::http::risc::RISC_PATH)
        );
    }
    match cmd {
        RiscCmd::Register { service_account } => {
            let sa = account(service_account)?;
            let push = config.public_path(crate::http::risc::RISC_PATH);
            update_stream(api, &sa, &push).await?;
            if as_json {
                println!("{}", serde_json::json!({ "registered": push.as_str() }));
            } else {
                println!(
                    "registered: Google pushes its security events to {push}; `mcp-onboard risc verify --service-account FILE` checks that they arrive"
                );
            }
            Ok(())
        }
        RiscCmd::Verify {
            service_account,
            timeout,
        } => {
            let sa = account(service_account)?;
            let state = crate::engine::token::random_token(16);
            verify_stream(api, &sa, &state).await?;
            let deadline = Instant::now() + *timeout;
            loop {
                let reply = instance
                    .execute(Command::RiscVerified {
                        state: state.clone(),
                    })
                    .await?;
                if matches!(reply, Reply::RiscVerified { seen: true }) {
                    return output::print(&reply, as_json, None);
                }
                if Instant::now() >= deadline {
                    bail!(
                        "Google's verification event did not arrive within {}: check that `serve` runs, that {} reaches it over https, and the logs",
                        humantime::format_duration(*timeout),
                        config.public_path(crate::http::risc::RISC_PATH)
                    );
                }
                tokio::time::sleep(POLL).await;
            }
        }
    }
}
