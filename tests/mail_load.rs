//! `link --all-new --send` at size: N new tenants each mailed its own link through a real
//! SMTP server (aiosmtpd) at `mail.per_minute` = 600, never faster than the limit, none
//! lost. CI runs 60 links (about 6 s); the full size, 1,000 links (about 100 s):
//!
//! ```text
//! MCP_ONBOARD_MAIL_LOAD=1000 cargo test --release --test mail_load -- --nocapture
//! ```

mod support_proc;
mod support_smtp;

use std::time::{Duration, Instant};

use serde_json::Value;
use support_proc::*;
use support_smtp::Mode;

const PER_MINUTE: u64 = 600;

#[test]
fn all_new_send_mails_every_link_within_the_limit() {
    let n: usize = std::env::var("MCP_ONBOARD_MAIL_LOAD")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let Some(smtp) = support_smtp::start_or_skip(Mode::Accept) else {
        return;
    };
    let mut w = World::new();
    w.env.extend([
        ("MCP_ONBOARD_MAIL_SMTP_URL".to_owned(), smtp.url()),
        (
            "MCP_ONBOARD_MAIL_FROM".to_owned(),
            "onboarding@parcel.example".to_owned(),
        ),
        (
            "MCP_ONBOARD_MAIL_PER_MINUTE".to_owned(),
            PER_MINUTE.to_string(),
        ),
    ]);
    let mut csv = String::from("slug,contact_email\n");
    for i in 0..n {
        csv.push_str(&format!("t{i:04},owner@t{i:04}.example\n"));
    }
    let file = w.tmp.path().join("tenants.csv");
    std::fs::write(&file, csv).unwrap();
    w.ok(&["tenant", "import", file.to_str().unwrap()]);

    let every = Duration::from_secs(60) / PER_MINUTE as u32;
    let started = Instant::now();
    let mut c = w.command(&["--json", "link", "--all-new", "--send"]);
    let out_file = w.tmp.path().join("load.stdout");
    c.stdout(std::fs::File::create(&out_file).unwrap());
    c.stderr(std::fs::File::create(w.tmp.path().join("load.stderr")).unwrap());
    let mut child = c.spawn().expect("spawning mcp-onboard");
    let limit = every * n as u32 * 3 + Duration::from_secs(60);
    let status = wait_deadline(&mut child, limit).expect("the batch finishes");
    let took = started.elapsed();
    assert!(
        status.success(),
        "{}",
        read(&w.tmp.path().join("load.stderr"))
    );
    let reports: Value = serde_json::from_str(&read(&out_file)).expect("JSON");
    let reports = reports.as_array().expect("an array");
    assert_eq!(reports.len(), n);
    assert!(reports.iter().all(|r| r["mail"]["accepted"] == true));
    let got = smtp.wait_for(n, Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(smtp.received().len(), n, "no tenant mailed twice");
    let mut to: Vec<&str> = got.iter().map(|m| m.rcpt_tos[0].as_str()).collect();
    to.sort_unstable();
    to.dedup();
    assert_eq!(to.len(), n, "each tenant mailed once");
    for r in reports {
        let url = r["url"].as_str().unwrap();
        let slug = r["slug"].as_str().unwrap();
        let m = got
            .iter()
            .find(|m| m.rcpt_tos[0] == format!("owner@{slug}.example"))
            .expect("its mail");
        assert!(m.text().lines().any(|l| l.trim() == url), "{slug}");
    }
    // The limit holds: n mails spaced `every` apart (the first at once) take at least this.
    let floor = every * (n as u32 - 1);
    assert!(
        took >= floor,
        "{n} mails in {took:?}: faster than {PER_MINUTE} a minute"
    );
    eprintln!(
        "mailed {n} links at a limit of {PER_MINUTE}/min in {:.1} s ({:.0} a minute; the limit alone takes {:.1} s)",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64() * 60.0,
        floor.as_secs_f64()
    );
}
