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
