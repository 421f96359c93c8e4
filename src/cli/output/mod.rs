//! Printing replies for people (aligned text, QR code) or scripts (`--json`). What is
//! printed for a person goes through [`inert`] first. This module prints what operations
//! answer (drift findings, offboarding and retries started, webhook tests, imports,
//! backups); its parts print the rest: `tenant` (one tenant), `tables` (tenants, links,
//! token checks), `link` (links, QR codes, the message), `status`, `audit`, and `json`
//! (everything for scripts); `status_word` says a tenant's status as people read it.

mod audit;
mod google_help;
mod grid;
mod held;
mod json;
mod link;
mod mcp_text;
mod status;
mod status_word;
mod tables;
mod tenant;

use anyhow::Result;

use super::inert::inert;
use crate::engine::Reply;

pub use json::json;
pub use link::{print_link_with, write_qr_files};
pub use status_word::status_text;
pub use tables::{links_table, tenant_table};

/// Print a reply; `qr`: draw a link as a QR code too (`Some(invert)`).
pub fn print(reply: &Reply, as_json: bool, qr: Option<bool>) -> Result<()> {
    if as_json {
        return json::reply(reply);
    }
    match &inert(reply)? {
        Reply::Tenant(t) => tenant::tenant(t),
        Reply::Tenants { tenants, .. } => {
            print!("{}", tables::tenant_table(tenants, crate::time::now_ms()));
        }
        Reply::Link(l) => link::link(l, qr)?,
        Reply::Status(s) => status::status(s),
        Reply::Online { lines } => crate::cli::config_online::print(lines),
        Reply::Removed { slug } => println!("removed {slug} with its links and timeline"),
        Reply::MailRecorded { slug, accepted } => println!(
            "recorded the mail to {slug}: {}",
            if *accepted { "accepted" } else { "refused" }
        ),
        Reply::Audit { records } => audit::records(records),
        Reply::AuditVerified {
            entries,
            broken_at,
            why,
            ..
        } => audit::verified(*entries, *broken_at, why.as_deref()),
        Reply::AuditHead { anchor, at } => audit::head(anchor, at),
        Reply::ImportStaged { import, staged, .. } => {
            println!("{staged} rows staged under import {import} (none added yet)")
        }
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
        Reply::Links { links } => link::issued(links),
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
        Reply::RiscVerified { seen } => println!(
            "{}",
            if *seen {
                "Google's verification event arrived"
            } else {
                "no verification event yet"
            }
        ),
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
            not_done("offboarded", skipped);
        }
        Reply::Health {
            checks,
            skipped,
            alarm,
            mcp,
        } => print!(
            "{}{}",
            tables::health_text(checks, skipped, alarm.as_ref()),
            mcp_text::mcp_checks_text(mcp)
        ),
        Reply::Retried { retried, skipped } => {
            println!(
                "retried {} failed tenant{}",
                retried.len(),
                if retried.len() == 1 { "" } else { "s" }
            );
            not_done("retried", skipped);
        }
    }
    Ok(())
}

/// The tenants an operation left alone, and why: `  not retried: acme: ...`.
fn not_done(what: &str, skipped: &[crate::engine::api::Skipped]) {
    for s in skipped {
        println!("  not {what}: {}: {}", s.slug, s.reason);
    }
}
