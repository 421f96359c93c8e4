//! The command line (clap): global options, subcommands, and dispatch. Subcommands other
//! than `serve` talk to a running owner over the control socket, or open the database
//! themselves when none runs.

mod audit;
mod bad_args;
mod context;
mod export;
mod first_run;
mod import;
mod inert;
mod link;
mod output;
mod pipe;
mod restore;
mod serve;
mod watch;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result};
use clap::{Args, Parser, Subcommand};

pub use audit::{AuditArgs, AuditCmd};
pub use bad_args::parse;
pub use context::{Context, DEMO_BIND, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};
pub use pipe::end_quietly_on_broken_pipe;

use crate::engine::lifecycle::NewTenant;
use crate::engine::{Command, Reply};

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
    },
    /// Refuse a consent waiting for approval: its grant is given back at Google and wiped.
    Reject {
        /// The tenant whose waiting consent to refuse.
        slug: String,
    },
    /// Check refresh tokens at Google now: one tenant's, or every consented tenant's.
    Health {
        /// The tenant to check (all that hold a consent when absent).
        slug: Option<String>,
    },
    /// Print a shell completion script (e.g. `mcp-onboard completions bash`).
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `mcp-onboard man > mcp-onboard.1`.
    Man,
}

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

#[derive(Debug, Args)]
pub struct RetryArgs {
    /// The tenant whose provisioning to run again.
    #[arg(required_unless_present = "all_failed", conflicts_with = "all_failed")]
    pub slug: Option<String>,
    /// Every failed tenant: says how many and asks first.
    #[arg(long)]
    pub all_failed: bool,
    /// Do not ask (for scripts).
    #[arg(short, long, requires = "all_failed")]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// First replay the stored timeline entries after this sequence number.
    #[arg(long, value_name = "SEQ")]
    pub since: Option<u64>,
}

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

#[derive(Debug, Subcommand)]
pub enum WebhookCmd {
    /// Send a signed sample event to every configured webhook and say what each answered.
    Test,
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Re-seal every tenant's data key under a new master key (stop the owner first).
    Rotate {
        /// Where to write the new key when it comes from MCP_ONBOARD_KEY (a new file,
        /// 0600); with a key file the new key replaces it.
        #[arg(long, value_name = "FILE")]
        new_key_file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Validate everything that can be checked offline and print the redirect URI.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum TenantCmd {
    /// Add a tenant.
    Add(AddArgs),
    /// List tenants (all, or filtered and a page at a time).
    List(ListArgs),
    /// Show one tenant with its timeline.
    Show {
        /// The tenant to show.
        slug: String,
    },
    /// A tenant's consent links: state, expiry and opens (never the link itself).
    Links {
        /// The tenant whose links to list.
        slug: String,
    },
    /// Change a tenant's name, contact or expected Google account.
    Edit(EditArgs),
    /// Add the tenants of a CSV file (header `slug,name,contact,email,domain`; only `slug`
    /// required): all or none, every bad row named by its line.
    Import {
        /// The CSV file.
        file: PathBuf,
    },
    /// Delete a tenant that never consented, with its links and timeline.
    Remove {
        /// The tenant to delete.
        slug: String,
    },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only tenants in this status (repeat for several), e.g. `failed`, `link_issued`.
    #[arg(long, value_name = "STATUS", value_parser = parse_status)]
    pub status: Vec<crate::domain::model::TenantStatus>,
    /// Only tenants whose slug, name, Google account or reason contains this text.
    #[arg(long, visible_alias = "search", value_name = "TEXT")]
    pub filter: Option<String>,
    /// At most this many (by slug).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Only tenants after this slug (the next page).
    #[arg(long, value_name = "SLUG")]
    pub after: Option<String>,
}

fn parse_status(s: &str) -> Result<crate::domain::model::TenantStatus, String> {
    crate::domain::model::TenantStatus::parse(s).ok_or_else(|| {
        let all: Vec<&str> = crate::domain::model::TenantStatus::ALL
            .iter()
            .map(|x| x.as_str())
            .collect();
        format!("no status {s:?}: use one of {}", all.join(", "))
    })
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The tenant to change.
    pub slug: String,
    /// New display name shown to the customer.
    #[arg(long, visible_alias = "display-name")]
    pub name: Option<String>,
    /// New contact (an empty value removes it).
    #[arg(long)]
    pub contact: Option<String>,
    /// From now on the customer must sign in with this Google account.
    #[arg(long, conflicts_with_all = ["domain", "any_account"])]
    pub email: Option<String>,
    /// From now on the customer must sign in from this Google Workspace domain.
    #[arg(long, conflicts_with = "any_account")]
    pub domain: Option<String>,
    /// Accept any Google account from now on.
    #[arg(long)]
    pub any_account: bool,
    /// Return the customer to this page after consent (empty: back to
    /// `listener.return_url`).
    #[arg(long, value_name = "URL")]
    pub return_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Short id: lowercase letters, digits, hyphens (at most 31).
    pub slug: String,
    /// Display name shown to the customer.
    #[arg(long, visible_alias = "display-name")]
    pub name: Option<String>,
    /// Contact (who the operator deals with).
    #[arg(long)]
    pub contact: Option<String>,
    /// The Google account the customer must sign in with.
    #[arg(long, conflicts_with = "domain")]
    pub email: Option<String>,
    /// The Google Workspace domain the customer must sign in from.
    #[arg(long)]
    pub domain: Option<String>,
    /// Return the customer to this page after consent (https://; instead of
    /// `listener.return_url`), with `?tenant=SLUG&outcome=...` appended.
    #[arg(long, value_name = "URL")]
    pub return_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct LinkArgs {
    /// The tenant to issue the link for (or, with `--revoke`, whose links to withdraw).
    #[arg(required_unless_present = "all_new", conflicts_with = "all_new")]
    pub slug: Option<String>,
    /// A link for every tenant that has not consented and has no live link.
    #[arg(long, conflicts_with_all = ["revoke", "qr", "qr_png", "qr_svg", "message", "replace"])]
    pub all_new: bool,
    /// Withdraw the tenant's other active links in the same step (they stay valid
    /// otherwise, until they expire).
    #[arg(long, conflicts_with = "revoke")]
    pub replace: bool,
    /// Also print the ready-to-send message for the customer, with the link in it.
    #[arg(long, conflicts_with = "revoke")]
    pub message: bool,
    /// Link lifetime, e.g. 30m, 24h, 7d (1m to 30d).
    #[arg(long, visible_aliases = ["lifetime", "expires-in"], default_value = "7d", value_parser = parse_ttl, conflicts_with = "revoke")]
    pub ttl: Duration,
    /// Also draw the link as a QR code.
    #[arg(long, conflicts_with = "revoke")]
    pub qr: bool,
    /// Draw the QR code for a light terminal background (when colours are off).
    #[arg(long, requires = "qr")]
    pub invert: bool,
    /// Also write the QR code as a PNG file.
    #[arg(long, value_name = "FILE", conflicts_with = "revoke")]
    pub qr_png: Option<PathBuf>,
    /// Also write the QR code as an SVG file.
    #[arg(long, value_name = "FILE", conflicts_with = "revoke")]
    pub qr_svg: Option<PathBuf>,
    /// Withdraw every unused link of the tenant instead of issuing one.
    #[arg(long, visible_alias = "withdraw")]
    pub revoke: bool,
}

/// Said when a link is issued with no owner running.
const NO_OWNER_FOR_LINK: &str =
    "no owner is running: nothing answers this link until `mcp-onboard serve` or the console runs";

fn parse_ttl(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 30m, 24h, 7d)"))?;
    if !(crate::engine::MIN_LINK_TTL..=crate::engine::MAX_LINK_TTL).contains(&d) {
        return Err(format!("{s} is out of range: use 1m to 30d"));
    }
    Ok(d)
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
    let ctx = Context::resolve(&cli)?;
    let Some(command) = &cli.command else {
        crate::tui::require_terminal()?;
        if !first_run::console_may_create(&ctx).await? {
            return Ok(());
        }
        let _log = first_run::prepare(&ctx)?;
        return crate::tui::run(&ctx).await;
    };
    let _log = first_run::prepare(&ctx)?;
    match command {
        Sub::Serve => serve::run(&ctx).await,
        Sub::Config(ConfigCmd::Check) => output::config_check(&ctx, cli.json),
        Sub::Tenant(TenantCmd::Add(a)) => {
            let cmd = Command::AddTenant(NewTenant {
                slug: a.slug.clone(),
                display_name: a.name.clone(),
                contact: a.contact.clone(),
                expected_email: a.email.clone(),
                expected_domain: a.domain.clone(),
                integration: Default::default(),
                return_url: a.return_url.clone(),
            });
            let reply = ctx.execute(cmd).await?;
            output::print(&reply, cli.json, None)
        }
        Sub::Tenant(TenantCmd::List(a)) => {
            let query = crate::engine::api::ListQuery {
                status: a.status.clone(),
                text: a.filter.clone(),
                after: a.after.clone(),
                limit: a.limit,
                ..Default::default()
            };
            let reply = ctx.execute(Command::ListTenants { query }).await?;
            let filtered = !a.status.is_empty() || a.filter.is_some() || a.after.is_some();
            output::print_list(&reply, cli.json, a.limit, filtered)
        }
        Sub::Tenant(TenantCmd::Edit(e)) => {
            let cmd = Command::EditTenant {
                slug: e.slug.clone(),
                edit: crate::domain::lifecycle::TenantEdit {
                    display_name: e.name.clone(),
                    contact: e.contact.clone(),
                    expected_email: e.email.clone(),
                    expected_domain: e.domain.clone(),
                    any_account: e.any_account,
                    return_url: e.return_url.clone(),
                },
            };
            output::print(&ctx.execute(cmd).await?, cli.json, None)
        }
        Sub::Tenant(TenantCmd::Show { slug }) => output::print(
            &ctx.execute(Command::ShowTenant { slug: slug.clone() })
                .await?,
            cli.json,
            None,
        ),
        Sub::Link(l) if l.all_new => {
            let (reply, owner) = ctx
                .execute_noting_owner(Command::LinkAllNew {
                    ttl_secs: l.ttl.as_secs(),
                })
                .await?;
            if !owner {
                eprintln!("warning: {NO_OWNER_FOR_LINK}");
            }
            output::print(&reply, cli.json, None)
        }
        Sub::Link(l) if l.revoke => {
            let reply = ctx
                .execute(Command::RevokeLinks {
                    slug: l.slug.clone().unwrap_or_default(),
                })
                .await?;
            output::print(&reply, cli.json, None)
        }
        Sub::Link(l) => link::issue(&ctx, l, cli.json).await,
        Sub::Status => output::print(&ctx.execute(Command::Status).await?, cli.json, None),
        Sub::Retry(r) => match &r.slug {
            Some(slug) => output::print(
                &ctx.execute(Command::Retry { slug: slug.clone() }).await?,
                cli.json,
                None,
            ),
            None => retry_all_failed(&ctx, r.yes, cli.json).await,
        },
        Sub::Tenant(TenantCmd::Links { slug }) => {
            let reply = ctx
                .execute(Command::ShowTenant { slug: slug.clone() })
                .await?;
            output::print_links(&reply, cli.json)
        }
        Sub::Tenant(TenantCmd::Import { file }) => import::run(&ctx, file, cli.json).await,
        Sub::Tenant(TenantCmd::Remove { slug }) => output::print(
            &ctx.execute(Command::RemoveTenant { slug: slug.clone() })
                .await?,
            cli.json,
            None,
        ),
        Sub::Watch(w) => watch::run(&ctx, w.since, cli.json).await,
        Sub::Completions { .. } | Sub::Man => print_generated(command).map(|_| ()),
        Sub::Offboard(o) => offboard(&ctx, o, cli.json).await,
        Sub::Key(KeyCmd::Rotate { new_key_file }) => {
            first_run::require_database(&ctx).await?;
            let (dir, key, out) = (ctx.data_dir.clone(), ctx.key.clone(), new_key_file.clone());
            let hooks: Vec<String> = ctx
                .config
                .webhooks
                .iter()
                .map(|h| h.url.to_string())
                .collect();
            let done = tokio::task::spawn_blocking(move || {
                crate::store::rotate::rotate(&dir, &key, out.as_deref(), &hooks)
            })
            .await
            .context("rotating the key")?
            .map_err(|e| match e {
                crate::store::StoreError::Locked { .. } => anyhow::anyhow!(
                    "{e}; key rotation needs the database to itself: stop the owner first"
                ),
                e => e.into(),
            })?;
            if cli.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&done).context("encoding JSON")?
                );
            } else {
                println!(
                    "master key rotated: {} tenant keys and {} pending sign-ins re-sealed; the new key is in {}{}",
                    done.tenant_keys,
                    done.flows,
                    done.key_file.display(),
                    if new_key_file.is_some() {
                        " (set MCP_ONBOARD_KEY to it; the old key no longer opens the database)"
                    } else {
                        " (the old key no longer opens the database: update any copy of it)"
                    }
                );
            }
            Ok(())
        }
        Sub::Audit(a) => audit::run(&ctx, a, cli.json).await,
        Sub::Reconcile(r) => {
            let cmd = if let Some(what) = &r.delete_orphan {
                Command::DeleteOrphan { what: what.clone() }
            } else if r.fix_all || !r.fix.is_empty() {
                Command::ReconcileFix {
                    slugs: r.fix.clone(),
                }
            } else {
                Command::Reconcile
            };
            output::print(&ctx.execute(cmd).await?, cli.json, None)
        }
        Sub::Webhook(WebhookCmd::Test) => {
            let reply = ctx.execute(Command::WebhookTest).await?;
            let failed = matches!(&reply, Reply::WebhookTest { deliveries } if deliveries.iter().any(|d| !d.ok()));
            output::print(&reply, cli.json, None)?;
            if failed {
                anyhow::bail!("a webhook did not take the test event");
            }
            Ok(())
        }
        Sub::Export { csv, raw } => {
            let reply = ctx
                .execute(Command::ListTenants {
                    query: Default::default(),
                })
                .await?;
            export::print_export(&reply, cli.json && !*csv, *raw)
        }
        Sub::Backup { file } => {
            let abs = std::path::absolute(file)
                .with_context(|| format!("resolving {}", file.display()))?;
            let reply = ctx
                .execute(Command::Backup {
                    path: abs.display().to_string(),
                })
                .await?;
            output::print(&reply, cli.json, None)
        }
        Sub::Restore {
            file,
            accept_unauthenticated,
            expect,
        } => restore::run(&ctx, file, (*accept_unauthenticated, expect), cli.json).await,
        Sub::Approve { slug } => output::print(
            &ctx.execute(Command::Approve { slug: slug.clone() }).await?,
            cli.json,
            None,
        ),
        Sub::Reject { slug } => output::print(
            &ctx.execute(Command::Reject { slug: slug.clone() }).await?,
            cli.json,
            None,
        ),
        Sub::Health { slug } => output::print(
            &ctx.execute(Command::CheckHealth { slug: slug.clone() })
                .await?,
            cli.json,
            None,
        ),
    }
}

/// `offboard`: gather the tenants, say how many, ask (unless `--yes`), start.
async fn offboard(ctx: &Context, o: &OffboardArgs, as_json: bool) -> Result<()> {
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
        match ctx.execute(list).await? {
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
        } = ctx
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

/// Ask on the terminal unless `yes`; without a terminal to ask on, refuse (`what` says
/// what would have been done).
fn confirm(yes: bool, question: &str, what: &str) -> Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(crate::engine::EngineError::BadRequest(format!(
            "{what}: add --yes to confirm (stdin is not a terminal to ask on)"
        ))
        .into());
    }
    eprint!("{question}");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}

/// `retry --all-failed`: count the failed tenants whose provisioning stopped, ask (unless
/// `--yes`), retry them. Those that failed before consent need a new link instead.
async fn retry_all_failed(ctx: &Context, yes: bool, as_json: bool) -> Result<()> {
    use crate::domain::model::{ProvisionStep, TenantStatus};
    use std::io::{BufRead, IsTerminal, Write};
    let list = Command::ListTenants {
        query: crate::engine::api::ListQuery {
            status: vec![TenantStatus::Failed],
            ..Default::default()
        },
    };
    let Reply::Tenants { tenants, .. } = ctx.execute(list).await? else {
        anyhow::bail!("the owner answered the list with something else");
    };
    let retryable = tenants
        .iter()
        .filter(|t| t.step == Some(ProvisionStep::Stopped))
        .count();
    let before_consent = tenants.len() - retryable;
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
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(crate::engine::EngineError::BadRequest(format!(
                "{retryable} failed tenant{} would be retried: add --yes to confirm (stdin is not a terminal to ask on)",
                plural(retryable)
            ))
            .into());
        }
        eprint!(
            "Retry provisioning of {retryable} failed tenant{}{aside}? [y/N] ",
            plural(retryable)
        );
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES") {
            eprintln!("nothing retried");
            return Ok(());
        }
    }
    // Exactly those counted and confirmed: one failed since is not retried unasked.
    let confirmed: Vec<String> = tenants
        .into_iter()
        .filter(|t| t.step == Some(ProvisionStep::Stopped))
        .map(|t| t.slug)
        .collect();
    let (mut retried, mut skipped) = (Vec::new(), Vec::new());
    for chunk in confirmed.chunks(1000) {
        let reply = ctx
            .execute(Command::RetryAllFailed {
                slugs: chunk.to_vec(),
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

/// The documented code of an error that ends a command, from what caused it.
pub fn error_code(e: &anyhow::Error) -> crate::engine::ErrorCode {
    use crate::engine::{ApiError, EngineError, ErrorCode};
    use crate::store::StoreError;
    for cause in e.chain() {
        if let Some(a) = cause.downcast_ref::<ApiError>() {
            return a.code;
        }
        if let Some(a) = cause.downcast_ref::<EngineError>() {
            return a.code();
        }
        if cause.downcast_ref::<crate::config::ConfigError>().is_some() {
            return ErrorCode::InvalidInput;
        }
        if let Some(s) = cause.downcast_ref::<StoreError>() {
            return match s {
                StoreError::Locked { .. } => ErrorCode::Conflict,
                StoreError::Key(_)
                | StoreError::WrongKey
                | StoreError::KeyCheckMissing { .. }
                | StoreError::BackupRefused(_) => ErrorCode::InvalidInput,
                StoreError::Closed(_) => ErrorCode::Unavailable,
                _ => ErrorCode::Internal,
            };
        }
        if cause.downcast_ref::<std::io::Error>().is_some() {
            return ErrorCode::Unavailable;
        }
    }
    ErrorCode::Internal
}

/// An error as `--json` prints it on stderr: `{"error": {"code", "message"}}`.
pub fn error_json(e: &anyhow::Error) -> String {
    serde_json::json!({
        "error": {
            "code": error_code(e).as_str(),
            "message": format!("{e:#}"),
        }
    })
    .to_string()
}
