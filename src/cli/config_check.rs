//! `config check`: everything that can be checked offline, and the redirect URI to
//! register at Google, as text or JSON; with `--online`, the network's checks too (see
//! [`super::config_online`]). The facts come from [`crate::config::check`], the same the
//! console's set-up panel shows.

use anyhow::Result;
use clap::Subcommand;

use super::instance::Instance;
use super::output;
use crate::config::check::{Blaxel, Findings};
use crate::config::online::{CheckLine, Level, any_failed};

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Validate everything that can be checked offline and print the redirect URI.
    Check {
        /// Also check what only the network can tell: /healthz and TLS, Google's client and
        /// redirect URI, Blaxel's key and integrations, the clock. Exit code 1 on any fail.
        #[arg(long)]
        online: bool,
        /// With --online: create a labelled Blaxel connection and delete it again (whether
        /// the key may create connections).
        #[arg(long, requires = "online")]
        write: bool,
        /// With --online: also trust the CA certificates in this PEM file (a private CA).
        #[arg(long, value_name = "FILE", requires = "online")]
        trust: Option<std::path::PathBuf>,
    },
}

pub async fn run(instance: &Instance, cmd: &ConfigCmd, as_json: bool) -> Result<()> {
    match cmd {
        ConfigCmd::Check {
            online,
            write,
            trust,
        } => {
            let database = database(instance).await;
            let online = match online {
                true => {
                    Some(super::config_online::lines(instance, *write, trust.as_deref()).await?)
                }
                false => None,
            };
            check(instance, database, online.as_deref(), as_json)
        }
    }
}

/// The PostgreSQL store reached, and what it holds (`None`: the store is sled's).
type Database = Option<(String, Result<crate::store::postgres::Probe, String>)>;

async fn database(instance: &Instance) -> Database {
    let crate::config::StoreBackend::Postgres(url) = &instance.config.store.backend else {
        return None;
    };
    let shown = url.shown().to_owned();
    let url = url.clone();
    let found = tokio::task::spawn_blocking(move || crate::store::postgres::probe(&url))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    Some((shown, found))
}

/// Provisioning's credentials as `config check` says them: with where the key comes from.
fn blaxel_text(b: &Blaxel) -> String {
    match b.key_from() {
        Some(from) => format!("{b}, API key from {from}"),
        None => b.to_string(),
    }
}

/// The brand as `config check --json` gives it.
fn brand_json(cfg: &crate::config::Config, found: &Findings) -> serde_json::Value {
    let b = &cfg.brand;
    serde_json::json!({
        "ok": found.brand.is_ok(),
        "problem": found.brand.as_ref().err(),
        "name": b.name,
        "google_app_name": b.google_app(),
        "logo": b.logo.as_ref().map(|l| serde_json::json!({
            "path": l.path.display().to_string(),
            "content_type": l.kind.content_type(),
            "bytes": l.bytes.len(),
        })),
        "accent_color": b.accent.hex(),
        "button_text_color": crate::http::brand_color::text_on(b.accent).hex(),
        "support_contact": b.support_contact.as_ref().map(|s| s.shown()),
        "privacy_policy_url": b.privacy_policy_url.as_ref().map(|u| u.as_str()),
        "terms_url": b.terms_url.as_ref().map(|u| u.as_str()),
    })
}

fn check(
    instance: &Instance,
    database: Database,
    online: Option<&[CheckLine]>,
    as_json: bool,
) -> Result<()> {
    let cfg = &instance.config;
    let found = Findings::of(cfg, instance.demo);
    let google = found.google_client();
    let lease = humantime::format_duration(cfg.store.leader_timeout);
    let keep = humantime::format_duration(cfg.store.change_log_keep);
    let blaxel = found.blaxel.as_ref().map(blaxel_text);
    let database_exists = match &database {
        None => crate::store::exists(&instance.data_dir),
        Some((_, found)) => found.as_ref().is_ok_and(|p| p.schema_version.is_some()),
    };
    if as_json {
        let mut v = serde_json::json!({
            "ok": found.problems().is_empty() && !online.is_some_and(any_failed),
            "config_file": cfg.file.as_ref().map(|p| p.display().to_string()),
            "data_dir": instance.data_dir.display().to_string(),
            "database_exists": database_exists,
            "store": match &database {
                None => serde_json::json!({"backend": "sled"}),
                Some((url, found)) => serde_json::json!({
                    "backend": "postgres",
                    "url": url,
                    "leader_timeout": lease.to_string(),
                    "change_log_keep": keep.to_string(),
                    "ok": found.is_ok(),
                    "found": found.as_ref().ok(),
                    "problem": found.as_ref().err(),
                }),
            },
            "bind": cfg.listener.bind.to_string(),
            "public_url": found.public_url.to_string(),
            "redirect_uri": cfg.redirect_uri().to_string(),
            "google": google.as_ref().map(|_| "ok").unwrap_or_else(|e| e.as_str()),
            "blaxel": blaxel.as_ref().unwrap_or_else(|e| e),
            "brand": brand_json(cfg, &found),
            "mail": found.mail,
        });
        if let Some(lines) = online {
            v["online"] = serde_json::to_value(lines)?;
        }
        output::json(&v)?;
    } else {
        println!(
            "config file:  {}",
            cfg.file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "(none; defaults and environment)".into())
        );
        println!("data dir:     {}", instance.data_dir.display());
        match &database {
            Some((url, Ok(p))) => {
                println!("database:     {p} at {url}; leader lease {lease}; change log kept {keep}")
            }
            Some((url, Err(e))) => println!("database:     PROBLEM: {url}: {e}"),
            None => {}
        }
        if database.is_none() && !database_exists {
            println!(
                "database:     none yet (`mcp-onboard serve` or the console creates it, with its key)"
            );
        }
        println!(
            "listener:     {} -> {}",
            cfg.listener.bind, found.public_url
        );
        println!(
            "redirect URI: {}   <- register this in Google Cloud (OAuth client, Authorized redirect URIs)",
            cfg.redirect_uri()
        );
        match &google {
            Ok(c) => println!("google:       client {c}"),
            Err(e) => println!("google:       PROBLEM: {e}"),
        }
        match &blaxel {
            Ok(b) => println!("blaxel:       {b}"),
            Err(e) => println!("blaxel:       PROBLEM: {e}"),
        }
        match &found.brand {
            Ok(b) => println!("brand:        {b}"),
            Err(e) => println!("brand:        PROBLEM: {e}"),
        }
        match &found.mail {
            Some(m) => println!("mail:         {m}"),
            None => println!(
                "mail:         off (set [mail] smtp_url and from to mail links with `link --send`)"
            ),
        }
        if let Some(lines) = online {
            super::config_online::print(lines);
        }
    }
    let unreachable = match &database {
        Some((url, Err(e))) => Some(format!("the database {url} cannot be reached: {e}")),
        _ => None,
    };
    let mut problems = found.problems();
    problems.extend(unreachable.as_deref());
    let failed: Vec<&str> = online
        .unwrap_or_default()
        .iter()
        .filter(|l| l.level == Level::Fail)
        .map(|l| l.name.as_str())
        .collect();
    match verdict(&problems, &failed) {
        Some(message) => anyhow::bail!(message),
        None => Ok(()),
    }
}

/// The error `config check` ends with: the configuration's problems and the online checks
/// that failed, both when both (`None`: neither).
fn verdict(problems: &[&str], failed: &[&str]) -> Option<String> {
    let mut parts = Vec::new();
    if !problems.is_empty() {
        parts.push(format!("configuration incomplete: {}", problems.join("; ")));
    }
    if !failed.is_empty() {
        parts.push(format!("online checks failed: {}", failed.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join("; and "))
}
