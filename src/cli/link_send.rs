//! `link --send`: a link mailed to its tenant through the relay (`[mail]`), by this
//! process, with the outcome recorded on the tenant; `link --all-new --send`: every new
//! link mailed within the sending limit, with a progress bar and a summary naming each
//! tenant not mailed (its link printed, so it is not lost).

use anyhow::{Context as _, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal as _;

use super::instance::Instance;
use crate::engine::api::{Command, LinkView, ListQuery, Reply};
use crate::mail::{Addressee, MailReport, Mailer, Sending, send_links};

/// The mailer of this process's `[mail]`, its relay accepting our login, or why not:
/// before any link is issued (a link that cannot be mailed is not issued).
pub async fn mailer(instance: &Instance) -> Result<Mailer> {
    let templates = tokio::task::spawn_blocking(crate::message::configured_template)
        .await
        .context("reading the message templates")?;
    let mailer = Mailer::new(&instance.config, templates).context("cannot mail the link")?;
    let bound = crate::mail::SEND_TIMEOUT;
    match tokio::time::timeout(bound, mailer.check_login()).await {
        Ok(Ok(())) => Ok(mailer),
        Ok(Err(e)) => bail!(
            "the relay {} does not take us: {e}; no link was issued (`mcp-onboard config check --online` checks it)",
            mailer.relay()
        ),
        Err(_) => bail!(
            "the relay {} did not answer within {} s; no link was issued",
            mailer.relay(),
            bound.as_secs()
        ),
    }
}

/// Mail one link just issued to `who`.
pub async fn send_one(
    instance: &Instance,
    mailer: &Mailer,
    who: Addressee,
    link: LinkView,
) -> Result<MailReport> {
    let conn = instance.connect().await?;
    let mut reports = send_links(conn.api().as_ref(), mailer, vec![(who, link)], &|_, _| {}).await;
    closed(conn).await;
    reports.pop().context("nothing was mailed")
}

/// The tenant `slug` as its mail needs it; refused (nothing issued) without an address.
pub async fn addressee(instance: &Instance, slug: &str) -> Result<Addressee> {
    let reply = instance
        .execute(Command::ShowTenant {
            slug: slug.to_owned(),
        })
        .await?;
    let Reply::Tenant(t) = reply else {
        bail!("the owner answered with something else than the tenant");
    };
    let who = Addressee::of_view(&t);
    if who.to.is_none() {
        bail!(
            "tenant {}; no link was issued",
            crate::mail::no_address(slug)
        );
    }
    Ok(who)
}

/// Mail every link of `links` (just issued by `--all-new`, for `only` that integration
/// when given), with a progress bar on a terminal; the reports in the order given.
pub async fn send_all(
    instance: &Instance,
    mailer: &Mailer,
    links: Vec<LinkView>,
    only: Option<crate::domain::integration::Integration>,
    as_json: bool,
) -> Result<Vec<MailReport>> {
    let conn = instance.connect().await?;
    let api = conn.api();
    let all = api
        .call(Command::ListTenants {
            query: ListQuery::default(),
        })
        .await?;
    let Reply::Tenants { tenants, .. } = all else {
        bail!("the owner answered with something else than the tenants");
    };
    let by_slug: std::collections::HashMap<&str, &crate::engine::api::TenantSummary> =
        tenants.iter().map(|t| (t.slug.as_str(), t)).collect();
    let pairs: Vec<(Addressee, LinkView)> = links
        .into_iter()
        .map(|l| {
            let who = by_slug.get(l.slug.as_str()).map_or_else(
                || Addressee {
                    slug: l.slug.clone(),
                    name: l.slug.clone(),
                    to: None,
                    integration: Default::default(),
                    expected: None,
                    lang: None,
                },
                |t| Addressee::of_summary(t),
            );
            let integration = only.unwrap_or(who.integration);
            (Addressee { integration, ..who }, l)
        })
        .collect();
    let bar = progress_bar(pairs.len(), as_json);
    let reports = send_links(api.as_ref(), mailer, pairs, &|done, _| {
        bar.set_position(done as u64)
    })
    .await;
    bar.finish_and_clear();
    drop(api);
    closed(conn).await;
    Ok(reports)
}

/// Close the connection; the mails went, so a failure to close is only a warning.
async fn closed(conn: super::instance::Connection) {
    if let Err(e) = conn.close().await {
        eprintln!("warning: {e:#}");
    }
}

/// A bar on stderr when it is a terminal (and the output is not JSON), else nothing.
fn progress_bar(total: usize, as_json: bool) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    if as_json || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
        return bar;
    }
    bar.set_draw_target(ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("mailing links {bar:30} {pos}/{len} ({per_sec}, {eta} left)")
    {
        bar.set_style(style);
    }
    bar
}

/// One line saying what became of a link's mail.
pub fn said(r: &MailReport) -> String {
    use crate::domain::link_mail::MailOutcome;
    let to = r.to.as_deref().unwrap_or("nobody");
    match &r.sending {
        Sending::Sent(d) => match &d.outcome {
            MailOutcome::Accepted { queue_id } => format!(
                "mailed to {to}{}",
                queue_id
                    .as_deref()
                    .map(|q| format!(" (the relay queued it as {q})"))
                    .unwrap_or_default()
            ),
            MailOutcome::Refused {
                reply, permanent, ..
            } => {
                let how = if *permanent {
                    "refused"
                } else {
                    "not taken for now"
                };
                format!("not mailed to {to}: {how}: {reply}")
            }
        },
        Sending::NotSent(why) => format!("not mailed: {why}"),
    }
}

/// The reports for scripts: each link (`full`: as `link --json` gives it, else as
/// `link --all-new --json` does) with what became of its mail.
pub fn json(reports: &[MailReport], full: bool) -> serde_json::Value {
    let one = |r: &MailReport| {
        let mail = match &r.sending {
            Sending::Sent(d) => {
                let mut v = serde_json::to_value(&d.outcome).unwrap_or_default();
                v["to"] = serde_json::json!(r.to);
                v["attempts"] = serde_json::json!(d.attempts);
                v["accepted"] = serde_json::json!(r.accepted());
                v
            }
            Sending::NotSent(why) => serde_json::json!({
                "outcome": "not_sent", "accepted": false, "to": r.to, "not_sent": why,
            }),
        };
        let mut v = if full {
            serde_json::to_value(&r.link).unwrap_or_default()
        } else {
            serde_json::json!({
                "slug": r.slug, "url": r.link.url, "id": r.link.id, "expires_at": r.link.expires_at,
            })
        };
        v["mail"] = mail;
        if let Some(e) = &r.unrecorded {
            v["unrecorded"] = serde_json::json!(e);
        }
        v
    };
    serde_json::Value::Array(reports.iter().map(one).collect())
}

/// The summary of a batch, for people: how many were mailed, and each not mailed, named,
/// with its link.
pub fn summary(reports: &[MailReport]) -> String {
    let mailed = reports.iter().filter(|r| r.accepted()).count();
    let mut out = format!(
        "mailed {mailed} of {} link{}",
        reports.len(),
        if reports.len() == 1 { "" } else { "s" }
    );
    let not: Vec<&MailReport> = reports.iter().filter(|r| !r.accepted()).collect();
    if !not.is_empty() {
        out.push_str(&format!(
            "; {} not mailed (each link still works: hand it over another way, or mail a new one with `mcp-onboard link SLUG --send --replace`, which withdraws it):",
            not.len()
        ));
        for r in not {
            out.push_str(&format!("\n  {}: {}\n    {}", r.slug, said(r), r.link.url));
        }
    }
    for r in reports.iter().filter(|r| r.unrecorded.is_some()) {
        out.push_str(&format!(
            "\nwarning: the mail to {} was not recorded on its timeline: {}",
            r.slug,
            r.unrecorded.as_deref().unwrap_or_default()
        ));
    }
    out
}
