//! Replies for scripts (`--json`): printed as they are (serde escapes control characters
//! itself), most as one pretty JSON value, the audit chain as JSON lines.

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::engine::Reply;

/// Print `v` as pretty JSON.
pub fn json<T: Serialize>(v: &T) -> Result<()> {
    println!(
        "{}",
        serde_json::to_string_pretty(v).context("encoding JSON")?
    );
    Ok(())
}

/// Print a reply for scripts.
pub fn reply(reply: &Reply) -> Result<()> {
    match reply {
        Reply::Tenant(t) => json(t),
        Reply::Tenants { tenants, .. } => json(tenants),
        Reply::Link(l) => json(l),
        Reply::Status(s) => json(s),
        Reply::Online { lines } => json(lines),
        Reply::Removed { slug } => json(&serde_json::json!({ "removed": slug })),
        Reply::MailRecorded { slug, accepted } => {
            json(&serde_json::json!({ "slug": slug, "accepted": accepted }))
        }
        Reply::WebhookTest { deliveries } => json(deliveries),
        Reply::RiscVerified { seen } => json(&serde_json::json!({ "verified": seen })),
        Reply::Imported { added } => json(&serde_json::json!({ "added": added })),
        Reply::Findings { findings } => json(&serde_json::json!({ "findings": findings })),
        Reply::AuditHead { anchor, at } => {
            let v = serde_json::json!({ "seq": anchor.seq, "hash": anchor.hash, "at": at });
            println!("{v}");
            Ok(())
        }
        Reply::ImportStaged { import, staged, .. } => {
            println!(
                "{}",
                serde_json::json!({ "import": import, "staged": staged })
            );
            Ok(())
        }
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
            anchors_checked,
        } => json(&serde_json::json!({ "ok": broken_at.is_none(), "entries": entries, "broken_at": broken_at, "why": why, "anchors_checked": anchors_checked })),
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
            mcp,
        } => json(&serde_json::json!({
            "checks": checks, "not_checked": skipped, "alarm": alarm, "mcp": mcp
        })),
    }
}
