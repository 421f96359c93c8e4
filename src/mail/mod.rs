//! Mailing consent links through the company's own relay (`[mail]`), from the face that
//! asks (`link --send`, the console): the process that runs the command holds the relay's
//! login from its environment, so neither the listener nor the owner ever waits on a relay.
//!
//! Invariants: a link is a bearer credential — it is in the mail's body and nowhere else
//! (never logged; taken out of any reply recorded); mail leaves over TLS unless the relay
//! is on loopback; one address per mail, checked by [`crate::domain::mail_address`]; no
//! more than `mail.per_minute` mails a minute leave one process; what the relay answered
//! is recorded on the tenant (`RecordMail`): its timeline and the audit chain.

mod addressee;
mod compose;
mod deliver;
mod mailer;
pub mod online;
mod send;

pub use addressee::{Addressee, no_address, set_address};
pub use deliver::{Delivery, RETRY_FIRST, SEND_TIMEOUT, TRIES};
pub use mailer::{MailError, Mailer};
pub use send::{MailReport, Sending, issue_and_send, send_links};
