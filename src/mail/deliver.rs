//! One mail handed to the relay, tried again on a temporary refusal (4xx) or when the
//! relay could not be reached, with backoff; never again on a permanent refusal (5xx) or
//! a TLS failure (it would fail the same way). What the relay said comes back with the
//! secrets of the send (the link, the relay's login) taken out.

use std::time::Duration;

use lettre::transport::smtp::response::Response;
use lettre::{AsyncTransport, Message};

use super::mailer::Mailer;
use crate::domain::link_mail::MailOutcome;
use crate::redact::Redactor;

/// Tries at most (the first and three more).
pub const TRIES: u32 = 4;
/// The wait before the second try; doubled before each next.
pub const RETRY_FIRST: Duration = Duration::from_secs(1);

/// What became of one mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub attempts: u32,
    pub outcome: MailOutcome,
}

impl Delivery {
    /// The relay was not reached at all (nor refused anything): the next mail would fare
    /// no better for now.
    pub fn unreached(&self) -> bool {
        matches!(self.outcome, MailOutcome::Refused { code: None, .. })
    }
}

/// Hand `message` to the relay (waiting for the sending limit before each try); `secrets`
/// are taken out of any reply kept.
pub async fn deliver(mailer: &Mailer, message: &Message, secrets: &[&str]) -> Delivery {
    let redactor = Redactor::new(
        secrets
            .iter()
            .copied()
            .chain(mailer.secrets.iter().map(String::as_str)),
    );
    let mut wait = RETRY_FIRST;
    let mut attempts = 0;
    loop {
        attempts += 1;
        mailer.limiter.until_ready().await;
        let outcome = match mailer.transport.send(message.clone()).await {
            Ok(response) => {
                return Delivery {
                    attempts,
                    outcome: MailOutcome::Accepted {
                        queue_id: queue_id(&response),
                    },
                };
            }
            Err(e) => {
                let reply = redactor.redact(&e.to_string());
                let code = e.status().map(|c| u16::from(c));
                let permanent = e.is_permanent();
                // A TLS failure or a client-side one fails the same way each time.
                let again = !permanent && !e.is_tls() && !e.is_client();
                (
                    MailOutcome::Refused {
                        code,
                        reply,
                        permanent,
                    },
                    again,
                )
            }
        };
        let (outcome, again) = outcome;
        if !again || attempts >= TRIES {
            return Delivery { attempts, outcome };
        }
        tokio::time::sleep(wait).await;
        wait *= 2;
    }
}

/// The relay's queue id: the last word of a reply saying `queued as ID` (Postfix, Exim,
/// most relays), else its last word when it looks like one.
fn queue_id(r: &Response) -> Option<String> {
    let text: Vec<&str> = r.message().collect();
    let text = text.join(" ");
    let lower = text.to_ascii_lowercase();
    let after = match lower.find("queued as ") {
        Some(at) => &text[at + "queued as ".len()..],
        None => text.rsplit(' ').next().unwrap_or_default(),
    };
    let word = after.split_whitespace().next().unwrap_or_default();
    let id: String = word
        .strip_prefix("id=")
        .unwrap_or(word)
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_owned();
    let looks_like_one = id.len() >= 6
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
        && id.chars().any(|c| c.is_ascii_digit());
    looks_like_one.then_some(id)
}

#[cfg(test)]
mod tests {
    use lettre::transport::smtp::response::{Category, Code, Detail, Severity};

    use super::*;

    fn ok(lines: &[&str]) -> Response {
        let code = Code::new(
            Severity::PositiveCompletion,
            Category::MailSystem,
            Detail::Zero,
        );
        Response::new(code, lines.iter().map(|l| (*l).to_owned()).collect())
    }

    #[test]
    fn the_queue_id_is_read_from_the_usual_replies() {
        for (reply, id) in [
            ("2.0.0 Ok: queued as 4F9D91234A", Some("4F9D91234A")),
            ("OK id=1tXyZq-0004Ab-2c", Some("1tXyZq-0004Ab-2c")),
            ("2.0.0 OK 1733400000 d2e1a72fcca58-abc123.9 - gsmtp", None),
            ("OK", None),
            ("Ok: queued as <AB12CD34EF>", Some("AB12CD34EF")),
        ] {
            assert_eq!(queue_id(&ok(&[reply])).as_deref(), id, "{reply}");
        }
    }
}
