//! One mail handed to the relay, tried again on a temporary refusal (4xx) or when the
//! relay could not be reached, with backoff; never again on a permanent refusal (5xx), a
//! TLS failure or a refusal on our side (the relay lacks what the mail needs): each would
//! fail the same way. A relay that stops answering mid-way is given [`SEND_TIMEOUT`] and
//! not tried again (the mail may have gone). What the relay said comes back as one short
//! line with the secrets of the send (the link, the relay's login) taken out.

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

/// The longest one try may take, all of it (lettre bounds only the connect).
pub const SEND_TIMEOUT: std::time::Duration = Duration::from_secs(60);

/// SMTP replies saying the relay refuses our login (RFC 4954): every next mail fails the
/// same way. A refused sender or recipient shares its codes with other refusals, so it
/// is not counted.
const REFUSES_US: [u16; 4] = [530, 534, 535, 538];

/// What became of one mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub attempts: u32,
    pub outcome: MailOutcome,
}

impl Delivery {
    /// The relay was not reached (or stopped answering), or refuses our login: the next
    /// mail would fare no better for now.
    pub fn hopeless(&self) -> bool {
        match &self.outcome {
            MailOutcome::Refused {
                code: None,
                permanent,
                ..
            } => !permanent,
            MailOutcome::Refused { code: Some(c), .. } => REFUSES_US.contains(c),
            MailOutcome::Accepted { .. } => false,
        }
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
        let sent = tokio::time::timeout(SEND_TIMEOUT, mailer.transport.send(message.clone()));
        let (outcome, again) = match sent.await {
            Ok(Ok(response)) => {
                let queue_id = queue_id(&response);
                (MailOutcome::Accepted { queue_id }, false)
            }
            Ok(Err(e)) => refusal(&e, &redactor),
            Err(_) => (
                MailOutcome::Refused {
                    code: None,
                    reply: format!(
                        "the relay stopped answering for {} s (the mail may have gone: not tried again)",
                        SEND_TIMEOUT.as_secs()
                    ),
                    permanent: false,
                },
                false,
            ),
        };
        if !again || attempts >= TRIES {
            return Delivery {
                attempts,
                outcome: outcome.cleaned(),
            };
        }
        tokio::time::sleep(wait).await;
        wait *= 2;
    }
}

/// A failed try as recorded, and whether to try again: a 4xx or a relay not reached, yes;
/// a 5xx, a TLS failure or our own side's refusal (no 8BITMIME, no shared login
/// mechanism), no — those are `permanent` with no code, and do not count as unreached.
fn refusal(e: &lettre::transport::smtp::Error, redactor: &Redactor) -> (MailOutcome, bool) {
    let reply = redactor.redact(&e.to_string());
    let code = e.status().map(u16::from);
    let ours = e.is_client() || e.is_tls() || tls_failure(e);
    let permanent = e.is_permanent() || ours;
    let outcome = MailOutcome::Refused {
        code,
        reply,
        permanent,
    };
    (outcome, !permanent)
}

/// Whether a connection error is the TLS handshake's (lettre reports a bad certificate or a
/// failed handshake as a connection error): it fails the same way every time.
fn tls_failure(e: &lettre::transport::smtp::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string().to_ascii_lowercase();
        if ["certificate", "handshake", "tls", "alert"]
            .iter()
            .any(|w| text.contains(w))
        {
            return true;
        }
        source = s.source();
    }
    false
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
