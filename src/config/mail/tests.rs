use std::collections::HashMap;

use secrecy::ExposeSecret;

use super::*;
use crate::config::Config;

fn load(env: &[(&str, &str)], file: Option<&str>) -> Result<Option<MailConfig>, ConfigError> {
    let map: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    if let Some(text) = file {
        std::fs::write(&path, text).unwrap();
    }
    let at = file.map(|_| path.as_path());
    Config::load(at, false, &|k| map.get(k).cloned()).map(|c| c.mail)
}

#[test]
fn mail_is_off_without_a_relay_and_reads_file_and_environment() {
    assert!(load(&[], None).unwrap().is_none());
    let m = load(
        &[
            ("MCP_ONBOARD_MAIL_USER", "ops"),
            ("MCP_ONBOARD_MAIL_PASSWORD", "s3cret"),
        ],
        Some(
            "[mail]\nsmtp_url = \"smtps://relay.example.com\"\nfrom = \"Parcel AI <onboarding@parcel.example>\"\nreply_to = \"help@parcel.example\"\nper_minute = 600\n",
        ),
    )
    .unwrap()
    .unwrap();
    assert_eq!(m.relay.shown(), "smtps://relay.example.com:465");
    assert_eq!(m.relay.tls, RelayTls::Wrapper);
    assert_eq!(m.from, "Parcel AI <onboarding@parcel.example>");
    assert_eq!(m.reply_to.as_deref(), Some("help@parcel.example"));
    assert_eq!(m.per_minute.get(), 600);
    assert_eq!(m.user.as_deref(), Some("ops"));
    assert_eq!(m.password.as_ref().unwrap().expose_secret(), "s3cret");
    assert!(
        !format!("{m:?}").contains("s3cret"),
        "the password is never shown"
    );
    let m = load(
        &[
            ("MCP_ONBOARD_MAIL_SMTP_URL", "smtp://relay.example.com"),
            ("MCP_ONBOARD_MAIL_FROM", "onboarding@parcel.example"),
        ],
        None,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        (m.relay.tls, m.relay.port, m.per_minute.get()),
        (RelayTls::StartTls, 587, MAIL_PER_MINUTE),
        "off loopback, plain smtp:// means STARTTLS required"
    );
    for host in ["127.0.0.1:2525", "localhost:25", "[::1]:2525"] {
        let url = format!("smtp://{host}");
        let m = load(
            &[
                ("MCP_ONBOARD_MAIL_SMTP_URL", url.as_str()),
                ("MCP_ONBOARD_MAIL_FROM", "a@b.example"),
            ],
            None,
        )
        .unwrap()
        .unwrap();
        assert_eq!(m.relay.tls, RelayTls::None, "{host}");
    }
}

#[test]
fn bad_mail_settings_are_refused_and_named() {
    let from = ("MCP_ONBOARD_MAIL_FROM", "a@b.example");
    for (env, file, says) in [
        (
            vec![],
            "[mail]\nsmtp_url = \"smtps://r.example\"\nfrom = \"a@b.example\"\npassword = \"hunter2\"\n",
            "MCP_ONBOARD_MAIL_PASSWORD",
        ),
        (
            vec![
                ("MCP_ONBOARD_MAIL_SMTP_URL", "smtps://ops:hunter2@r.example"),
                from,
            ],
            "",
            "MCP_ONBOARD_MAIL_USER",
        ),
        (
            vec![("MCP_ONBOARD_MAIL_SMTP_URL", "https://r.example"), from],
            "",
            "smtps:// or smtp://",
        ),
        (
            vec![
                ("MCP_ONBOARD_MAIL_SMTP_URL", "smtps://r.example/x?tls=none"),
                from,
            ],
            "",
            "only scheme, host and port",
        ),
        (
            vec![("MCP_ONBOARD_MAIL_SMTP_URL", "smtps://r.example")],
            "",
            "mail.from",
        ),
        (
            vec![
                ("MCP_ONBOARD_MAIL_SMTP_URL", "smtps://r.example"),
                ("MCP_ONBOARD_MAIL_FROM", "a@b.example, c@d.example"),
            ],
            "",
            "one address",
        ),
        (
            vec![
                ("MCP_ONBOARD_MAIL_SMTP_URL", "smtps://r.example"),
                from,
                ("MCP_ONBOARD_MAIL_PER_MINUTE", "0"),
            ],
            "",
            "mail.per_minute",
        ),
        (
            vec![
                ("MCP_ONBOARD_MAIL_SMTP_URL", "smtps://r.example"),
                from,
                ("MCP_ONBOARD_MAIL_PASSWORD", "x"),
            ],
            "",
            "MCP_ONBOARD_MAIL_USER",
        ),
    ] {
        let file = (!file.is_empty()).then_some(file);
        let err = load(&env, file).unwrap_err().to_string();
        assert!(err.contains(says), "{env:?} {file:?}: {err}");
        assert!(
            !err.contains("hunter2"),
            "a password is never repeated: {err}"
        );
    }
}

/// A certificate authority's certificate, PEM.
fn authority_pem(name: &str) -> String {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let key = rcgen::KeyPair::generate().unwrap();
    params.self_signed(&key).unwrap().pem()
}

/// The `[mail]` of a config file `file` written in `dir`, with a relay and a sender set.
fn load_in(
    dir: &std::path::Path,
    env: &[(&str, String)],
    file: &str,
) -> Result<Option<MailConfig>, ConfigError> {
    let mut map: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    map.insert(
        "MCP_ONBOARD_MAIL_SMTP_URL".into(),
        "smtps://relay.corp.example".into(),
    );
    map.insert("MCP_ONBOARD_MAIL_FROM".into(), "a@b.example".into());
    let path = dir.join("config.toml");
    std::fs::write(&path, file).unwrap();
    Config::load(Some(&path), false, &|k| map.get(k).cloned()).map(|c| c.mail)
}

#[test]
fn ca_file_is_read_from_the_config_files_folder_or_as_the_environment_names_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tls")).unwrap();
    let two = format!(
        "{}{}",
        authority_pem("Corp Root"),
        authority_pem("Corp Old Root")
    );
    std::fs::write(dir.path().join("tls/relay-ca.pem"), &two).unwrap();
    let m = load_in(dir.path(), &[], "[mail]\nca_file = \"tls/relay-ca.pem\"\n")
        .unwrap()
        .unwrap();
    let roots = m.roots.expect("the authorities are kept");
    assert_eq!(roots.path, dir.path().join("tls/relay-ca.pem"));
    assert_eq!(roots.der.len(), 2, "every certificate of the file");
    let first = rustls_pki_types::CertificateDer::pem_slice_iter(two.as_bytes())
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(roots.der[0], first.to_vec(), "kept as DER");
    let shown = format!("{roots:?}");
    assert!(shown.contains("certificates: 2"), "{shown}");

    // The environment's path is taken as it is (here absolute), and wins over the file's.
    std::fs::write(dir.path().join("one.pem"), authority_pem("Env Root")).unwrap();
    let env_path = dir.path().join("one.pem").display().to_string();
    let m = load_in(
        dir.path(),
        &[("MCP_ONBOARD_MAIL_CA_FILE", env_path)],
        "[mail]\nca_file = \"tls/relay-ca.pem\"\n",
    )
    .unwrap()
    .unwrap();
    let roots = m.roots.unwrap();
    assert_eq!(roots.path, dir.path().join("one.pem"));
    assert_eq!(roots.der.len(), 1);

    let m = load_in(dir.path(), &[], "").unwrap().unwrap();
    assert!(m.roots.is_none(), "only the public roots unless told");
}

#[test]
fn a_missing_empty_or_foreign_ca_file_is_refused_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let key_only = rcgen::KeyPair::generate().unwrap().serialize_pem();
    let broken =
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
    let bad_base64 = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    let huge = "x".repeat(1024 * 1024 + 1);
    for (name, text, says) in [
        ("empty.pem", Some(""), "no certificate"),
        ("words.pem", Some("just some words\n"), "no certificate"),
        ("key.pem", Some(key_only.as_str()), "no certificate"),
        (
            "broken.pem",
            Some(broken),
            "cannot be used as a trust anchor",
        ),
        ("base64.pem", Some(bad_base64), "not a PEM file"),
        ("absent.pem", None, "cannot read it"),
        (".", None, "not a regular file"),
        ("huge.pem", Some(&huge), "larger than 1024 KiB"),
    ] {
        if let Some(text) = text {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let err = load_in(dir.path(), &[], &format!("[mail]\nca_file = \"{name}\"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("mail.ca_file") && err.contains(name) && err.contains(says),
            "{name}: {err}"
        );
    }
}
