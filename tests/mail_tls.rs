//! Consent links mailed over TLS (`smtps://`) to a real SMTP server on loopback (aiosmtpd)
//! whose certificate comes from a test authority: trusted through `mail.ca_file`, the link
//! is mailed; an authority not trusted, or a certificate for another name, and the relay is
//! refused before any link is issued, with no mail sent.

mod support_proc;
mod support_smtp;

use rstest::rstest;
use support_proc::*;
use support_smtp::{Mode, SmtpServer};

/// A certificate authority: its certificate (PEM) and what signs with it.
struct Authority {
    pem: String,
    cert: rcgen::Certificate,
    key: rcgen::KeyPair,
}

impl Authority {
    fn new(name: &str) -> Authority {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Authority {
            pem: cert.pem(),
            cert,
            key,
        }
    }

    /// A relay's certificate for `host`, signed by this authority: (cert PEM, key PEM).
    fn issue(&self, host: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![host.to_owned()])
            .unwrap()
            .signed_by(&key, &self.cert, &self.key)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

/// A relay on loopback speaking TLS with a certificate for `host` from `authority`.
fn relay(authority: &Authority, host: &str) -> Option<SmtpServer> {
    let (cert_pem, key_pem) = authority.issue(host);
    support_smtp::start_or_skip(Mode::Tls { cert_pem, key_pem })
}

/// A demo world mailing through `smtp`, trusting `trusted` besides the public roots, with
/// the tenant `acme` that has an address.
fn world(smtp: &SmtpServer, trusted: Option<&Authority>) -> World {
    let mut w = World::new();
    w.env.extend([
        ("MCP_ONBOARD_MAIL_SMTP_URL".to_owned(), smtp.url()),
        (
            "MCP_ONBOARD_MAIL_FROM".to_owned(),
            "Parcel AI <onboarding@parcel.example>".to_owned(),
        ),
    ]);
    if let Some(a) = trusted {
        let file = w.tmp.path().join("relay-ca.pem");
        std::fs::write(&file, &a.pem).unwrap();
        w.env.push((
            "MCP_ONBOARD_MAIL_CA_FILE".to_owned(),
            file.display().to_string(),
        ));
    }
    w.ok(&[
        "tenant",
        "add",
        "acme",
        "--contact-email",
        "jane@acme.example",
    ]);
    w
}

#[test]
fn a_relay_certified_by_the_configured_authority_gets_the_link_over_tls() {
    let corp = Authority::new("Parcel Corp Root");
    let Some(smtp) = relay(&corp, "localhost") else {
        return;
    };
    assert!(
        smtp.url().starts_with("smtps://localhost:"),
        "{}",
        smtp.url()
    );
    let w = world(&smtp, Some(&corp));
    let check = w.ok(&["config", "check"]);
    assert!(
        check.contains("(TLS)") && check.contains("trusts 1 authority of"),
        "{check}"
    );
    let sent = w.json(&["link", "acme", "--send"]);
    assert_eq!(sent["mail"]["accepted"], true, "{sent:#}");
    let url = sent["url"].as_str().expect("the link");
    let got = smtp.wait_for(1, std::time::Duration::from_secs(10));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt_tos, ["jane@acme.example"]);
    assert_eq!(sent["mail"]["queue_id"], got[0].queue_id, "{sent:#}");
    let body = got[0].text();
    assert!(
        body.lines().any(|l| l.trim() == url),
        "the whole link on one line:\n{body}"
    );
}

/// What the world trusts besides the public roots.
#[derive(Debug, Clone, Copy)]
enum Trust {
    Nothing,
    AnotherAuthority,
    TheRelaysAuthority,
}

#[rstest]
#[case::without_the_authority(Trust::Nothing, "localhost", "UnknownIssuer")]
#[case::trusting_another_authority(Trust::AnotherAuthority, "localhost", "UnknownIssuer")]
#[case::for_another_name(
    Trust::TheRelaysAuthority,
    "relay.other.example",
    "not valid for name \"localhost\""
)]
fn a_relay_whose_certificate_is_not_trusted_is_refused_before_a_link_is_issued(
    #[case] trust: Trust,
    #[case] certified_for: &str,
    #[case] because: &str,
) {
    let corp = Authority::new("Parcel Corp Root");
    let Some(smtp) = relay(&corp, certified_for) else {
        return;
    };
    let another = Authority::new("Someone Else's Root");
    let trusted = match trust {
        Trust::Nothing => None,
        Trust::AnotherAuthority => Some(&another),
        Trust::TheRelaysAuthority => Some(&corp),
    };
    let w = world(&smtp, trusted);
    let out = w.run(&["link", "acme", "--send"]);
    assert!(!out.ok(), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(&smtp.url()) && out.stderr.contains("no link was issued"),
        "the relay is named: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("certificate") && out.stderr.contains(because),
        "says why ({because}): {}",
        out.stderr
    );
    assert!(!out.stdout.contains("/c/"), "no link: {}", out.stdout);
    let t = w.json(&["tenant", "show", "acme"]);
    assert_eq!(
        t["links"].as_array().map(Vec::len),
        Some(0),
        "no link issued: {t:#}"
    );
    assert_eq!(smtp.attempts(), 0, "nothing was offered to the relay");
    assert!(smtp.received().is_empty());
}
