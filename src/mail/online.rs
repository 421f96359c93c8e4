//! `config check --online`'s line about the relay: connect, say hello, log in. Run by
//! the process that mails (the CLI or the console), with its own environment's login.

use std::time::Duration;

use super::mailer::Mailer;
use crate::config::Config;
use crate::config::online::{CheckLine, Level};

/// The line `mail`: skipped (ok) when mail is off.
pub async fn check(config: &Config, timeout: Duration) -> CheckLine {
    let Some(m) = &config.mail else {
        return CheckLine::ok("mail", "off: no [mail] smtp_url (links are not mailed)");
    };
    let mailer = match Mailer::new(config, crate::message::OwnTemplates::default()) {
        Ok(mailer) => mailer,
        Err(e) => return CheckLine::new("mail", Level::Fail, e.to_string(), ""),
    };
    let who = match &m.user {
        Some(u) if m.password.is_some() => format!("our login as {u}"),
        _ => "us (no login set)".to_owned(),
    };
    match tokio::time::timeout(timeout, mailer.check_login()).await {
        Ok(Ok(())) => CheckLine::ok(
            "mail",
            format!("the relay {} accepts {who}", mailer.relay()),
        ),
        Ok(Err(e)) => CheckLine::new(
            "mail",
            Level::Fail,
            format!("the relay {} does not accept {who}: {e}", mailer.relay()),
            "check mail.smtp_url, MCP_ONBOARD_MAIL_USER and MCP_ONBOARD_MAIL_PASSWORD with the relay's owner",
        ),
        Err(_) => CheckLine::new(
            "mail",
            Level::Fail,
            format!(
                "the relay {} did not answer within {}s",
                mailer.relay(),
                timeout.as_secs()
            ),
            "check mail.smtp_url and that this machine may reach the relay",
        ),
    }
}
