//! `status` for people: counts by state, where the listener answers, and how the owner,
//! consent, token checks, webhooks and provisioner stand; the database and its nodes.

use crate::engine::api::StatusView;

/// `status`: one fact a line.
pub fn status(s: &StatusView) {
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
    // An owner of an older release says nothing of the nodes.
    if !s.cluster.database.is_empty() {
        for line in s.cluster.describe() {
            println!("{line}");
        }
    }
}
