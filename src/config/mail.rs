//! `[mail]`: the company's SMTP relay that consent links are mailed through, the sender's
//! address and a sending limit. The relay's login comes from the environment only
//! (`MCP_ONBOARD_MAIL_USER`, `MCP_ONBOARD_MAIL_PASSWORD`): a password in the file or in the
//! URL is refused. Mail leaves only over TLS (`smtps://`, or `smtp://` with STARTTLS
//! required) unless the relay is on loopback. `ca_file` adds certificate authorities (a
//! company relay's own) to the public roots the relay's certificate is checked against; it is
//! read and checked when the configuration is.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::ConfigError;
use super::source::Source;

/// Mails a minute unless told otherwise.
pub const MAIL_PER_MINUTE: u32 = 60;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMail {
    smtp_url: Option<String>,
    from: Option<String>,
    reply_to: Option<String>,
    per_minute: Option<u32>,
    user: Option<String>,
    password: Option<String>,
    ca_file: Option<String>,
}

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayTls {
    /// `smtps://`: TLS from the first byte.
    Wrapper,
    /// `smtp://` off loopback: STARTTLS, and no mail if the relay does not offer it.
    StartTls,
    /// `smtp://` on loopback: plain (a relay on this machine).
    None,
}

/// The relay, as configured.
#[derive(Debug, Clone)]
pub struct Relay {
    pub host: String,
    pub port: u16,
    pub tls: RelayTls,
}

impl Relay {
    /// `smtps://host:port` or `smtp://host:port`: what may be shown of it.
    pub fn shown(&self) -> String {
        let scheme = match self.tls {
            RelayTls::Wrapper => "smtps",
            RelayTls::StartTls | RelayTls::None => "smtp",
        };
        if self.host.contains(':') {
            format!("{scheme}://[{}]:{}", self.host, self.port)
        } else {
            format!("{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// Certificate authorities trusted for the relay besides the public roots.
#[derive(Clone, PartialEq, Eq)]
pub struct RelayRoots {
    /// Where they were read from.
    pub path: PathBuf,
    /// Each certificate, DER; at least one.
    pub der: Vec<Vec<u8>>,
}

impl std::fmt::Debug for RelayRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayRoots")
            .field("path", &self.path)
            .field("certificates", &self.der.len())
            .finish()
    }
}

/// Mailing consent links.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub relay: Relay,
    /// `mail.ca_file`: more authorities the relay's certificate may come from.
    pub roots: Option<RelayRoots>,
    /// The sender, e.g. `Parcel AI <onboarding@parcel.example>`.
    pub from: String,
    pub reply_to: Option<String>,
    /// Mails a minute at most.
    pub per_minute: NonZeroU32,
    pub user: Option<String>,
    pub password: Option<SecretString>,
}

fn invalid(key: &'static str, value: &str, from: &str, detail: &str) -> ConfigError {
    ConfigError::Invalid {
        key,
        value: value.to_owned(),
        from: from.to_owned(),
        detail: detail.to_owned(),
    }
}

/// The `[mail]` section; `None` when no relay is set (mail is off).
pub(super) fn resolve(src: &Source) -> Result<Option<MailConfig>, ConfigError> {
    let file: FileMail = src.section("mail")?;
    if file.password.is_some() {
        return Err(invalid(
            "mail.password",
            "(not shown)",
            src.label(),
            "the relay's password is read from MCP_ONBOARD_MAIL_PASSWORD only, never from the file",
        ));
    }
    let Some((text, from)) = src.pick("MCP_ONBOARD_MAIL_SMTP_URL", file.smtp_url) else {
        return Ok(None);
    };
    let relay = relay(&text, &from)?;
    let roots = roots(src, file.ca_file)?;
    let Some((sender, sender_from)) = src.pick("MCP_ONBOARD_MAIL_FROM", file.from) else {
        return Err(ConfigError::Invalid {
            key: "mail.from",
            value: String::new(),
            from,
            detail: "mail.smtp_url is set: say whose address the mails come from, e.g. `Parcel AI <onboarding@parcel.example>`".into(),
        });
    };
    let sender = mailbox("mail.from", &sender, &sender_from)?;
    let reply_to = match src.pick("MCP_ONBOARD_MAIL_REPLY_TO", file.reply_to) {
        None => None,
        Some((r, r_from)) => Some(mailbox("mail.reply_to", &r, &r_from)?),
    };
    let per_minute = src.positive(
        "mail.per_minute",
        "MCP_ONBOARD_MAIL_PER_MINUTE",
        file.per_minute,
        MAIL_PER_MINUTE,
    )?;
    let user = src.pick("MCP_ONBOARD_MAIL_USER", file.user).map(|(v, _)| v);
    let password = src
        .pick("MCP_ONBOARD_MAIL_PASSWORD", None)
        .map(|(v, _)| SecretString::from(v));
    match (&user, &password) {
        (None, Some(_)) => {
            return Err(invalid(
                "mail.user",
                "",
                "environment variable MCP_ONBOARD_MAIL_PASSWORD",
                "a relay password is set: set MCP_ONBOARD_MAIL_USER too",
            ));
        }
        (Some(u), None) => {
            return Err(invalid(
                "mail.password",
                "",
                &format!("mail.user {u}"),
                "a relay login is set: set its password in MCP_ONBOARD_MAIL_PASSWORD",
            ));
        }
        _ => {}
    }
    Ok(Some(MailConfig {
        relay,
        roots,
        from: sender,
        reply_to,
        per_minute,
        user,
        password,
    }))
}

/// `text` as one mailbox (`a@b.example` or `Name <a@b.example>`), trimmed, or why not.
fn mailbox(key: &'static str, text: &str, from: &str) -> Result<String, ConfigError> {
    let text = text.trim();
    if text.parse::<lettre::message::Mailbox>().is_err() || text.chars().any(char::is_control) {
        return Err(invalid(
            key,
            text,
            from,
            "expected one address, e.g. onboarding@parcel.example or `Parcel AI <onboarding@parcel.example>`",
        ));
    }
    Ok(text.to_owned())
}

/// The relay of `text`: `smtps://` (port 465 unless given) or `smtp://` (587), no login in
/// it, and STARTTLS required unless the host is on loopback.
fn relay(text: &str, from: &str) -> Result<Relay, ConfigError> {
    let shown = without_login(text);
    let bad = |detail: &str| invalid("mail.smtp_url", &shown, from, detail);
    let url = Url::parse(text.trim()).map_err(|e| {
        bad(&format!(
            "{e}; expected smtps://relay.example.com:465 or smtp://relay.example.com:587"
        ))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "a login in the URL is refused: set MCP_ONBOARD_MAIL_USER and MCP_ONBOARD_MAIL_PASSWORD",
        ));
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("the URL names no relay host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "expected only scheme, host and port (e.g. smtps://relay.example.com:465)",
        ));
    }
    let (tls, default_port) = match url.scheme() {
        "smtps" => (RelayTls::Wrapper, 465),
        "smtp" if on_loopback(&host) => (RelayTls::None, 587),
        "smtp" => (RelayTls::StartTls, 587),
        _ => return Err(bad("expected an smtps:// or smtp:// URL")),
    };
    Ok(Relay {
        host,
        port: url.port().unwrap_or(default_port),
        tls,
    })
}

/// `mail.ca_file`: a path in the file is taken from the file's folder, one in the
/// environment from the working directory.
fn roots(src: &Source, file_value: Option<String>) -> Result<Option<RelayRoots>, ConfigError> {
    let from_env = src.pick("MCP_ONBOARD_MAIL_CA_FILE", None).is_some();
    let Some((text, from)) = src.pick("MCP_ONBOARD_MAIL_CA_FILE", file_value) else {
        return Ok(None);
    };
    let mut path = PathBuf::from(text.trim());
    if path.is_relative()
        && !from_env
        && let Some(dir) = src.file_dir()
    {
        path = dir.join(path);
    }
    let der = read_roots(&path).map_err(|why| invalid("mail.ca_file", &text, &from, &why))?;
    Ok(Some(RelayRoots { path, der }))
}

/// The largest `mail.ca_file` read.
const MAX_CA_FILE: u64 = 1024 * 1024;

/// The certificates of the PEM file at `path`, each one an authority rustls can trust;
/// `Err` says why the file is refused.
fn read_roots(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    use std::io::Read as _;
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_CA_FILE + 1).read_to_end(&mut pem))
        .map_err(|e| format!("cannot read it: {e}"))?;
    if pem.len() as u64 > MAX_CA_FILE {
        return Err(format!(
            "larger than {} KiB: a file of authorities is a few certificates",
            MAX_CA_FILE / 1024
        ));
    }
    let mut der = Vec::new();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| format!("not a PEM file of certificates: {e}"))?;
        let mut store = tokio_rustls::rustls::RootCertStore::empty();
        store.add(cert.clone()).map_err(|e| {
            format!(
                "certificate {} cannot be used as a trust anchor: {e}",
                der.len() + 1
            )
        })?;
        der.push(cert.to_vec());
    }
    if der.is_empty() {
        return Err(
            "no certificate in it: expected PEM, one or more `-----BEGIN CERTIFICATE-----` blocks"
                .into(),
        );
    }
    Ok(der)
}

/// `text` as it may be shown: whatever stands between `://` and the last `@` (a login,
/// a password) cut out, whether or not the URL parses.
fn without_login(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://…@{}", &rest[at + 1..]),
        None => text.to_owned(),
    }
}

/// A loopback relay: an `smtp://` URL's host is not parsed as an IP address by the URL
/// parser (it is not a special scheme), so the host is taken as written.
fn on_loopback(host: &str) -> bool {
    super::source::is_loopback_name(host)
}

#[cfg(test)]
mod tests;
