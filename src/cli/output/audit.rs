//! The audit chain for people: its entries with who did what, whether it holds, and its
//! head (the anchor to keep outside the machine).

use crate::domain::anchor::AuditAnchor;
use crate::domain::audit::AuditRecord;

/// `audit`: one entry a line.
pub fn records(records: &[AuditRecord]) {
    for r in records {
        let who = r
            .actor
            .as_ref()
            .map(|a| {
                format!(
                    " by uid {}{}",
                    a.uid.map_or("?".into(), |u| u.to_string()),
                    a.claimed
                        .user
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

/// `audit verify`: whether the chain holds, or where it breaks.
pub fn verified(entries: u64, broken_at: Option<u64>, why: Option<&str>) {
    match broken_at {
        None => println!("the audit chain holds: {entries} entries, head MAC valid"),
        Some(at) => println!(
            "the audit chain is broken at entry {at}: {}",
            why.unwrap_or("")
        ),
    }
}

/// `audit head`: the anchor, and how to use it.
pub fn head(anchor: &AuditAnchor, at: &str) {
    println!(
        "audit chain head: {anchor} (entry {}, written {at})\nkeep it outside this machine; later, `mcp-onboard audit verify --expect {anchor}` proves the chain still extends it",
        anchor.seq
    );
}
