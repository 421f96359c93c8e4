//! Mailing consent links from the console in a real terminal: the real binary in tmux, the
//! relay a real SMTP server on loopback. `m` mails the selected tenant a new link, `M` one
//! to each tenant the filter shows after a question naming who has no address; the table
//! then says each was mailed, and when.
//!
//! Needs `tmux` and `python3` with `aiosmtpd` (the CI job installs them).

mod support_proc;
mod support_smtp;
mod support_tty;

use std::time::Duration;

use support_proc::*;
use support_smtp::{Mode, SmtpServer};
use support_tty::*;

/// How long the relay may take to see the mails (one a second at the default limit).
const MAIL_WAIT: Duration = Duration::from_secs(60);

/// Whether `row` says a link was mailed today: `✉ HH:MM`.
fn mailed_today(row: &str) -> bool {
    row.match_indices("✉ ").any(|(at, m)| {
        let t: Vec<char> = row[at + m.len()..].chars().take(5).collect();
        t.len() == 5 && t[2] == ':' && [0, 1, 3, 4].iter().all(|i| t[*i].is_ascii_digit())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m_and_big_m_mail_links_through_the_relay_and_the_table_says_when() {
    if !tmux_here() || !support_smtp::available() {
        eprintln!("SKIPPED: needs tmux and python3 with aiosmtpd");
        return;
    }
    let relay = SmtpServer::start(Mode::Accept);
    let mut w = real_world();
    for (k, v) in [
        ("BL_WORKSPACE", "acme-prod"),
        ("BL_API_KEY", "bl_it_key"),
        // Nobody answers there: the provisioner runs, nothing is provisioned.
        ("BL_API_URL", "http://127.0.0.1:9/v0"),
        (
            "MCP_ONBOARD_MAIL_FROM",
            "Acme Onboarding <onboarding@acme.example>",
        ),
    ] {
        w.env.push((k.into(), v.into()));
    }
    w.env
        .push(("MCP_ONBOARD_MAIL_SMTP_URL".into(), relay.url()));
    let _serve = w.serve();
    w.ok(&["tenant", "add", "zulu"]);
    // The console attached to it mails through the relay of its own configuration.
    let tty = Tty::start(&w, w.command(&[]), "attached", 120, 40);
    tty.wait(
        "the console attached to serve, saying zulu has no address",
        |s| {
            row(s, "zulu").is_some()
                && s.contains("attached to pid")
                && s.contains("mail     no address: `mcp-onboard tenant edit zulu")
        },
    );
    for (slug, name, to) in [
        ("acme", "Acme Mailtest", Some("ann@acme.example")),
        ("bolt", "Bolt Mailtest", None),
        ("cargo", "Cargo Mailtest", Some("cy@cargo.example")),
    ] {
        let mut args = vec!["tenant", "add", slug, "--name", name];
        if let Some(to) = to {
            args.extend(["--contact-email", to]);
        }
        w.ok(&args);
    }
    tty.wait("the three new tenants", |s| {
        ["acme", "bolt", "cargo"]
            .iter()
            .all(|t| row(s, t).is_some())
    });

    // `m` on acme: a new link, mailed to its address; its row says when.
    tty.keys(&["/"]);
    tty.text("acme");
    tty.keys(&["Enter"]);
    tty.wait("acme alone", |s| {
        row(s, "acme").is_some() && row(s, "bolt").is_none()
    });
    tty.keys(&["m"]);
    tty.wait("the mail's end said", |s| {
        s.contains("link ") && s.contains("mailed")
    });
    let got = relay.wait_for_async(1, MAIL_WAIT).await;
    assert_eq!(got[0].rcpt_tos, ["ann@acme.example"]);
    assert!(
        got[0].text().contains(&format!("{}/c/", w.base_url())),
        "{}",
        got[0].text()
    );
    tty.wait("acme mailed, said in the flash line and its row", |s| {
        s.contains("mailed to ann@acme.example: the relay accepted it")
            && row(s, "acme").is_some_and(mailed_today)
    });

    // `M` over the filter's rows: the question names who has no address; yes mails the rest.
    // Esc alone: followed at once by another key it would read as Alt and that key.
    tty.keys(&["Escape"]);
    tty.wait("the filter cleared", |s| row(s, "zulu").is_some());
    tty.keys(&["/"]);
    tty.text("mailtest");
    tty.keys(&["Enter"]);
    tty.wait("the three", |s| {
        ["acme", "bolt", "cargo"]
            .iter()
            .all(|t| row(s, t).is_some())
            && row(s, "zulu").is_none()
    });
    tty.keys(&["M"]);
    let s = tty.wait("the question", |s| s.contains("Are you sure?"));
    assert!(s.contains("each of the 2 tenants shown by"), "{s}");
    assert!(s.contains("address: bolt."), "{s}");
    tty.keys(&["y"]);
    let got = relay.wait_for_async(3, MAIL_WAIT).await;
    let mut to: Vec<&str> = got[1..].iter().map(|r| r.rcpt_tos[0].as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["ann@acme.example", "cy@cargo.example"]);
    tty.wait("the summary, and cargo's row mailed", |s| {
        s.contains("mailed 2 links, 1 without an address. Without an address: bolt.")
            && row(s, "cargo").is_some_and(mailed_today)
            && row(s, "bolt").is_some_and(|r| !mailed_today(r))
    });

    tty.keys(&["q"]);
    assert_eq!(tty.exit_code(), 0, "stderr: {}", tty.stderr());
}
