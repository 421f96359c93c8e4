//! The mail of one link: the ready-to-send message in the tenant's language (the
//! operator's own template when there is one, see [`crate::message`]) with a subject of
//! its own, `Content-Language` saying which. The body is sent as it is written (7bit or
//! 8bit: a link is never broken across lines), base64 only when a line is too long for
//! SMTP.

use lettre::Message;
use lettre::message::header::{
    ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue,
};
use lettre::message::{Body, Mailbox};

use super::addressee::Addressee;
use super::mailer::MailError;
use crate::engine::api::LinkView;
use crate::i18n::{Lang, text};
use crate::message::{MessageFacts, OwnTemplates, render};

/// `Content-Language: TAG`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ContentLanguage(String);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// What every mail of one sender shares.
pub struct Sender<'a> {
    pub from: &'a Mailbox,
    pub reply_to: Option<&'a Mailbox>,
    /// The company that asks, as the subject names it.
    pub brand: &'a str,
    pub templates: &'a OwnTemplates,
}

/// The subject of a link's mail in `lang`.
pub fn subject(lang: Lang, brand: &str, tenant: &str) -> String {
    text(
        lang,
        "message-subject",
        &[("brand", brand.into()), ("tenant", tenant.into())],
    )
}

/// The mail of `link` to `to`, for `who`.
pub fn letter(
    s: &Sender<'_>,
    who: &Addressee,
    to: &str,
    link: &LinkView,
) -> Result<Message, MailError> {
    let to: Mailbox = to
        .parse()
        .map_err(|e| MailError::Address(format!("{to}: {e}")))?;
    let body = render(
        s.templates,
        &MessageFacts {
            tenant: &who.name,
            link: &link.url,
            expires: &link.expires_at,
            integration: who.integration,
            expected: who.expected.as_ref(),
            lang: who.lang,
        },
    );
    let lang = who.lang.unwrap_or(Lang::EN);
    let mut m = Message::builder()
        .from(s.from.clone())
        .to(to)
        .subject(subject(lang, s.brand, &who.name))
        .header(ContentType::TEXT_PLAIN)
        .header(ContentLanguage(lang.tag().to_owned()));
    if let Some(r) = s.reply_to {
        m = m.reply_to(r.clone());
    }
    m.body(body_of(body))
        .map_err(|e| MailError::Compose(e.to_string()))
}

/// The longest line SMTP carries, without its CRLF (RFC 5321 4.5.3.1.6).
const MAX_LINE: usize = 998;

/// The body as written (CRLF line ends) when SMTP carries it so, else base64. Not
/// lettre's own choice: it takes quoted-printable for any line over 76 characters, and
/// quoted-printable breaks a long link with soft line breaks that a customer who copies
/// the raw text would keep.
fn body_of(text: String) -> Body {
    let crlf = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n");
    let fits = !crlf.contains('\0') && crlf.split("\r\n").all(|l| l.len() <= MAX_LINE);
    if fits {
        let encoding = if crlf.is_ascii() {
            ContentTransferEncoding::SevenBit
        } else {
            ContentTransferEncoding::EightBit
        };
        return Body::dangerous_pre_encoded(crlf.into_bytes(), encoding);
    }
    Body::new_with_encoding(text, ContentTransferEncoding::Base64).unwrap_or_else(Body::new)
}

#[cfg(test)]
mod tests;
