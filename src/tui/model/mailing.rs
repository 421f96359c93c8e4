//! Mailing consent links from the console: what it asks the runner to mail (one tenant's
//! link, or a new link for each tenant of the table), and the one mailing under way, with
//! its progress. The runner holds the relay; the model only knows whether there is one.

use crate::engine::api::LinkView;
use crate::mail::Addressee;

/// What to mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailJob {
    /// Issue a new link to each tenant (a lifetime of `ttl_secs`) and mail it.
    Issue {
        tenants: Vec<Addressee>,
        ttl_secs: u64,
    },
    /// Mail links already issued (the one shown in a link view).
    Send { links: Vec<(Addressee, LinkView)> },
}

impl MailJob {
    /// How many tenants it mails to.
    pub fn len(&self) -> usize {
        match self {
            MailJob::Issue { tenants, .. } => tenants.len(),
            MailJob::Send { links } => links.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The mailing under way (one at a time: the relay's limit is the process's anyway).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailing {
    /// The id its progress and its end come back with.
    pub id: u64,
    /// Links mailed (or given up on) so far, of `total`; `None` before the first is.
    pub done: Option<usize>,
    pub total: usize,
    /// Whether new links are issued first.
    pub issuing: bool,
    /// Tenants of the table left out for want of an address (named in its summary).
    pub without_address: Vec<String>,
}

impl Mailing {
    /// `mailing 12/40…`, or before the first mail, what it is doing.
    pub fn progress(&self) -> String {
        match self.done {
            Some(done) => format!("✉ mailing {done}/{}…", self.total),
            None if self.issuing => format!(
                "✉ issuing {} link{} to mail…",
                self.total,
                if self.total == 1 { "" } else { "s" }
            ),
            None => format!("✉ mailing 0/{}…", self.total),
        }
    }

    /// What quitting now would cut short, said in the question before quitting: the links
    /// already issued stay valid, and each tenant's record says whether its link went.
    pub fn cut_short(&self) -> String {
        format!(
            "A mailing is under way ({}/{}): links issued and not yet mailed stay valid; \
             `mcp-onboard tenant show SLUG` says whether each was mailed.",
            self.done.unwrap_or(0),
            self.total
        )
    }
}
