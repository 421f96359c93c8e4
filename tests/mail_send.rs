//! Consent links mailed through a real SMTP server on loopback (aiosmtpd): what it
//! received (recipient, sender, subject, language, the exact link on one line), a relay
//! that refuses (550, not tried again) and one that defers (451, then accepts), the
//! outcome on the tenant's timeline and the audit chain, the relay's login checked online.

mod support_proc;
mod support_smtp;

use rstest::rstest;
use serde_json::Value;
use support_proc::pg::Backend;
use support_proc::*;
use support_smtp::{Mode, SmtpServer};

/// A demo world whose commands mail through `smtp`.
fn world(smtp: &SmtpServer) -> World {
    let mut w = World::new();
    w.env.extend([
        ("MCP_ONBOARD_MAIL_SMTP_URL".to_owned(), smtp.url()),
        (
            "MCP_ONBOARD_MAIL_FROM".to_owned(),
            "Parcel AI <onboarding@parcel.example>".to_owned(),
        ),
        (
            "MCP_ONBOARD_MAIL_REPLY_TO".to_owned(),
            "help@parcel.example".to_owned(),
        ),
        ("MCP_ONBOARD_MAIL_PER_MINUTE".to_owned(), "600".to_owned()),
    ]);
    w
}

/// Every log file the world's processes wrote, read.
fn logs(w: &World) -> String {
    let mut all = String::new();
    let mut dirs = vec![w.tmp.path().to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("mcp-onboard.log"))
            {
                all.push_str(&String::from_utf8_lossy(
                    &std::fs::read(&p).unwrap_or_default(),
                ));
            }
        }
    }
    all
}

fn events_of(t: &Value, kind: &str) -> Vec<String> {
    t["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["kind"] == kind)
        .map(|e| e["detail"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// `world` with its store on `backend` (PostgreSQL: not the demo, whose store is sled).
fn world_on(smtp: &SmtpServer, backend: Backend) -> Option<World> {
    let mut w = world(smtp).on(backend)?;
    if backend == Backend::Postgres {
        w.demo = false;
        w.env.extend(
            [
                ("GOOGLE_CLIENT_ID", "id.apps.googleusercontent.com"),
                ("GOOGLE_CLIENT_SECRET", "s3cret"),
                ("BL_WORKSPACE", "ws"),
                ("BL_API_KEY", "bl_key"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
    }
    Some(w)
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
fn link_send_mails_the_exact_link_in_the_tenants_language_and_records_it(#[case] backend: Backend) {
    let Some(smtp) = support_smtp::start_or_skip(Mode::Accept) else {
        return;
    };
    let Some(w) = world_on(&smtp, backend) else {
        return;
    };
    w.ok(&[
        "tenant",
        "add",
        "acme",
        "--name",
        "Acme GmbH",
        "--lang",
        "de",
        "--contact-email",
        "Jane.Roe@Acme.example",
    ]);
    let sent = w.json(&["link", "acme", "--send"]);
    let url = sent["url"].as_str().expect("the link").to_owned();
    assert_eq!(sent["mail"]["accepted"], true, "{sent:#}");
    assert_eq!(sent["mail"]["to"], "Jane.Roe@acme.example", "{sent:#}");
    let got = smtp.wait_for(1, std::time::Duration::from_secs(10));
    let m = &got[0];
    assert_eq!(m.rcpt_tos, ["Jane.Roe@acme.example"]);
    assert_eq!(m.mail_from, "onboarding@parcel.example");
    assert!(
        m.from
            .as_deref()
            .is_some_and(|f| f.contains("onboarding@parcel.example") && f.contains("Parcel AI")),
        "{:?}",
        m.from
    );
    assert_eq!(m.reply_to.as_deref(), Some("help@parcel.example"));
    assert_eq!(m.content_language.as_deref(), Some("de"));
    let subject = m.subject.as_deref().unwrap_or_default();
    assert!(
        subject.contains("Google-Konto") && subject.contains("Acme GmbH"),
        "{subject}"
    );
    let body = m.text();
    assert!(
        body.lines().any(|l| l.trim() == url),
        "the whole link on one line:\n{body}"
    );
    assert!(body.contains("Acme GmbH"), "{body}");
    let raw_body = m
        .raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    assert!(
        raw_body.contains(&url),
        "the raw body carries the link as is:\n{}",
        m.raw
    );
    assert!(
        !raw_body.contains("=\r\n"),
        "no soft line break:\n{}",
        m.raw
    );
    assert_eq!(
        sent["mail"]["queue_id"], m.queue_id,
        "the relay's queue id is kept"
    );

    // On the tenant: its last mail, the timeline entry with the queue id; and the command
    // on the audit chain.
    let t = w.json(&["tenant", "show", "acme"]);
    assert_eq!(t["last_mail"]["outcome"], "accepted", "{t:#}");
    let said = events_of(&t, "link_mailed");
    assert_eq!(said.len(), 1, "{t:#}");
    assert!(
        said[0].contains(&m.queue_id) && said[0].contains("Jane.Roe@acme.example"),
        "{said:?}"
    );
    let text = w.ok(&["tenant", "show", "acme"]);
    assert!(text.contains("mail to:  Jane.Roe@acme.example"), "{text}");
    assert!(
        text.contains("mailed:") && text.contains(&m.queue_id),
        "{text}"
    );
    let audit = w.ok(&["audit", "--json", "--tenant", "acme"]);
    assert!(
        audit.contains("record_mail") && audit.contains(&m.queue_id),
        "{audit}"
    );
    // The link is a bearer credential: in the mail, nowhere in the logs or the audit.
    let code = url.rsplit('/').next().unwrap();
    assert!(!audit.contains(code));
    let log = logs(&w);
    assert!(log.contains("consent link mailed"), "the send is logged");
    assert!(!log.contains(code), "the link is never logged");
}

#[test]
fn a_tenant_without_an_address_is_named_and_gets_no_link_one_with_an_account_is_mailed_there() {
    let Some(smtp) = support_smtp::start_or_skip(Mode::Accept) else {
        return;
    };
    let w = world(&smtp);
    w.ok(&["tenant", "add", "gamma"]);
    let out = w.run(&["link", "gamma", "--send"]);
    assert!(!out.ok());
    assert!(
        out.stderr.contains("gamma has no address") && out.stderr.contains("--contact-email"),
        "{}",
        out.stderr
    );
    let t = w.json(&["tenant", "show", "gamma"]);
    assert_eq!(
        t["links"].as_array().map(Vec::len),
        Some(0),
        "no link issued: {t:#}"
    );
    w.ok(&["tenant", "add", "beta", "--email", "owner@beta.example"]);
    w.ok(&["link", "beta", "--send"]);
    let got = smtp.wait_for(1, std::time::Duration::from_secs(10));
    assert_eq!(got[0].rcpt_tos, ["owner@beta.example"]);
    assert_eq!(got[0].content_language.as_deref(), Some("en"));
    // An address that would smuggle a second recipient is refused when set.
    let out = w.run(&[
        "tenant",
        "edit",
        "beta",
        "--contact-email",
        "a@b.example, c@d.example",
    ]);
    assert!(
        !out.ok() && out.stderr.contains("more than one recipient"),
        "{}",
        out.stderr
    );
    let out = w.run(&[
        "tenant",
        "edit",
        "beta",
        "--contact-email",
        "a@b.example\nBcc: c@d.example",
    ]);
    assert!(
        !out.ok() && out.stderr.contains("control character"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_permanent_refusal_is_recorded_with_the_relays_reply_and_not_tried_again() {
    let Some(smtp) = support_smtp::start_or_skip(Mode::Refuse(550)) else {
        return;
    };
    let w = world(&smtp);
    w.ok(&[
        "tenant",
        "add",
        "acme",
        "--contact-email",
        "jane@acme.example",
    ]);
    let out = w.run(&["link", "acme", "--send"]);
    assert!(!out.ok(), "a refused mail fails the command");
    assert!(out.stderr.contains("550"), "{}", out.stderr);
    // The link was issued and printed all the same: it is not lost.
    assert!(out.stdout.contains("/c/"), "{}", out.stdout);
    assert_eq!(smtp.attempts(), 1, "a 5xx is not tried again");
    assert!(smtp.received().is_empty());
    let t = w.json(&["tenant", "show", "acme"]);
    let said = events_of(&t, "link_mail_refused");
    assert_eq!(said.len(), 1, "{t:#}");
    assert!(
        said[0].contains("550") && said[0].contains("refused by the relay"),
        "{said:?}"
    );
    assert_eq!(t["mailed"]["accepted"], false, "{t:#}");
}

#[test]
fn a_temporary_refusal_is_tried_again_and_then_accepted() {
    let Some(smtp) = support_smtp::start_or_skip(Mode::TempFail(1)) else {
        return;
    };
    let w = world(&smtp);
    w.ok(&[
        "tenant",
        "add",
        "acme",
        "--contact-email",
        "jane@acme.example",
    ]);
    let sent = w.json(&["link", "acme", "--send"]);
    assert_eq!(sent["mail"]["accepted"], true, "{sent:#}");
    assert_eq!(sent["mail"]["attempts"], 2, "{sent:#}");
    assert_eq!(smtp.attempts(), 2);
    assert_eq!(smtp.received().len(), 1);
    let t = w.json(&["tenant", "show", "acme"]);
    let said = events_of(&t, "link_mailed");
    assert!(said[0].contains("after 2 tries"), "{said:?}");
}

#[test]
fn all_new_send_mails_each_new_link_to_its_own_tenant_and_names_those_without_an_address() {
    let Some(smtp) = support_smtp::start_or_skip(Mode::Accept) else {
        return;
    };
    let w = world(&smtp);
    let mut csv = String::from("slug,name,contact_email\n");
    for i in 0..8 {
        csv.push_str(&format!("t{i},Tenant {i},owner{i}@t{i}.example\n"));
    }
    csv.push_str("nomail1,No Mail 1,\nnomail2,No Mail 2,\n");
    let file = w.tmp.path().join("tenants.csv");
    std::fs::write(&file, csv).unwrap();
    w.ok(&["tenant", "import", file.to_str().unwrap()]);
    let out = w.run(&["--json", "link", "--all-new", "--send"]);
    assert!(!out.ok(), "two were not mailed: {}", out.stderr);
    let reports: Value = serde_json::from_str(&out.stdout).expect("JSON");
    let reports = reports.as_array().expect("an array");
    assert_eq!(reports.len(), 10);
    let got = smtp.wait_for(8, std::time::Duration::from_secs(20));
    for r in reports {
        let slug = r["slug"].as_str().unwrap();
        if slug.starts_with("nomail") {
            assert_eq!(r["mail"]["accepted"], false);
            assert!(
                r["mail"]["not_sent"]
                    .as_str()
                    .unwrap()
                    .contains("no address"),
                "{r:#}"
            );
            continue;
        }
        let to = format!("owner{}@{slug}.example", &slug[1..]);
        let m = got
            .iter()
            .find(|m| m.rcpt_tos == [to.clone()])
            .expect("mailed");
        let url = r["url"].as_str().unwrap();
        assert!(
            m.text().lines().any(|l| l.trim() == url),
            "{slug} gets its own link"
        );
    }
    let text = w.run(&["link", "--all-new", "--send"]);
    assert!(text.ok(), "nothing new: {}", text.stderr);
    // The summary of the first run, for people: rerun it on a fresh world.
    let w2 = world(&smtp);
    w2.ok(&[
        "tenant",
        "add",
        "solo",
        "--contact-email",
        "solo@solo.example",
    ]);
    w2.ok(&["tenant", "add", "nobody"]);
    let out = w2.run(&["link", "--all-new", "--send"]);
    assert!(out.stdout.contains("mailed 1 of 2 links"), "{}", out.stdout);
    assert!(out.stdout.contains("nobody: not mailed"), "{}", out.stdout);
    assert!(
        out.stderr.contains("1 of 2 links were not mailed"),
        "{}",
        out.stderr
    );
}

#[test]
fn config_check_online_says_whether_the_relay_accepts_our_login() {
    let Some(smtp) = support_smtp::start_or_skip(Mode::Auth {
        user: "ops".into(),
        pass: "right-pass-123".into(),
    }) else {
        return;
    };
    let mut w = world(&smtp);
    w.env.push(("MCP_ONBOARD_MAIL_USER".into(), "ops".into()));
    let line = |w: &World| -> Value {
        let out = w.run(&["--json", "config", "check", "--online"]);
        let v: Value = serde_json::from_str(&out.stdout).expect("JSON");
        v["online"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == "mail")
            .cloned()
            .expect("a mail line")
    };
    w.env
        .push(("MCP_ONBOARD_MAIL_PASSWORD".into(), "wrong-pass-456".into()));
    let bad = line(&w);
    assert_eq!(bad["level"], "fail", "{bad:#}");
    assert!(!bad.to_string().contains("wrong-pass-456"), "{bad:#}");
    w.env.pop();
    w.env
        .push(("MCP_ONBOARD_MAIL_PASSWORD".into(), "right-pass-123".into()));
    let good = line(&w);
    assert_eq!(good["level"], "ok", "{good:#}");
    assert!(
        good["detail"]
            .as_str()
            .unwrap()
            .contains("accepts our login as ops"),
        "{good:#}"
    );
    let text = w.ok(&["config", "check"]);
    assert!(
        text.contains("mail:") && text.contains("as ops (password set)"),
        "{text}"
    );
}
