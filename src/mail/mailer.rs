//! The relay as this process holds it: the SMTP transport (lettre, rustls; a few
//! connections kept open between mails), the sender, the sending limit, and the secrets no
//! recorded reply may carry.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{Config, MailConfig, RelayTls};
use crate::message::OwnTemplates;

/// How long one exchange with the relay may take.
const RELAY_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error(
        "mail is not set up: set mail.smtp_url and mail.from (`mcp-onboard config check` says what is read)"
    )]
    Off,
    #[error("the relay cannot be used: {0}")]
    Relay(String),
    #[error("cannot mail to {0}")]
    Address(String),
    #[error("the mail could not be written: {0}")]
    Compose(String),
}

/// The relay, the sender and the limit: one per process that sends.
pub struct Mailer {
    pub(super) transport: AsyncSmtpTransport<Tokio1Executor>,
    pub(super) from: Mailbox,
    pub(super) reply_to: Option<Mailbox>,
    pub(super) brand: String,
    pub(super) templates: OwnTemplates,
    pub(super) limiter: Arc<DefaultDirectRateLimiter>,
    /// The relay's login: taken out of any reply before it is recorded.
    pub(super) secrets: Vec<String>,
    shown: String,
}

impl Mailer {
    /// The mailer of `config`'s `[mail]`, with the operator's message templates.
    pub fn new(config: &Config, templates: OwnTemplates) -> Result<Mailer, MailError> {
        let m = config.mail.as_ref().ok_or(MailError::Off)?;
        let from: Mailbox = m
            .from
            .parse()
            .map_err(|e| MailError::Relay(format!("mail.from {}: {e}", m.from)))?;
        let reply_to = match &m.reply_to {
            Some(r) => Some(
                r.parse()
                    .map_err(|e| MailError::Relay(format!("mail.reply_to {r}: {e}")))?,
            ),
            None => None,
        };
        let brand = config
            .brand
            .name
            .clone()
            .or_else(|| from.name.clone())
            .unwrap_or_else(|| from.email.domain().to_owned());
        let mut secrets = Vec::new();
        if let Some(p) = &m.password {
            secrets.push(p.expose_secret().to_owned());
        }
        Ok(Mailer {
            transport: transport(m)?,
            from,
            reply_to,
            brand,
            templates,
            limiter: Arc::new(RateLimiter::direct(quota(m.per_minute))),
            secrets,
            shown: m.relay.shown(),
        })
    }

    /// The relay as it may be shown (`smtps://host:port`).
    pub fn relay(&self) -> &str {
        &self.shown
    }

    /// Connect, say hello and log in (when a login is set): whether the relay takes us.
    pub async fn check_login(&self) -> Result<(), String> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err("the relay closed the connection".into()),
            Err(e) => Err(
                crate::redact::Redactor::new(self.secrets.iter().map(String::as_str))
                    .redact(&e.to_string()),
            ),
        }
    }
}

/// `per_minute` evenly spread: one mail every 60 s / n, no burst (a thousand links at 600
/// a minute take 100 s, not 40 after a burst of 600).
fn quota(per_minute: NonZeroU32) -> Quota {
    let every = Duration::from_secs(60) / per_minute.get();
    Quota::with_period(every.max(Duration::from_micros(1)))
        .unwrap_or_else(|| Quota::per_minute(per_minute))
        .allow_burst(NonZeroU32::MIN)
}

/// The transport of `m`: implicit TLS, STARTTLS required, or plain on loopback. Over TLS the
/// relay's certificate is checked against the public roots and `mail.ca_file`'s authorities.
fn transport(m: &MailConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    // Plain until told otherwise: the match below says how the connection is protected.
    let plain = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(m.relay.host.as_str());
    let builder = match m.relay.tls {
        RelayTls::Wrapper => plain.tls(Tls::Wrapper(tls_parameters(m)?)),
        RelayTls::StartTls => plain.tls(Tls::Required(tls_parameters(m)?)),
        RelayTls::None => plain,
    };
    let mut builder = builder.port(m.relay.port).timeout(Some(RELAY_TIMEOUT));
    if let (Some(user), Some(password)) = (&m.user, &m.password) {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            password.expose_secret().to_owned(),
        ));
    }
    Ok(builder.build())
}

/// The relay's host name checked against its certificate, which comes from a public root
/// or from one of `mail.ca_file`'s authorities.
fn tls_parameters(m: &MailConfig) -> Result<TlsParameters, MailError> {
    let mut params = TlsParameters::builder(m.relay.host.clone());
    for der in m.roots.iter().flat_map(|r| &r.der) {
        let cert = Certificate::from_der(der.clone())
            .map_err(|e| MailError::Relay(format!("mail.ca_file: {e}")))?;
        params = params.add_root_certificate(cert);
    }
    params
        .build()
        .map_err(|e| MailError::Relay(format!("TLS to the relay: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_spread_over_the_minute_without_a_burst() {
        let q = quota(NonZeroU32::new(600).unwrap());
        assert_eq!(q.replenish_interval(), Duration::from_millis(100));
        assert_eq!(q.burst_size().get(), 1);
        let q = quota(NonZeroU32::new(1).unwrap());
        assert_eq!(q.replenish_interval(), Duration::from_secs(60));
    }

    #[test]
    fn the_relays_own_authorities_are_taken_for_tls_and_starttls() {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let key = rcgen::KeyPair::generate().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, params.self_signed(&key).unwrap().pem()).unwrap();
        for (url, tls) in [
            ("smtps://relay.corp.example", RelayTls::Wrapper),
            ("smtp://relay.corp.example", RelayTls::StartTls),
        ] {
            let env = |k: &str| match k {
                "MCP_ONBOARD_MAIL_SMTP_URL" => Some(url.to_owned()),
                "MCP_ONBOARD_MAIL_FROM" => Some("a@b.example".to_owned()),
                "MCP_ONBOARD_MAIL_CA_FILE" => Some(ca.display().to_string()),
                _ => None,
            };
            let config = Config::load(None, false, &env).unwrap();
            let m = config.mail.as_ref().unwrap();
            assert_eq!(m.relay.tls, tls);
            assert_eq!(m.roots.as_ref().map(|r| r.der.len()), Some(1));
            let params = tls_parameters(m).unwrap();
            assert_eq!(params.domain(), "relay.corp.example", "the name checked");
            // The pooled transport starts its pool's task on the runtime it is built on.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            assert!(runtime.block_on(async { transport(m).is_ok() }), "{url}");
        }
    }
}
