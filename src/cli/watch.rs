//! `watch`: stream the running owner's events until interrupted, as text lines or (with
//! `--json`) one JSON object per line. Needs a running owner: events live in its process.

use anyhow::{Result, bail};
use clap::Args;
use serde_json::json;

use super::instance::Instance;
use crate::engine::{Event, EventBody, Item};

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// First replay the stored timeline entries after this sequence number.
    #[arg(long, value_name = "SEQ")]
    pub since: Option<u64>,
}

/// One event as a JSON line: `seq`, `kind`, `slug` and `status` where there are some, then
/// the rest of what the event carries.
pub fn json_line(e: &Event) -> serde_json::Value {
    let mut v = serde_json::to_value(e).unwrap_or_else(|_| json!({}));
    if let (Some(obj), Some(slug)) = (v.as_object_mut(), e.slug()) {
        obj.insert("slug".into(), json!(slug));
    }
    v
}

pub fn text_line(e: &Event) -> String {
    match &e.body {
        EventBody::TenantChanged {
            slug,
            status,
            summary,
            entry,
        } => {
            let failure = summary.as_ref().and_then(|s| s.failure);
            let status = super::output::status_text(*status, failure);
            match entry {
                Some(en) => format!(
                    "{:>8}  {}  {slug:16} {status:16} {}",
                    e.seq, en.at, en.detail
                ),
                None => format!("{:>8}  {slug:16} {status}", e.seq),
            }
        }
        EventBody::TenantRemoved { slug } => format!("{:>8}  {slug:16} removed", e.seq),
        EventBody::LinkChanged { slug, link } => format!(
            "{:>8}  {slug:16} link {} {} (opened {}x, continued {}x)",
            e.seq,
            link.id,
            link.state.as_str(),
            link.open_count,
            link.continue_count
        ),
        EventBody::ProvisionerChanged { provisioner } => {
            format!("{:>8}  provisioner {}", e.seq, provisioner.describe())
        }
    }
}

pub async fn run(instance: &Instance, w: &WatchArgs, as_json: bool) -> Result<()> {
    let Some(client) = instance.connect_owner().await? else {
        super::first_run::require_database(instance).await?;
        bail!(
            "no owner is running on {} (nothing to watch): start `mcp-onboard serve` or the console first",
            instance.data_dir.display()
        );
    };
    let mut events = client.subscribe(w.since).await?;
    let stop = super::serve::shutdown_signal();
    tokio::pin!(stop);
    loop {
        let item = tokio::select! {
            i = events.recv() => i,
            () = &mut stop => return Ok(()),
        };
        let Some(item) = item else {
            bail!("the owner stopped");
        };
        match item {
            Item::Event(e) if as_json => println!("{}", json_line(&e)),
            Item::Event(e) => println!("{}", text_line(&super::inert::inert(&*e)?)),
            Item::Lagged { missed } if as_json => {
                println!("{}", json!({"kind": "lagged", "missed": missed}))
            }
            Item::Lagged { missed } => {
                println!(
                    "(fell behind: {missed} events missed; `mcp-onboard status` shows the state now)"
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{FailureKind, TenantStatus};

    /// `watch` is the CLI's third text face of a tenant's status: a customer's Deny reads
    /// `declined` in the console, `tenant list` and `tenant show`, but `failed` here.
    #[test]
    fn watch_says_declined_like_list_and_show() {
        let mut summary = crate::engine::api::fixtures::summary("acme", "Acme Ltd");
        summary.status = TenantStatus::Failed;
        summary.failure = Some(FailureKind::ConsentDenied);
        let e = Event {
            seq: 7,
            body: EventBody::TenantChanged {
                slug: "acme".into(),
                status: TenantStatus::Failed,
                summary: Some(summary),
                entry: None,
            },
        };
        let line = text_line(&e);
        assert!(line.contains("failed (declined)"), "{line}");
        // JSON unchanged: the stored status, and the failure in the summary.
        let v = json_line(&e);
        assert_eq!(v["status"], "failed", "{v}");
    }
}
