//! One tenant for people (`tenant show`): what it is, where its provisioning and token
//! stand, its links, and its timeline.

use crate::engine::api::TenantView;

/// `tenant show`: the tenant, its provisioning, token and links, and its timeline.
pub fn tenant(t: &TenantView) {
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
