//! Printing replies for people (aligned text, QR code) or scripts (`--json`). What is
//! printed for a person goes through [`inert`] first.

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::context::Context;
use super::inert::inert;
use crate::engine::Reply;
use crate::engine::api::{LinkView, TenantView};

pub(super) fn json<T: Serialize>(v: &T) -> Result<()> {
    println!(
        "{}",
        serde_json::to_string_pretty(v).context("encoding JSON")?
    );
    Ok(())
}

/// Render `text` as a terminal QR code, quiet zone kept: black on white with colours when
/// stdout is a terminal and `NO_COLOR` is unset; otherwise drawn for a dark background, or a
/// light one with `invert`.
pub fn qr_text(text: &str, invert: bool) -> Result<String> {
    use std::io::IsTerminal;
    let code = crate::qr::encode(text)?;
    let colors = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let style = match (colors, invert) {
        (true, _) => crate::qr::TerminalStyle::Colors,
        (false, false) => crate::qr::TerminalStyle::PlainForDark,
        (false, true) => crate::qr::TerminalStyle::PlainForLight,
    };
    Ok(crate::qr::terminal(&code, style))
}

/// Write the link's QR code as PNG and SVG files, where asked (each created new, 0600).
pub fn write_qr_files(
    url: &str,
    png: Option<&std::path::Path>,
    svg: Option<&std::path::Path>,
) -> Result<()> {
    for p in crate::qr_file::write(url, png, svg)? {
        eprintln!("QR code written to {}", p.display());
    }
    Ok(())
}

/// Print a reply; `qr`: draw a link as a QR code too (`Some(invert)`).
pub fn print(reply: &Reply, as_json: bool, qr: Option<bool>) -> Result<()> {
    if as_json {
        return match reply {
            Reply::Tenant(t) => json(t),
            Reply::Tenants { tenants, .. } => json(tenants),
            Reply::Link(l) => json(l),
            Reply::Status(s) => json(s),
            Reply::Removed { slug } => json(&serde_json::json!({ "removed": slug })),
            Reply::WebhookTest { deliveries } => json(deliveries),
            Reply::Imported { added } => json(&serde_json::json!({ "added": added })),
            Reply::Findings { findings } => json(&serde_json::json!({ "findings": findings })),
            Reply::AuditHead { .. } => super::audit::print(reply, true),
            Reply::ImportStaged { .. } => super::import::print(reply, true),
            Reply::Audit { records } => {
                // JSON lines: one entry a line, for tools that stream.
                for r in records {
                    println!("{}", serde_json::to_string(r).context("encoding JSON")?);
                }
                Ok(())
            }
            Reply::AuditVerified {
                entries,
                broken_at,
                why,
            } => json(&serde_json::json!({ "ok": broken_at.is_none(), "entries": entries, "broken_at": broken_at, "why": why })),
            Reply::Links { links } => json(
                &links
                    .iter()
                    .map(|l| serde_json::json!({"slug": l.slug, "url": l.url, "expires_at": l.expires_at, "id": l.id}))
                    .collect::<Vec<_>>(),
            ),
            Reply::BackedUp { path, summary } => json(&serde_json::json!({
                "path": path,
                "entries": summary.entries,
                "bytes": summary.bytes,
                "schema_version": summary.schema_version,
            })),
            Reply::Offboarding {
                started,
                skipped,
                note,
            } => json(&serde_json::json!({ "started": started, "skipped": skipped, "note": note })),
            Reply::Retried { retried, skipped } => {
                json(&serde_json::json!({ "retried": retried, "skipped": skipped }))
            }
            Reply::Health {
                checks,
                skipped,
                alarm,
            } => json(
                &serde_json::json!({ "checks": checks, "not_checked": skipped, "alarm": alarm }),
            ),
        };
    }
    match &inert(reply)? {
        Reply::Tenant(t) => print_tenant(t),
        Reply::Tenants { tenants, .. } => {
            print!("{}", tenant_table(tenants, crate::time::now_ms()));
        }
        Reply::Link(l) => print_link_text(l, qr)?,
        Reply::Status(s) => {
            println!("tenants: {}", s.tenants);
            for (status, n) in &s.by_status {
                println!("  {:16} {n}", status.as_str());
            }
            println!("public URL:   {}", s.public_url);
            println!("redirect URI: {}", s.redirect_uri);
            println!("data dir:     {}", s.data_dir);
            if s.serving {
                println!(
                    "owner:        process {} (serving the listener)",
                    s.owner_pid
                );
            } else {
                println!(
                    "owner:        none running (this command read the database itself; nothing answers consent links until `serve` or the console runs)"
                );
            }
            println!("consent:      {}", s.consent);
            println!("token checks: {}", s.health);
            if s.webhooks > 0 {
                println!(
                    "webhooks:     {} receiver{}, {} event{} waiting",
                    s.webhooks,
                    if s.webhooks == 1 { "" } else { "s" },
                    s.outbox,
                    if s.outbox == 1 { "" } else { "s" }
                );
            }
            println!("provisioner:  {}", s.provisioner);
        }
        Reply::Removed { slug } => println!("removed {slug} with its links and timeline"),
        Reply::Audit { records } => {
            for r in records {
                let who = r
                    .actor
                    .as_ref()
                    .map(|a| {
                        format!(
                            " by uid {}{}",
                            a.uid.map_or("?".into(), |u| u.to_string()),
                            a.user
                                .as_ref()
                                .map(|u| format!(" ({u}, reported)"))
                                .unwrap_or_default()
                        )
                    })
                    .unwrap_or_default();
                println!(
                    "{:>6}  {}  {:7} {}{}{}: {}",
                    r.seq,
                    crate::time::rfc3339(r.at),
                    r.kind,
                    r.what,
                    r.tenant
                        .as_ref()
                        .map(|t| format!(" {t}"))
                        .unwrap_or_default(),
                    who,
                    r.detail
                );
            }
        }
        Reply::AuditVerified {
            entries,
            broken_at,
            why,
        } => match broken_at {
            None => println!("the audit chain holds: {entries} entries, head MAC valid"),
            Some(at) => println!(
                "the audit chain is broken at entry {at}: {}",
                why.as_deref().unwrap_or("")
            ),
        },
        Reply::AuditHead { .. } => super::audit::print(reply, false)?,
        Reply::ImportStaged { .. } => super::import::print(reply, false)?,
        Reply::Findings { findings } => {
            if findings.is_empty() {
                println!("Blaxel and the store agree: no drift");
            }
            for f in findings {
                println!(
                    "{:18} {}/{}{}: {}",
                    f.kind,
                    f.resource,
                    f.name,
                    f.slug
                        .as_ref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default(),
                    f.detail
                );
            }
        }
        Reply::Imported { added } => {
            println!("added {added} tenant{}", if *added == 1 { "" } else { "s" })
        }
        Reply::Links { links } => {
            if links.is_empty() {
                println!("no tenant waits for a first link");
            }
            for l in links {
                println!("{}  {}  expires {}", l.slug, l.url, l.expires_at);
            }
        }
        Reply::WebhookTest { deliveries } => {
            for d in deliveries {
                match (d.status, &d.error) {
                    (Some(s), _) if d.ok() => println!("{}: took it ({s})", d.url),
                    (Some(s), _) => println!("{}: refused it ({s})", d.url),
                    (None, Some(e)) => println!("{}: no answer: {e}", d.url),
                    (None, None) => println!("{}: no answer", d.url),
                }
            }
        }
        Reply::BackedUp { path, summary } => println!(
            "backup written to {path}: {} entries, {} bytes, schema version {} (secrets stay sealed: keep the key apart from it)",
            summary.entries, summary.bytes, summary.schema_version
        ),
        Reply::Offboarding {
            started,
            skipped,
            note,
        } => {
            if let Some(n) = note {
                eprintln!("note: {n}");
            }
            println!(
                "offboarding {} tenant{}: `mcp-onboard tenant show SLUG` follows each step",
                started.len(),
                if started.len() == 1 { "" } else { "s" }
            );
            for s in skipped {
                println!("  not offboarded: {}: {}", s.slug, s.reason);
            }
        }
        Reply::Health {
            checks,
            skipped,
            alarm,
        } => print!("{}", health_text(checks, skipped, alarm.as_ref())),
        Reply::Retried { retried, skipped } => {
            println!(
                "retried {} failed tenant{}",
                retried.len(),
                if retried.len() == 1 { "" } else { "s" }
            );
            for s in skipped {
                println!("  not retried: {}: {}", s.slug, s.reason);
            }
        }
    }
    Ok(())
}

/// Print an issued link, and the ready-to-send message after it when there is one;
/// `warning` goes to stderr (with `--json` both are fields: `warning`, `message`).
pub fn print_link_with(
    l: &LinkView,
    as_json: bool,
    qr: Option<bool>,
    warning: Option<&str>,
    message: Option<&str>,
) -> Result<()> {
    if as_json {
        let mut v = serde_json::to_value(l).context("encoding JSON")?;
        if let Some(o) = v.as_object_mut() {
            if let Some(w) = warning {
                o.insert("warning".into(), w.into());
            }
            if let Some(m) = message {
                o.insert("message".into(), m.into());
            }
        }
        return json(&v);
    }
    if let Some(w) = warning {
        eprintln!("warning: {w}");
    }
    print_link_text(&inert(l)?, qr)?;
    if let Some(m) = message {
        println!();
        println!("{}", crate::text::escape_keeping_lines(m));
    }
    Ok(())
}

fn print_link_text(l: &LinkView, qr: Option<bool>) -> Result<()> {
    if let Some(invert) = qr {
        println!("{}", qr_text(&l.url, invert)?);
    }
    println!("{}", l.url);
    println!("link {} for {} expires {}", l.id, l.slug, l.expires_at);
    Ok(())
}

/// `tenant list`: the table, and on stderr how to get the next page when one was asked for.
pub fn print_list(
    reply: &Reply,
    as_json: bool,
    limit: Option<usize>,
    filtered: bool,
) -> Result<()> {
    let Reply::Tenants { tenants, total } = reply else {
        return print(reply, as_json, None);
    };
    if as_json {
        // An array, as ever: page on with `--after` the last slug until a short page.
        return json(tenants);
    }
    let tenants = &inert(tenants)?;
    if tenants.is_empty() && *total == 0 {
        if filtered {
            println!("no tenant matches");
        } else {
            println!("no tenants: `mcp-onboard tenant add SLUG` adds one");
        }
        return Ok(());
    }
    print!("{}", tenant_table(tenants, crate::time::now_ms()));
    if let (Some(_), Some(last)) = (limit, tenants.last())
        && *total > tenants.len()
    {
        eprintln!(
            "{} shown, {} more; the next page: --after {}",
            tenants.len(),
            total - tenants.len(),
            last.slug
        );
    }
    Ok(())
}

/// `health`: one row per tenant checked, a count by class, and the alarm if raised.
pub fn health_text(
    checks: &[crate::engine::api::HealthCheck],
    skipped: &[crate::engine::api::Skipped],
    alarm: Option<&crate::engine::api::HealthAlarm>,
) -> String {
    let mut out = String::new();
    if let Some(a) = alarm {
        out.push_str(&format!("ALARM since {}: {}\n", a.since, a.reason));
    }
    if checks.is_empty() && skipped.is_empty() {
        out.push_str("no tenant holds a consent: nothing to check\n");
        return out;
    }
    let rows: Vec<[String; 4]> = checks
        .iter()
        .map(|c| {
            [
                c.slug.clone(),
                c.health.as_str().to_owned(),
                c.status.as_str().to_owned(),
                clip(&c.reason, 100),
            ]
        })
        .collect();
    out.push_str(&table(&["SLUG", "HEALTH", "STATUS", "REASON"], &rows));
    let mut counts = std::collections::BTreeMap::new();
    for c in checks {
        *counts.entry(c.health.as_str()).or_insert(0usize) += 1;
    }
    let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    out.push_str(&format!(
        "checked {}: {}\n",
        checks.len(),
        summary.join(", ")
    ));
    out
}

/// `tenant links`: the links with state, expiry and opens; never a code (none is stored).
pub fn print_links(reply: &Reply, as_json: bool) -> Result<()> {
    let Reply::Tenant(t) = reply else {
        return print(reply, as_json, None);
    };
    if as_json {
        return json(&t.links);
    }
    let t = &inert(t)?;
    if t.links.is_empty() {
        println!(
            "no links for {}: `mcp-onboard link {}` issues one",
            t.slug, t.slug
        );
        return Ok(());
    }
    print!("{}", links_table(&t.links));
    Ok(())
}

/// The links as a table, newest first.
pub fn links_table(links: &[crate::engine::api::LinkSummary]) -> String {
    let head = [
        "ID",
        "STATE",
        "CREATED",
        "EXPIRES",
        "OPENS",
        "CONTINUES",
        "LAST OPENED",
    ];
    let rows: Vec<[String; 7]> = links
        .iter()
        .rev()
        .map(|l| {
            [
                l.id.clone(),
                l.state.as_str().to_owned(),
                l.created_at.clone(),
                l.expires_at.clone(),
                l.open_count.to_string(),
                l.continue_count.to_string(),
                l.opened_at.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    table(&head, &rows)
}

/// Left-aligned columns three spaces apart; the last column is not padded.
fn table<const N: usize>(head: &[&str; N], rows: &[[String; N]]) -> String {
    let mut width = head.map(|h| h.chars().count());
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: [&str; N]| {
        let mut out = String::new();
        for (i, (c, w)) in cells.iter().zip(width).enumerate() {
            out.push_str(c);
            if i + 1 < N {
                out.push_str(&" ".repeat(w - c.chars().count() + 3));
            }
        }
        out.push('\n');
        out
    };
    let mut out = line(*head);
    for r in rows {
        out.push_str(&line(std::array::from_fn(|i| r[i].as_str())));
    }
    out
}

const NAME_MAX: usize = 24;
const ACCOUNT_MAX: usize = 32;
const REASON_MAX: usize = 48;

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

/// How long ago, in the largest unit: `12s`, `5m`, `3h`, `2d`.
pub fn age(now: crate::time::Millis, then: crate::time::Millis) -> String {
    let s = ((now - then) / 1000).max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3_600 => format!("{}m", s / 60),
        3_600..86_400 => format!("{}h", s / 3_600),
        _ => format!("{}d", s / 86_400),
    }
}

/// The tenants as a table with a header row and fixed columns, as `kubectl get` prints.
pub fn tenant_table(
    tenants: &[crate::engine::api::TenantSummary],
    now: crate::time::Millis,
) -> String {
    let rows: Vec<[String; 6]> = tenants
        .iter()
        .map(|t| {
            let account = t
                .google_email
                .clone()
                .unwrap_or_else(|| match &t.expected_account {
                    Some(crate::domain::model::ExpectedAccount::Email(e)) => format!("({e})"),
                    Some(crate::domain::model::ExpectedAccount::Domain(d)) => format!("(*@{d})"),
                    None => "-".into(),
                });
            [
                t.slug.clone(),
                clip(&t.display_name, NAME_MAX),
                t.status.as_str().to_owned(),
                clip(&account, ACCOUNT_MAX),
                clip(t.reason.as_deref().unwrap_or("-"), REASON_MAX),
                age(now, t.updated_ms),
            ]
        })
        .collect();
    table(
        &["SLUG", "NAME", "STATUS", "ACCOUNT", "REASON", "LAST CHANGE"],
        &rows,
    )
}

fn print_tenant(t: &TenantView) {
    println!("{} ({})", t.slug, t.display_name);
    println!("  status:   {}", t.status);
    if let Some(r) = &t.reason {
        println!("  reason:   {r}");
    }
    if let Some(e) = &t.google_email {
        println!("  google:   {e}");
    }
    if let Some(p) = &t.pending_consent {
        println!(
            "  waiting:  a consent by {} (since {}) instead of the account above: `mcp-onboard approve {}` or `mcp-onboard reject {}`",
            p.account, p.at, t.slug, t.slug
        );
    }
    if let Some(c) = &t.contact {
        println!("  contact:  {c}");
    }
    if let Some(u) = &t.return_url {
        println!("  returns:  {u}");
    }
    println!("  scopes:   {}", t.requested_scopes.join(" "));
    if let Some(url) = &t.mcp_url {
        println!("  MCP URL:  {url}");
    }
    if let Some(p) = &t.provisioning {
        println!(
            "  blaxel:   connection {}, MCP server {}",
            p.connection_name, p.function_name
        );
        println!(
            "            step {}, attempts {}",
            p.step.as_str(),
            p.attempts
        );
        if let (Some(s), Some(at)) = (&p.blaxel_status, &p.blaxel_status_at) {
            println!("            last Blaxel status {s} (read {at})");
        }
        if let Some(next) = &p.next_retry_at {
            println!("            next try {next}");
        }
        if let Some(e) = &p.last_error {
            println!("            last error: {e}");
        }
    }
    if let Some(tok) = &t.token {
        match (&tok.health, &tok.checked_at) {
            (Some(h), Some(at)) => println!("  token:    {h} (checked {at})"),
            _ => println!(
                "  token:    not checked yet (`mcp-onboard health {}`)",
                t.slug
            ),
        }
        if let Some(r) = tok
            .reason
            .as_ref()
            .filter(|_| tok.health != Some(crate::domain::health::Health::Healthy))
        {
            println!("            {r}");
        }
        if tok.inconclusive_in_a_row > 0 {
            println!(
                "            {} inconclusive check(s) since",
                tok.inconclusive_in_a_row
            );
        }
        if let Some(at) = &tok.testing_expires_at {
            println!(
                "            the app is in Testing: Google ends this token at {at} (7 days after consent)"
            );
        }
        let n = tok.account_tokens_issued;
        if n > 1 {
            println!(
                "            {n} refresh tokens issued to us by this Google account (Google keeps at most {}; the oldest stop working beyond)",
                crate::domain::health::TOKENS_PER_ACCOUNT
            );
        }
    }
    for l in &t.links {
        println!(
            "  link {}: {} (expires {}, opened {}x)",
            l.id,
            l.state.as_str(),
            l.expires_at,
            l.open_count
        );
    }
    println!("  timeline:");
    for e in &t.events {
        println!("    {}  {}", e.at, e.detail);
    }
}

/// What provisioning would use, resolved offline (the Blaxel CLI config is read, no call is
/// made), or what is missing.
fn blaxel_check(ctx: &Context) -> Result<String, String> {
    if ctx.demo {
        return Ok("the built-in Blaxel stand-in (demo)".into());
    }
    let cfg = &ctx.config.blaxel;
    crate::blaxel::resolve_credentials(cfg.workspace.clone(), cfg.api_key.clone(), None)
        .map(|c| {
            let from = match &c.key_source {
                crate::blaxel::KeySource::Given => "BL_API_KEY or the config file".to_owned(),
                crate::blaxel::KeySource::BlaxelConfig(p) => p.display().to_string(),
            };
            format!(
                "workspace {} at {}, API key from {from}",
                c.workspace, cfg.api_url
            )
        })
        .map_err(|e| e.to_string())
}

pub fn config_check(ctx: &Context, as_json: bool) -> Result<()> {
    let cfg = &ctx.config;
    let google = cfg
        .google_credentials()
        .map(|c| format!("{} (secret set)", c.client_id))
        .map_err(|e| e.to_string());
    let blaxel = blaxel_check(ctx);
    let problems: Vec<&String> = [google.as_ref().err(), blaxel.as_ref().err()]
        .into_iter()
        .flatten()
        .collect();
    if as_json {
        json(&serde_json::json!({
            "ok": problems.is_empty(),
            "config_file": cfg.file.as_ref().map(|p| p.display().to_string()),
            "data_dir": ctx.data_dir.display().to_string(),
            "database_exists": crate::store::exists(&ctx.data_dir),
            "bind": cfg.listener.bind.to_string(),
            "public_url": cfg.listener.public_url.to_string(),
            "redirect_uri": cfg.redirect_uri().to_string(),
            "google": google.as_ref().map(|_| "ok").unwrap_or_else(|e| e.as_str()),
            "blaxel": blaxel.as_ref().unwrap_or_else(|e| e),
        }))?;
    } else {
        println!(
            "config file:  {}",
            cfg.file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "(none; defaults and environment)".into())
        );
        println!("data dir:     {}", ctx.data_dir.display());
        if !crate::store::exists(&ctx.data_dir) {
            println!(
                "database:     none yet (`mcp-onboard serve` or the console creates it, with its key)"
            );
        }
        println!(
            "listener:     {} -> {}",
            cfg.listener.bind, cfg.listener.public_url
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
    }
    if problems.is_empty() {
        Ok(())
    } else {
        anyhow::bail!(
            "configuration incomplete: {}",
            problems
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{ExpectedAccount, TenantStatus};
    use crate::engine::api::TenantSummary;

    fn row(slug: &str, name: &str, status: TenantStatus, ago_s: i64) -> TenantSummary {
        TenantSummary {
            slug: slug.into(),
            display_name: name.into(),
            status,
            failure: None,
            reason: None,
            google_email: None,
            expected_account: None,
            step: None,
            blaxel_status: None,
            mcp_url: None,
            updated_at: String::new(),
            updated_ms: 1_000_000_000 - ago_s * 1000,
        }
    }

    #[test]
    fn the_tenant_table_has_a_header_aligned_columns_and_clipped_long_cells() {
        let now = 1_000_000_000;
        let mut deployed = row("acme", "Acme Corporation", TenantStatus::Deployed, 42);
        deployed.google_email = Some("ops@acme.example".into());
        let mut failed = row(
            "globex-europe",
            "Globex Europe Holdings International Limited",
            TenantStatus::Failed,
            3 * 3600 + 5,
        );
        failed.reason = Some(
            "Blaxel refused the integration connection: the workspace quota is exhausted".into(),
        );
        failed.expected_account = Some(ExpectedAccount::Domain("globex.example".into()));
        let mut linked = row("initech", "Initech", TenantStatus::LinkIssued, 9 * 60);
        linked.expected_account = Some(ExpectedAccount::Email("bill@initech.example".into()));
        let old = row("umbrella", "Umbrella", TenantStatus::Created, 3 * 86_400);
        let table = tenant_table(&[deployed, failed, linked, old], now);
        insta::assert_snapshot!(table);
        let widths: Vec<usize> = table
            .lines()
            .map(|l| l.find("STATUS").or_else(|| l.find("deployed")).unwrap_or(0))
            .take(2)
            .collect();
        assert_eq!(widths[0], widths[1], "the STATUS column lines up");
        assert!(table.contains("Globex Europe Holdings …"), "{table}");
    }

    #[test]
    fn age_uses_the_largest_whole_unit() {
        assert_eq!(age(100_000, 100_000), "0s");
        assert_eq!(age(159_000, 100_000), "59s");
        assert_eq!(age(160_000, 100_000), "1m");
        assert_eq!(age(100_000 + 3_600_000, 100_000), "1h");
        assert_eq!(age(100_000 + 86_400_000 * 2, 100_000), "2d");
        // A clock that went back is not a negative age.
        assert_eq!(age(100_000, 200_000), "0s");
    }
}
