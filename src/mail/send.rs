//! Mailing issued links, one or many: each to its tenant's address, within the sending
//! limit, a few at a time, each outcome recorded on its tenant through the engine
//! (`RecordMail`). A tenant without an address is named, never skipped in silence. When
//! the relay cannot be reached several mails in a row, the rest are not tried (each named
//! as not sent): their links stay issued and are given back to print.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use futures_util::StreamExt as _;

use super::addressee::Addressee;
use super::compose::{Sender, letter};
use super::deliver::{Delivery, deliver};
use super::mailer::Mailer;
use crate::domain::link_mail::MailOutcome;
use crate::engine::EngineApi;
use crate::engine::api::{Command, LinkView};

/// Mails handed to the relay at once.
const AT_ONCE: usize = 4;
/// Mails in a row that found the relay hopeless (not reached, or refusing our login)
/// before the rest are left unsent.
const HOPELESS_IN_A_ROW: u32 = 5;

/// What became of one tenant's link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sending {
    /// Handed to the relay, with its answer (accepted or refused).
    Sent(Delivery),
    /// Not tried, and why (no address, a bad one, the relay gone).
    NotSent(String),
}

/// One tenant's link and what became of it.
#[derive(Debug, Clone)]
pub struct MailReport {
    pub slug: String,
    pub to: Option<String>,
    pub link: LinkView,
    pub sending: Sending,
    /// The outcome could not be recorded on the tenant (the mail went all the same).
    pub unrecorded: Option<String>,
}

impl MailReport {
    pub fn accepted(&self) -> bool {
        matches!(
            &self.sending,
            Sending::Sent(Delivery {
                outcome: MailOutcome::Accepted { .. },
                ..
            })
        )
    }
}

/// Mail each link to its tenant; `progress` is told after each (done, total). The
/// reports come back in the order given.
pub async fn send_links(
    api: &dyn EngineApi,
    mailer: &Mailer,
    links: Vec<(Addressee, LinkView)>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<MailReport> {
    let tasks = links.into_iter().map(|(who, l)| (who, Some(l))).collect();
    run(api, mailer, tasks, 0, progress)
        .await
        .into_iter()
        .filter_map(|d| match d {
            Done::Report(r) => Some(*r),
            Done::NotIssued(..) => None,
        })
        .collect()
}

/// What became of one tenant of a batch.
enum Done {
    Report(Box<MailReport>),
    /// No link was issued (slug, why).
    NotIssued(String, String),
}

/// Each tenant's link (issued just before its mail when `None`, with a lifetime of
/// `ttl_secs`: a batch cut short leaves no more than [`AT_ONCE`] links issued and not
/// mailed, and none once the batch gave up), mailed a few at a time; in the order given.
async fn run(
    api: &dyn EngineApi,
    mailer: &Mailer,
    tasks: Vec<(Addressee, Option<LinkView>)>,
    ttl_secs: u64,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<Done> {
    let total = tasks.len();
    let done = AtomicU32::new(0);
    let hopeless = Arc::new(AtomicU32::new(0));
    let gave_up = Arc::new(AtomicBool::new(false));
    let mut all: Vec<(usize, Done)> = futures_util::stream::iter(tasks.into_iter().enumerate())
        .map(|(i, (who, link))| {
            let (hopeless, gave_up, done) = (hopeless.clone(), gave_up.clone(), &done);
            async move {
                let link = match link {
                    Some(l) => Ok(l),
                    None if gave_up.load(Ordering::SeqCst) => Err(format!(
                        "not issued: the relay {} was not reached, or refused our login, {HOPELESS_IN_A_ROW} times in a row",
                        mailer.relay()
                    )),
                    None => issue(api, &who.slug, ttl_secs).await,
                };
                let outcome = match link {
                    Ok(link) => {
                        let report = send_one(api, mailer, who, link, &gave_up).await;
                        if let Sending::Sent(d) = &report.sending {
                            if d.hopeless() {
                                if hopeless.fetch_add(1, Ordering::SeqCst) + 1 >= HOPELESS_IN_A_ROW
                                {
                                    gave_up.store(true, Ordering::SeqCst);
                                }
                            } else {
                                hopeless.store(0, Ordering::SeqCst);
                            }
                        }
                        Done::Report(Box::new(report))
                    }
                    Err(why) => Done::NotIssued(who.slug, why),
                };
                let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                progress(n as usize, total);
                (i, outcome)
            }
        })
        .buffer_unordered(AT_ONCE)
        .collect()
        .await;
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, d)| d).collect()
}

/// A new link for `slug`, or why none was issued.
async fn issue(api: &dyn EngineApi, slug: &str, ttl_secs: u64) -> Result<LinkView, String> {
    let command = Command::IssueLink {
        slug: slug.to_owned(),
        ttl_secs,
        replace: false,
        integration: None,
    };
    match api.call(command).await {
        Ok(crate::engine::api::Reply::Link(link)) => Ok(link),
        Ok(_) => Err("the owner answered with no link".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// Mail one link (unless the batch gave up) and record what the relay said.
async fn send_one(
    api: &dyn EngineApi,
    mailer: &Mailer,
    who: Addressee,
    link: LinkView,
    gave_up: &AtomicBool,
) -> MailReport {
    let mut report = MailReport {
        slug: who.slug.clone(),
        to: who.to.clone(),
        link,
        sending: Sending::NotSent(String::new()),
        unrecorded: None,
    };
    let Some(to) = who.to.clone() else {
        report.sending = Sending::NotSent(super::addressee::no_address(&who.slug));
        return report;
    };
    let to = match crate::domain::mail_address::recipient(&to) {
        Ok(to) => to,
        Err(why) => {
            report.sending = Sending::NotSent(format!("{}: {why}", who.slug));
            return report;
        }
    };
    if gave_up.load(Ordering::SeqCst) {
        report.sending = Sending::NotSent(format!(
            "not tried: the relay {} was not reached, or refused our login, {HOPELESS_IN_A_ROW} times in a row",
            mailer.relay()
        ));
        return report;
    }
    let sender = Sender {
        from: &mailer.from,
        reply_to: mailer.reply_to.as_ref(),
        brand: &mailer.brand,
        templates: &mailer.templates,
    };
    let message = match letter(&sender, &who, &to, &report.link) {
        Ok(m) => m,
        Err(e) => {
            report.sending = Sending::NotSent(e.to_string());
            return report;
        }
    };
    let code = report
        .link
        .url
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let delivery = deliver(mailer, &message, &[report.link.url.as_str(), code.as_str()]).await;
    match &delivery.outcome {
        MailOutcome::Accepted { queue_id } => tracing::info!(
            tenant = %who.slug, link = %report.link.id, queue_id = ?queue_id,
            attempts = delivery.attempts, "consent link mailed"
        ),
        MailOutcome::Refused { code, reply, .. } => tracing::warn!(
            tenant = %who.slug, link = %report.link.id, code = ?code, %reply,
            attempts = delivery.attempts, "consent link not mailed"
        ),
    }
    let record = Command::RecordMail {
        slug: who.slug.clone(),
        to: to.clone(),
        link_id: report.link.id.clone(),
        attempts: delivery.attempts,
        outcome: delivery.outcome.clone(),
    };
    if let Err(e) = api.call(record).await {
        report.unrecorded = Some(e.to_string());
    }
    report.to = Some(to);
    report.sending = Sending::Sent(delivery);
    report
}

/// Issue a link to each tenant (a lifetime of `ttl_secs`) and mail it, each link issued
/// just before its mail; a tenant without an address gets no link (it is named instead),
/// and one whose link the engine refuses is named with why. `progress` as in
/// [`send_links`], over the tenants with an address.
pub async fn issue_and_send(
    api: &dyn EngineApi,
    mailer: &Mailer,
    tenants: Vec<Addressee>,
    ttl_secs: u64,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> (Vec<MailReport>, Vec<(String, String)>) {
    let mut not_issued = Vec::new();
    let mut tasks = Vec::new();
    for who in tenants {
        if who.to.is_none() {
            not_issued.push((who.slug.clone(), super::addressee::no_address(&who.slug)));
        } else {
            tasks.push((who, None));
        }
    }
    let mut reports = Vec::new();
    for d in run(api, mailer, tasks, ttl_secs, progress).await {
        match d {
            Done::Report(r) => reports.push(*r),
            Done::NotIssued(slug, why) => not_issued.push((slug, why)),
        }
    }
    (reports, not_issued)
}
