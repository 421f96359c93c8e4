//! The command line (clap): global options, subcommands, and dispatch. Subcommands other
//! than `serve` talk to a running owner over the control socket, or open the database
//! themselves when none runs.
//!
//! Each command group has its module, with its arguments and what it does: `tenant`,
//! `link`, `retry`, `offboard`, `audit`, `reconcile`, `webhook`, `keys`, `export`,
//! `import`, `backup` (and restore), `watch`, `serve`, `config_check`, and `console` (no
//! command). They reach the engine through [`Instance`] (which data, which key, which
//! config, and the owner or the database itself) and print through `output`.

mod audit;
mod backup;
mod bad_args;
mod config_check;
mod config_online;
mod console;
mod demo;
mod errors;
mod export;
mod first_run;
mod import;
mod inert;
mod instance;
mod keys;
mod link;
mod link_send;
mod offboard;
mod output;
mod pages;
mod pipe;
mod probe;
mod prompt;
mod reconcile;
mod reply;
mod retry;
mod risc;
mod serve;
mod tenant;
mod watch;
mod webhook;

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};

pub use audit::{AuditArgs, AuditCmd};
pub use bad_args::parse;
pub use config_check::ConfigCmd;
pub use demo::DEMO_BIND;
pub use errors::{error_code, error_json};
pub use instance::{Creation, Given, Instance};
pub use keys::KeyCmd;
pub use link::LinkArgs;
pub use offboard::OffboardArgs;
pub use pages::PagesCmd;
pub use pipe::end_quietly_on_broken_pipe;
pub use reconcile::ReconcileArgs;
pub use retry::RetryArgs;
pub use risc::RiscCmd;
pub use tenant::{AddArgs, EditArgs, ListArgs, TenantCmd};
pub use watch::WatchArgs;
pub use webhook::WebhookCmd;

use crate::domain::integration::Integration;
use crate::engine::Command;
use reply::run_and_print;

/// The heading global options are listed under in every command's help.
const GLOBAL: &str = "Global options";

#[derive(Debug, Parser)]
#[command(
    name = "mcp-onboard",
    version,
    about = "Onboard tenants to dedicated Gmail MCP servers on Blaxel",
    long_about = "Onboard tenants to dedicated Gmail MCP servers on Blaxel.\n\n\
                  With no command, opens the console (attached to a running `serve`, or owning \
                  the database itself). `--demo` runs against built-in stand-ins of Google and \
                  Blaxel with throwaway credentials."
)]
pub struct Cli {
    /// Config file (default: config.toml in the user's config directory).
    #[arg(long, global = true, env = "MCP_ONBOARD_CONFIG", hide_env_values = true, value_name = "FILE", help_heading = GLOBAL)]
    pub config: Option<PathBuf>,
    /// Directory holding the database, logs and control socket.
    #[arg(long, global = true, env = "MCP_ONBOARD_DATA_DIR", hide_env_values = true, value_name = "DIR", help_heading = GLOBAL)]
    pub data_dir: Option<PathBuf>,
    /// Key file for secrets at rest (default: secret.key in the config directory).
    /// `MCP_ONBOARD_KEY` (base64 key) takes precedence.
    #[arg(long, global = true, env = "MCP_ONBOARD_KEY_FILE", hide_env_values = true, value_name = "FILE", help_heading = GLOBAL)]
    pub key_file: Option<PathBuf>,
    /// Run against the built-in stand-ins with throwaway credentials and a data dir of its own.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub demo: bool,
    /// Machine-readable JSON output (errors too, as `{"error": {"code", "message"}}`).
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<Sub>,
}

#[derive(Debug, Subcommand)]
pub enum Sub {
    /// Run the listener headless until SIGINT/SIGTERM (for systemd).
    Serve,
    /// Check the configuration.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCmd),
    /// Issue a consent link for a tenant.
    Link(LinkArgs),
    /// The customer's pages: preview them with the brand and in every language.
    #[command(subcommand)]
    Pages(PagesCmd),
    /// Summary of all tenants by state.
    Status,
    /// Run a tenant's stopped provisioning job again (or every failed tenant's).
    Retry(RetryArgs),
    /// Stream events from the running owner until interrupted.
    Watch(WatchArgs),
    /// The audit chain: every operator command and lifecycle event with who did it.
    Audit(AuditArgs),
    /// Compare Blaxel with the store (drift), and fix what the operator says.
    Reconcile(ReconcileArgs),
    /// Webhooks that receive tenant events.
    #[command(subcommand)]
    Webhook(WebhookCmd),
    /// The master key for secrets at rest.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Google's security events (RISC): register the receiver with Google, verify it
    #[command(subcommand)]
    Risc(RiscCmd),
    /// Every tenant's slug, status, Google account and MCP URL, for scripts: CSV with a
    /// header row, or with `--json` a JSON array.
    Export {
        /// CSV (the default; wins over `--json`).
        #[arg(long)]
        csv: bool,
        /// Cells exactly as stored: no `'` before a cell starting with `=`, `+`, `-`, `@`,
        /// a tab or CR (a spreadsheet would run it as a formula), nothing escaped.
        #[arg(long)]
        raw: bool,
        /// A row per tenant holding this integration (gmail, google-drive), with its own
        /// status and MCP URL, instead of the tenant's.
        #[arg(long, value_name = "NAME")]
        integration: Option<Integration>,
    },
    /// Write a consistent backup of the database to FILE (secrets stay sealed).
    Backup {
        /// The file to write (a new one; it is never overwritten).
        file: PathBuf,
    },
    /// Restore a backup into an empty data dir (with the key it was made under).
    Restore {
        /// The backup file to read (refused unless it verifies under the key).
        file: PathBuf,
        /// Restore a backup of the old format (1), which carries no MAC and so cannot be
        /// told apart from one altered without the key: only one you know the history of.
        #[arg(long)]
        accept_unauthenticated: bool,
        /// An audit head noted earlier (`SEQ:HASH`, as `audit head` prints it): restore
        /// only a backup whose chain holds that entry (repeat for several).
        #[arg(long, value_name = "SEQ:HASH")]
        expect: Vec<crate::domain::anchor::AuditAnchor>,
    },
    /// Offboard tenants: give their grants back at Google, delete their MCP servers and
    /// connections, wipe their secrets (asks first).
    Offboard(OffboardArgs),
    /// Accept a consent by another Google account than before (it waits for approval).
    Approve {
        /// The tenant whose waiting consent to accept.
        slug: String,
        /// The integration whose consent waits (gmail, google-drive); without it, the only
        /// one waiting.
        #[arg(long, value_name = "NAME")]
        integration: Option<crate::domain::integration::Integration>,
    },
    /// Refuse a consent waiting for approval: its grant is given back at Google and wiped.
    Reject {
        /// The tenant whose waiting consent to refuse.
        slug: String,
        /// The integration whose consent waits (gmail, google-drive); without it, the only
        /// one waiting.
        #[arg(long, value_name = "NAME")]
        integration: Option<crate::domain::integration::Integration>,
    },
    /// Check refresh tokens at Google and the deployed MCP servers now: one tenant's, or
    /// every tenant's tokens (their MCP servers too with --mcp).
    Health {
        /// The tenant to check (all that hold a consent when absent).
        slug: Option<String>,
        /// Without SLUG: check every deployed MCP server too (slower: each may cold-start).
        #[arg(long)]
        mcp: bool,
    },
    /// Print a shell completion script (e.g. `mcp-onboard completions bash`).
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `mcp-onboard man > mcp-onboard.1`.
    Man,
}

/// Which commands may create the database where none is yet. `serve`, the console (which
/// owns the database when no `serve` runs), and the commands that add something (`tenant
/// add`, `tenant import`, `link`, `restore`) may; every other command acts on what exists.
/// The demo's data is throwaway: with `--demo` every command may but `pages preview`.
pub fn creation(command: Option<&Sub>, demo: bool) -> Creation {
    // A preview only reads, even the demo's.
    if matches!(command, Some(Sub::Pages(_))) {
        return Creation::Existing;
    }
    if demo {
        return Creation::MayCreate;
    }
    match command {
        None
        | Some(
            Sub::Serve
            | Sub::Restore { .. }
            | Sub::Tenant(TenantCmd::Add(_) | TenantCmd::Import { .. }),
        ) => Creation::MayCreate,
        Some(Sub::Link(l)) if !l.revoke => Creation::MayCreate,
        _ => Creation::Existing,
    }
}

/// What needs no configuration, database or key: completions and the man page.
fn print_generated(command: &Sub) -> Result<bool> {
    use clap::CommandFactory;
    match command {
        // Into a buffer, then printed: a reader gone away ends quietly (see `pipe`).
        Sub::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "mcp-onboard", &mut out);
            print!("{}", String::from_utf8_lossy(&out));
            Ok(true)
        }
        Sub::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .context("writing the man page")?;
            print!("{}", String::from_utf8_lossy(&out));
            Ok(true)
        }
        _ => Ok(false),
    }
}

pub async fn run(cli: Cli) -> Result<()> {
    if let Some(c) = &cli.command
        && print_generated(c)?
    {
        return Ok(());
    }
    let given = Given {
        config: cli.config.as_deref(),
        data_dir: cli.data_dir.as_deref(),
        key_file: cli.key_file.as_deref(),
        demo: cli.demo,
    };
    let instance = Instance::resolve(given, creation(cli.command.as_ref(), cli.demo))?;
    let Some(command) = &cli.command else {
        return console::run(&instance).await;
    };
    let _log = first_run::prepare(&instance)?;
    let (at, json) = (&instance, cli.json);
    match command {
        Sub::Serve => serve::run(at).await,
        Sub::Config(c) => config_check::run(at, c, json).await,
        Sub::Tenant(t) => tenant::run(at, t, json).await,
        Sub::Link(l) => link::run(at, l, json).await,
        Sub::Pages(p) => pages::run(at, p, json).await,
        Sub::Status => run_and_print(at, Command::Status, json).await,
        Sub::Retry(r) => retry::run(at, r, json).await,
        Sub::Watch(w) => watch::run(at, w, json).await,
        Sub::Audit(a) => audit::run(at, a, json).await,
        Sub::Reconcile(r) => reconcile::run(at, r, json).await,
        Sub::Webhook(w) => webhook::run(at, w, json).await,
        Sub::Key(k) => keys::run(at, k, json).await,
        Sub::Risc(r) => risc::run(at, r, json).await,
        Sub::Export {
            csv,
            raw,
            integration,
        } => export::run(at, (*csv, *raw), *integration, json).await,
        Sub::Backup { file } => backup::backup(at, file, json).await,
        Sub::Restore {
            file,
            accept_unauthenticated,
            expect,
        } => backup::restore(at, file, (*accept_unauthenticated, expect), json).await,
        Sub::Offboard(o) => offboard::run(at, o, json).await,
        Sub::Approve { slug, integration } => {
            let c = decision(slug, *integration, true);
            run_and_print(at, c, json).await
        }
        Sub::Reject { slug, integration } => {
            let c = decision(slug, *integration, false);
            run_and_print(at, c, json).await
        }
        Sub::Health { slug, mcp } => {
            let c = Command::CheckHealth {
                slug: slug.clone(),
                mcp: *mcp,
            };
            run_and_print(at, c, json).await
        }
        Sub::Completions { .. } | Sub::Man => print_generated(command).map(|_| ()),
    }
}

/// `approve` (or `reject`) of the consent waiting for `integration` of `slug`, or of the
/// only one waiting.
fn decision(slug: &str, integration: Option<Integration>, approve: bool) -> Command {
    let slug = slug.to_owned();
    match (integration, approve) {
        (None, true) => Command::Approve { slug },
        (None, false) => Command::Reject { slug },
        (Some(integration), true) => Command::ApproveIntegration { slug, integration },
        (Some(integration), false) => Command::RejectIntegration { slug, integration },
    }
}
