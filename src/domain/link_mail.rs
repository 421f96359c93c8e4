//! A consent link mailed to the tenant's contact: what the relay answered, kept as the
//! tenant's last send (the console's table shows it) and told on its timeline. A refusal
//! keeps the relay's reply as given, secrets already taken out by the sender.

use serde::{Deserialize, Serialize};

use super::model::{AuditEvent, EventKind, ExpectedAccount, Tenant};
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

/// The longest relay reply kept (a relay may say a lot; the timeline keeps a line).
const MAX_REPLY: usize = 300;

impl MailOutcome {
    /// As recorded: a queue id and a reply of one line of printable text, cut short.
    pub fn cleaned(self) -> Self {
        let line = |s: &str, max: usize| -> String {
            let one: String = s
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let one = one.split_whitespace().collect::<Vec<_>>().join(" ");
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

impl Tenant {
    /// Where its links are mailed: its contact email, else the Google account it expects
    /// when that is an address (not a domain).
    pub fn mail_to(&self) -> Option<&str> {
        self.contact_email.as_deref().or(match &self.expected {
            Some(ExpectedAccount::Email(e)) => Some(e.as_str()),
            _ => None,
        })
    }
}

/// The tenant with `mail` as its last send, and the timeline entry telling it.
pub fn record(t: &Tenant, mail: LinkMail) -> (Tenant, AuditEvent) {
    let event = AuditEvent {
        at: mail.at,
        tenant: t.slug.clone(),
        kind: if mail.accepted() {
            EventKind::LinkMailed
        } else {
            EventKind::LinkMailRefused
        },
        detail: mail.detail(),
        integration: None,
    };
    let mut next = t.clone();
    next.updated_at = mail.at;
    next.mailed = Some(mail);
    (next, event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{NewTenant, new_tenant};

    #[test]
    fn a_send_is_kept_as_the_last_and_told_on_the_timeline() {
        let input = NewTenant {
            slug: "acme".into(),
            expected_email: Some("owner@acme.example".into()),
            ..Default::default()
        };
        let t = new_tenant(&input, 1).unwrap().0;
        assert_eq!(
            t.mail_to(),
            Some("owner@acme.example"),
            "the expected account"
        );
        let t = new_tenant(
            &NewTenant {
                contact_email: Some("Jane@Acme.example".into()),
                ..input
            },
            1,
        )
        .unwrap()
        .0;
        assert_eq!(
            t.mail_to(),
            Some("Jane@acme.example"),
            "the contact email first"
        );
        let ok = LinkMail {
            at: 5,
            to: "jane@acme.example".into(),
            link_id: "ab12cd34".into(),
            attempts: 2,
            outcome: MailOutcome::Accepted {
                queue_id: Some("4F9D".into()),
            },
        };
        let (next, e) = record(&t, ok.clone());
        assert_eq!(next.mailed.as_ref(), Some(&ok));
        assert_eq!(next.updated_at, 5);
        assert_eq!(e.kind, EventKind::LinkMailed);
        assert_eq!(
            e.detail,
            "link ab12cd34 mailed to jane@acme.example: the relay accepted it after 2 tries (queue id 4F9D)"
        );
        let refused = LinkMail {
            attempts: 1,
            outcome: MailOutcome::Refused {
                code: Some(550),
                reply: "550 5.1.1 no such user".into(),
                permanent: true,
            },
            ..ok
        };
        let (next, e) = record(&next, refused);
        assert_eq!(e.kind, EventKind::LinkMailRefused);
        assert_eq!(
            e.detail,
            "link ab12cd34 to jane@acme.example was refused by the relay: 550 5.1.1 no such user"
        );
        assert!(!next.mailed.unwrap().accepted());
        let json = serde_json::to_value(&e.kind).unwrap();
        assert_eq!(json, "link_mail_refused");
    }
}
