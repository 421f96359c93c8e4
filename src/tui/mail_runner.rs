//! The runner's side of a mailing: off the loop, through the console's relay, each call to
//! the engine going to the engine the console talks to at that moment (a mailing outlives
//! a reconnect to the next owner); its progress and its end come back as messages.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::handle::{Current, Shared};
use super::model::{MailJob, Msg};
use crate::mail::{MailError, MailReport, Mailer};

/// Start mailing `job` in a task of its own; its messages carry `id`.
pub fn spawn(
    api: &Shared,
    mailer: Option<&Arc<Mailer>>,
    job: MailJob,
    id: u64,
    tx: &mpsc::UnboundedSender<Msg>,
) {
    let (api, tx) = (Current(api.clone()), tx.clone());
    let mailer = mailer.cloned();
    tokio::spawn(async move {
        let (reports, not_issued) = mail(&api, mailer.as_deref(), job, id, &tx).await;
        let _ = tx.send(Msg::Mailed {
            id,
            reports,
            not_issued,
        });
    });
}

/// Run a mailing, telling the loop its progress; without a relay (the keys are blocked
/// then) every tenant is named as given no link.
async fn mail(
    api: &Current,
    mailer: Option<&Mailer>,
    job: MailJob,
    id: u64,
    tx: &mpsc::UnboundedSender<Msg>,
) -> (Vec<MailReport>, Vec<(String, String)>) {
    let progress = |done, total| {
        let _ = tx.send(Msg::MailProgress { id, done, total });
    };
    let Some(mailer) = mailer else {
        let slugs: Vec<String> = match job {
            MailJob::Issue { tenants, .. } => tenants.into_iter().map(|t| t.slug).collect(),
            MailJob::Send { links } => links.into_iter().map(|(t, _)| t.slug).collect(),
        };
        let why = MailError::Off.to_string();
        return (
            Vec::new(),
            slugs.into_iter().map(|s| (s, why.clone())).collect(),
        );
    };
    match job {
        MailJob::Issue { tenants, ttl_secs } => {
            crate::mail::issue_and_send(api, mailer, tenants, ttl_secs, &progress).await
        }
        MailJob::Send { links } => (
            crate::mail::send_links(api, mailer, links, &progress).await,
            Vec::new(),
        ),
    }
}
