//! A consent link mailed to the tenant's contact: what the relay answered, kept as the
//! tenant's last send (see [`super::mail_record`]). A refusal keeps the relay's reply as
//! given (one line, cut short), secrets already taken out by the sender.

use serde::{Deserialize, Serialize};

use crate::time::Millis;

/// How the relay answered the last try.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum MailOutcome {
    /// The relay took the mail (with its queue id when it gave one).
    Accepted { queue_id: Option<String> },
    /// The relay refused it (`permanent`: a 5xx reply, not retried), or could not be
    /// reached or gave no reply (`code` none).
    Refused {
        code: Option<u16>,
        reply: String,
        permanent: bool,
    },
}

/// The most tries a mail may be recorded with.
pub const MAX_ATTEMPTS: u32 = 10;

/// The longest relay reply kept (a relay may say a lot; the timeline keeps a line).
const MAX_REPLY: usize = 300;

impl MailOutcome {
    /// As recorded: a queue id and a reply on one line (its breaks and other controls
    /// become spaces), made safe as all outside text is ([`crate::text::clean`]: a bidi
    /// control shows as U+FFFD), cut short.
    pub fn cleaned(self) -> Self {
        let line = |s: &str, max: usize| -> String {
            let spaced: String = s
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let one = crate::text::clean(&spaced.split_whitespace().collect::<Vec<_>>().join(" "));
            match one.char_indices().nth(max) {
                Some((cut, _)) => format!("{}…", &one[..cut]),
                None => one,
            }
        };
        match self {
            MailOutcome::Accepted { queue_id } => MailOutcome::Accepted {
                queue_id: queue_id.map(|q| line(&q, 64)).filter(|q| !q.is_empty()),
            },
            MailOutcome::Refused {
                code,
                reply,
                permanent,
            } => MailOutcome::Refused {
                code,
                reply: line(&reply, MAX_REPLY),
                permanent,
            },
        }
    }
}

/// One link mailed (or not) to one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkMail {
    pub at: Millis,
    pub to: String,
    /// The link's id (never its code: the link is a bearer credential).
    pub link_id: String,
    /// Tries it took (a temporary refusal is tried again).
    pub attempts: u32,
    #[serde(flatten)]
    pub outcome: MailOutcome,
}

impl LinkMail {
    pub fn accepted(&self) -> bool {
        matches!(self.outcome, MailOutcome::Accepted { .. })
    }

    /// One line for the timeline.
    pub fn detail(&self) -> String {
        let tries = match self.attempts {
            0 | 1 => String::new(),
            n => format!(" after {n} tries"),
        };
        match &self.outcome {
            MailOutcome::Accepted { queue_id } => format!(
                "link {} mailed to {}: the relay accepted it{tries}{}",
                self.link_id,
                self.to,
                queue_id
                    .as_deref()
                    .map(|q| format!(" (queue id {q})"))
                    .unwrap_or_default()
            ),
            MailOutcome::Refused {
                code,
                reply,
                permanent,
            } => {
                let how = match (code, permanent) {
                    (None, _) => "was not sent",
                    (Some(_), true) => "was refused by the relay",
                    (Some(_), false) => "was refused for now by the relay",
                };
                format!("link {} to {} {how}{tries}: {reply}", self.link_id, self.to)
            }
        }
    }
}

#[cfg(test)]
mod tests;
