//! `store.postgres_url`: a PostgreSQL connection URI as libpq reads it (`postgres://` or
//! `postgresql://`; a Unix socket directory as the host, `?host=/var/run/postgresql`), with
//! its TLS parameters taken out and given libpq's meaning: `sslmode` (`disable`, `prefer`,
//! the default, `require`, `verify-ca`, `verify-full`) and `sslrootcert` (a PEM file, or
//! `system`). Its text is never shown with the password: [`PostgresUrl::shown`] and
//! [`redact`] blank it.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// TLS to the server, as libpq's `sslmode` means it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Never TLS.
    Disable,
    /// TLS when the server offers it, the certificate not checked (libpq's default).
    Prefer,
    /// TLS always; the certificate not checked (with `sslrootcert`, as `verify-ca`).
    Require,
    /// TLS always; the certificate chain checked against the root certificates.
    VerifyCa,
    /// TLS always; the chain and the server's name checked.
    VerifyFull,
}

/// The root certificates a `verify-*` connection trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCerts {
    /// A PEM file (`sslrootcert=PATH`).
    File(PathBuf),
    /// The public web's roots (`sslrootcert=system`).
    System,
}

/// Where the PostgreSQL store is: the connection (TLS left to `tls`), and how it shows.
#[derive(Clone)]
pub struct PostgresUrl {
    /// The connection as the driver takes it; its own `sslmode` says only whether to try TLS.
    pub connect: tokio_postgres::Config,
    pub tls: TlsMode,
    /// The roots for `verify-ca` and `verify-full` (`None`: `~/.postgresql/root.crt`, as
    /// libpq).
    pub root_certs: Option<RootCerts>,
    shown: String,
}

impl std::fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresUrl")
            .field("url", &self.shown)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

const EXPECTED: &str = "expected a libpq URI such as postgres://USER:PASSWORD@HOST:5432/DATABASE?sslmode=verify-full, or postgres://USER@/DATABASE?host=/var/run/postgresql for a Unix socket";

/// How long a session may sit in a transaction doing nothing before the server ends it
/// (and releases its locks): a node stopped in the middle of one stalls the others no
/// longer than this.
pub const IDLE_IN_TRANSACTION: Duration = Duration::from_secs(10);
/// How long a statement waits for a lock before it fails (and its transaction is run again).
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(30);
/// TCP keepalives, both ways: a peer that vanished (a machine off, a half-open connection)
/// is found within about idle + interval x retries.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(10);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(5);
const KEEPALIVE_RETRIES: u32 = 3;
/// Data sent and not acknowledged for this long closes the connection (Linux).
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);

/// The store's session settings, unless the URI sets its own: its `options` come after
/// ours (the server takes the last), and a keepalive key it names is left as it says.
fn session_defaults(connect: &mut tokio_postgres::Config, given: &[&str]) {
    let named = |key: &str| given.iter().any(|p| p.split('=').next() == Some(key));
    let ours = format!(
        "-c idle_in_transaction_session_timeout={}s -c lock_timeout={}s \
         -c tcp_keepalives_idle={} -c tcp_keepalives_interval={} -c tcp_keepalives_count={}",
        IDLE_IN_TRANSACTION.as_secs(),
        LOCK_TIMEOUT.as_secs(),
        KEEPALIVE_IDLE.as_secs(),
        KEEPALIVE_INTERVAL.as_secs(),
        KEEPALIVE_RETRIES,
    );
    let options = match connect.get_options() {
        Some(theirs) if !theirs.trim().is_empty() => format!("{ours} {theirs}"),
        _ => ours,
    };
    connect.options(options);
    if !named("keepalives") {
        connect.keepalives(true);
    }
    if !named("keepalives_idle") {
        connect.keepalives_idle(KEEPALIVE_IDLE);
    }
    if !named("keepalives_interval") {
        connect.keepalives_interval(KEEPALIVE_INTERVAL);
    }
    if !named("keepalives_retries") {
        connect.keepalives_retries(KEEPALIVE_RETRIES);
    }
    if !named("tcp_user_timeout") {
        connect.tcp_user_timeout(TCP_USER_TIMEOUT);
    }
}

impl PostgresUrl {
    /// Read a URI; `Err` says what is wrong without quoting it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
            return Err(EXPECTED.into());
        }
        let (base, query) = text.split_once('?').unwrap_or((text, ""));
        let mut kept: Vec<&str> = Vec::new();
        let mut mode: Option<TlsMode> = None;
        let mut root_certs = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = url::form_urlencoded::parse(pair.as_bytes())
                .next()
                .unwrap_or_default();
            match &*k {
                "sslmode" => mode = Some(tls_mode(&v)?),
                "sslrootcert" if v == "system" => root_certs = Some(RootCerts::System),
                "sslrootcert" => root_certs = Some(RootCerts::File(PathBuf::from(&*v))),
                "sslcert" | "sslkey" | "sslpassword" => {
                    return Err(format!(
                        "client certificates ({k}) are not supported: authenticate with a password"
                    ));
                }
                _ => kept.push(pair),
            }
        }
        let rebuilt = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let mut connect = tokio_postgres::Config::from_str(&rebuilt).map_err(|e| {
            // The driver's cause (an unknown option, a bad port) is in its source.
            match std::error::Error::source(&e) {
                Some(cause) => format!("{e}: {cause}; {EXPECTED}"),
                None => format!("{e}; {EXPECTED}"),
            }
        })?;
        session_defaults(&mut connect, &kept);
        if connect.get_hosts().is_empty() {
            return Err(
                "it names no host: give one (postgres://HOST/DATABASE) or a socket directory (?host=/var/run/postgresql)".into(),
            );
        }
        // libpq: `require` with a root certificate named checks the chain, as `verify-ca`.
        let tls = match mode.unwrap_or(TlsMode::Prefer) {
            TlsMode::Require if root_certs.is_some() => TlsMode::VerifyCa,
            m => m,
        };
        // libpq never uses TLS over a Unix socket, whatever `sslmode` says.
        let sockets_only = connect
            .get_hosts()
            .iter()
            .all(|h| matches!(h, tokio_postgres::config::Host::Unix(_)));
        connect.ssl_mode(match tls {
            _ if sockets_only => tokio_postgres::config::SslMode::Disable,
            TlsMode::Disable => tokio_postgres::config::SslMode::Disable,
            TlsMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            TlsMode::Require | TlsMode::VerifyCa | TlsMode::VerifyFull => {
                tokio_postgres::config::SslMode::Require
            }
        });
        Ok(Self {
            connect,
            tls,
            root_certs,
            shown: redact(text),
        })
    }

    /// The URI with its password blanked: what messages and `config check` show.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

fn tls_mode(v: &str) -> Result<TlsMode, String> {
    Ok(match v {
        "disable" => TlsMode::Disable,
        "prefer" => TlsMode::Prefer,
        "require" => TlsMode::Require,
        "verify-ca" => TlsMode::VerifyCa,
        "verify-full" => TlsMode::VerifyFull,
        "allow" => {
            return Err(
                "sslmode=allow is not supported (it tries without TLS first): use prefer, require or verify-full".into(),
            );
        }
        _ => {
            return Err(
                "sslmode must be disable, prefer, require, verify-ca or verify-full".into(),
            );
        }
    })
}

/// `text` with any password in it replaced by `***`: the one after `user:` before `@`, and
/// a `password=` parameter.
pub fn redact(text: &str) -> String {
    let text = text.trim();
    let (base, query) = match text.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (text, None),
    };
    let mut out = match base.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            let authority = match authority.rsplit_once('@') {
                Some((userinfo, host)) => match userinfo.split_once(':') {
                    Some((user, _)) => format!("{user}:***@{host}"),
                    None => authority.to_owned(),
                },
                None => authority.to_owned(),
            };
            format!("{scheme}://{authority}{path}")
        }
        None => base.to_owned(),
    };
    if let Some(q) = query {
        let pairs: Vec<String> = q
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_postgres::config::{Host, SslMode};

    #[test]
    fn a_session_gets_the_stores_timeouts_and_keepalives_unless_the_uri_names_its_own() {
        let plain = PostgresUrl::parse("postgres://u@db.example/mcp").unwrap();
        let options = plain.connect.get_options().unwrap();
        assert!(
            options.contains("-c idle_in_transaction_session_timeout=10s"),
            "{options}"
        );
        assert!(options.contains("-c lock_timeout=30s"), "{options}");
        assert!(options.contains("-c tcp_keepalives_idle=10"), "{options}");
        assert_eq!(plain.connect.get_keepalives_idle(), KEEPALIVE_IDLE);
        assert_eq!(
            plain.connect.get_tcp_user_timeout(),
            Some(&TCP_USER_TIMEOUT)
        );
        // The URI's own options come after ours (the server takes the last); its own
        // keepalive setting is left as it says.
        let own = PostgresUrl::parse(
            "postgres://u@db.example/mcp?options=-c%20lock_timeout%3D5s&keepalives_idle=99",
        )
        .unwrap();
        let options = own.connect.get_options().unwrap();
        let ours = options.find("lock_timeout=30s").unwrap();
        let theirs = options.find("lock_timeout=5s").unwrap();
        assert!(ours < theirs, "{options}");
        assert_eq!(own.connect.get_keepalives_idle(), Duration::from_secs(99));
    }

    #[test]
    fn sslmode_takes_libpq_meaning_and_defaults_to_prefer() {
        let p = |s: &str| PostgresUrl::parse(s).unwrap();
        let u = p("postgres://app:pw@db.example.com/mcp");
        assert_eq!(u.tls, TlsMode::Prefer);
        assert_eq!(u.connect.get_ssl_mode(), SslMode::Prefer);
        for (mode, ours, drivers) in [
            ("disable", TlsMode::Disable, SslMode::Disable),
            ("require", TlsMode::Require, SslMode::Require),
            ("verify-ca", TlsMode::VerifyCa, SslMode::Require),
            ("verify-full", TlsMode::VerifyFull, SslMode::Require),
        ] {
            let u = p(&format!(
                "postgresql://app@db.example.com:6432/mcp?sslmode={mode}"
            ));
            assert_eq!((u.tls, u.connect.get_ssl_mode()), (ours, drivers), "{mode}");
            assert_eq!(u.connect.get_ports(), &[6432]);
        }
        let u = p("postgres://app@db/mcp?sslmode=require&sslrootcert=/etc/ca.pem");
        assert_eq!(u.tls, TlsMode::VerifyCa, "require with a root is verify-ca");
        assert_eq!(u.root_certs, Some(RootCerts::File("/etc/ca.pem".into())));
        let u = p("postgres://app@db/mcp?sslmode=verify-full&sslrootcert=system");
        assert_eq!(u.root_certs, Some(RootCerts::System));
    }

    #[test]
    fn a_unix_socket_host_is_read_and_never_asked_for_tls() {
        let u = PostgresUrl::parse(
            "postgres://app@/mcp?host=/var/run/postgresql&sslmode=require&application_name=x",
        )
        .unwrap();
        assert_eq!(
            u.connect.get_hosts(),
            &[Host::Unix("/var/run/postgresql".into())]
        );
        assert_eq!(u.connect.get_dbname(), Some("mcp"));
        assert_eq!(u.connect.get_application_name(), Some("x"));
        assert_eq!(u.connect.get_ssl_mode(), SslMode::Disable);
        let u = PostgresUrl::parse("postgres:///mcp?host=%2Frun%2Fpg").unwrap();
        assert_eq!(u.connect.get_hosts(), &[Host::Unix("/run/pg".into())]);
    }

    #[test]
    fn what_is_refused_says_why_and_never_quotes_the_password() {
        for (bad, why) in [
            ("mysql://u:hunter2@h/db", "libpq URI"),
            ("db.example.com", "libpq URI"),
            (
                "postgres://u:hunter2@h/db?sslmode=allow",
                "allow is not supported",
            ),
            (
                "postgres://u:hunter2@h/db?sslmode=strict",
                "sslmode must be",
            ),
            ("postgres://u:hunter2@h/db?sslcert=/c.pem", "not supported"),
            ("postgres://u:hunter2@/db", "names no host"),
            ("postgres://u:hunter2@h/db?bogus=1", "bogus"),
        ] {
            let err = PostgresUrl::parse(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn the_shown_form_blanks_the_password() {
        assert_eq!(
            redact("postgres://app:s3cr%40t@db:5432/mcp?sslmode=require"),
            "postgres://app:***@db:5432/mcp?sslmode=require"
        );
        assert_eq!(
            redact("postgres://app@db/mcp?password=hunter2&x=1"),
            "postgres://app@db/mcp?password=***&x=1"
        );
        let u = PostgresUrl::parse("postgres://app:hunter2@db/mcp").unwrap();
        assert_eq!(u.shown(), "postgres://app:***@db/mcp");
        assert!(!format!("{u:?}").contains("hunter2"));
    }
}
