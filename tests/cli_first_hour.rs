//! The CLI as a new operator meets it in the first hour, in real processes: commands that
//! only read create nothing, a new link says what becomes of the earlier ones (`--replace`
//! withdraws them), a wrong option shows the command's options, the names people try are
//! accepted, the ready-to-send message has one line per paragraph and a readable expiry,
//! and output into a closed pipe ends quietly.

mod common;
mod support_proc;

use std::path::Path;
use std::process::Stdio;

use serde_json::Value;
use support_proc::*;

/// Every path under `dir` (empty when it holds nothing, or does not exist).
fn everything_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            out.push(p.display().to_string());
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    out
}

#[test]
fn commands_that_only_read_create_nothing_and_say_how_to_start() {
    let mut w = World::new();
    w.demo = false;
    let home = w.tmp.path().join("home");
    let data_dir = home.join(".local/share/mcp-onboard");
    let backup = w.tmp.path().join("backup.bin");
    let backup = backup.to_str().expect("utf-8 path");
    for args in [
        &["tenant", "list"][..],
        &["status"],
        &["export"],
        &["audit"],
        &["audit", "verify"],
        &["tenant", "show", "x"],
        &["tenant", "links", "x"],
        &["backup", backup],
        &["health", "x"],
        &["watch"],
        &["key", "rotate"],
        &["retry", "x"],
    ] {
        let out = w.run_command(w.command_at_home(args), args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!(
                "nothing here yet: no database in {}",
                data_dir.display()
            )) && out.stderr.contains("`mcp-onboard serve`")
                && out.stderr.contains("--demo"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("note:"), "{args:?}: {}", out.stderr);
        assert_eq!(everything_under(&home), Vec::<String>::new(), "{args:?}");
        assert!(!Path::new(backup).exists(), "{args:?}");
    }

    // With --json the error is the usual object, on stderr.
    let args = ["--json", "tenant", "list"];
    let out = w.run_command(w.command_at_home(&args), &args);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    let err: Value = serde_json::from_str(out.stderr.trim()).expect("a JSON error");
    assert_eq!(err["error"]["code"], "not_found", "{err:#}");
    assert!(
        err["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("nothing here yet")),
        "{err:#}"
    );

    // `config check` checks the configuration and says there is no database yet.
    let args = ["config", "check"];
    let out = w.run_command(w.command_at_home(&args), &args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "no Google client: {}",
        out.stderr
    );
    assert!(out.stderr.contains("GOOGLE_CLIENT_ID"), "{}", out.stderr);
    assert!(
        out.stdout
            .contains("database:     none yet (`mcp-onboard serve` or the console creates it"),
        "{}",
        out.stdout
    );
    assert_eq!(everything_under(&home), Vec::<String>::new());

    // A command that adds something creates the database, and says so.
    let args = ["tenant", "add", "acme"];
    let out = w.run_command(w.command_at_home(&args), &args);
    assert!(out.ok(), "{}", out.stderr);
    assert!(out.stderr.contains("creating a new one"), "{}", out.stderr);
    assert!(data_dir.join("db").exists());
    assert!(home.join(".config/mcp-onboard/secret.key").exists());
    let args = ["tenant", "list"];
    let out = w.run_command(w.command_at_home(&args), &args);
    assert!(out.ok() && out.stdout.contains("acme"), "{}", out.stderr);
}

#[test]
fn a_console_without_demo_beside_a_running_demo_asks_before_creating_a_real_database() {
    let mut w = World::new();
    let _demo = w.serve();
    let home = w.tmp.path().join("home");
    let real = home.join(".local/share/mcp-onboard");
    let console = w.command_at_home(&[]);
    // A terminal for the console (`script` from util-linux); the answer is typed into it.
    let (mut unset, mut set) = (String::new(), String::new());
    for (k, v) in console.get_envs() {
        let k = k.to_str().expect("env name");
        match v {
            Some(v) => set += &format!(" '{k}={}'", v.to_str().expect("env")),
            None => unset += &format!(" -u {k}"),
        }
    }
    let line = format!("exec env{unset}{set} '{BIN}'");
    let mut script = std::process::Command::new("script");
    script
        .args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = script.spawn().expect("script (util-linux)");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"n\n").expect("answer");
    }
    let out = child.wait_with_output().expect("the console");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("A --demo owner is running")
            && text.contains(&format!("no database in {} yet", real.display()))
            && text.contains("[y/N]"),
        "{text}"
    );
    assert!(text.contains("nothing created"), "{text}");
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!real.join("db").exists() && !real.join("logs").exists());
    assert!(!home.join(".config/mcp-onboard/secret.key").exists());
}

#[test]
fn a_new_link_says_the_earlier_ones_stay_valid_and_replace_withdraws_them() {
    let w = World::new();
    w.ok(&["tenant", "add", "acme"]);
    let first = w.json(&["link", "acme"]);
    assert_eq!(first["earlier_active"], 0, "{first:#}");
    assert_eq!(first["withdrawn"], serde_json::json!([]), "{first:#}");

    let out = w.run(&["link", "acme"]);
    assert!(out.ok(), "{}", out.stderr);
    let notes: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("earlier link"))
        .collect();
    assert_eq!(notes.len(), 1, "{}", out.stderr);
    assert!(
        notes[0].starts_with("note: 1 earlier link of acme stays valid until ")
            && notes[0].ends_with("; `--replace` withdraws it"),
        "{}",
        notes[0]
    );

    let third = w.json(&["link", "acme"]);
    assert_eq!(third["earlier_active"], 2, "{third:#}");
    assert!(third["earlier_active_until"].is_string(), "{third:#}");

    let out = w.run(&["--json", "link", "acme", "--replace"]);
    assert!(out.ok(), "{}", out.stderr);
    let new: Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(new["earlier_active"], 0, "{new:#}");
    let withdrawn: Vec<&str> = new["withdrawn"]
        .as_array()
        .expect("withdrawn ids")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(withdrawn.len(), 3, "{new:#}");
    assert!(withdrawn.contains(&s(&first, "id")) && withdrawn.contains(&s(&third, "id")));

    let t = w.tenant("acme");
    let states: Vec<(&str, &str)> = t["links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|l| (s(l, "id"), s(l, "state")))
        .collect();
    assert_eq!(states.len(), 4, "{t:#}");
    for (id, state) in &states {
        let want = if *id == s(&new, "id") {
            "active"
        } else {
            "revoked"
        };
        assert_eq!(*state, want, "{id}: {t:#}");
    }
    let replaced = format!("(replaced by link {})", s(&new, "id"));
    assert!(
        t["events"]
            .as_array()
            .expect("timeline")
            .iter()
            .any(|e| e["detail"].as_str().is_some_and(|d| d.ends_with(&replaced))),
        "{t:#}"
    );

    // Text mode says what was withdrawn.
    let out = w.run(&["link", "acme", "--replace"]);
    assert!(
        out.stderr.contains(&format!(
            "note: withdrew 1 earlier link ({}): only the new one works now",
            s(&new, "id")
        )),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn replace_withdraws_in_the_same_commit_and_ends_the_flows_started_through_the_old_links() {
    use mcp_onboard::engine::{Command, Reply};
    let h = common::harness().await;
    h.add("acme", None, None).await;
    let old = h.link("acme").await;
    let started = h.start(&old).await;
    let Reply::Link(new) = h
        .engine
        .run(
            mcp_onboard::engine::Actor::System(mcp_onboard::engine::Worker::Owner),
            Command::IssueLink {
                integration: None,
                slug: "acme".into(),
                ttl_secs: 3600,
                replace: true,
            },
        )
        .await
        .expect("issued")
    else {
        panic!("not a link")
    };
    assert_eq!(new.withdrawn, Some(vec![old.id.clone()]));
    assert_eq!(new.earlier_active, 0);
    let t = h.show("acme").await;
    let n = t.events.len();
    let (withdrew, issued) = (&t.events[n - 2], &t.events[n - 1]);
    assert!(withdrew.detail.contains(&old.id), "{withdrew:?}");
    assert!(issued.detail.contains(&new.id), "{issued:?}");
    assert_eq!(withdrew.at, issued.at, "one commit, one clock");
    // The customer who had pressed Continue on the old link gets nowhere.
    let cb = h.consent(&started, "ann@acme.com", true, None).await;
    let page = h.get(&cb).await;
    assert!(page.status >= 400, "{}: {}", page.status, page.body);
    assert!(!h.has_token("acme"));
    assert_eq!(h.get(&old.url).await.status, 410);
    // The new link works.
    assert_eq!(h.onboard_through(&new, "ann@acme.com").await.status, 200);
}

/// The global help says `--json` covers errors too: a refused command line included.
#[test]
fn with_json_anywhere_a_wrong_command_line_is_a_json_error_with_exit_2() {
    let w = World::new();
    for args in [
        &["--json", "tenant", "add", "beta", "--colour", "red"][..],
        &["tenant", "list", "--bogus", "--json"],
        &["tenant", "--json"],
    ] {
        let out = w.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert_eq!(out.stdout, "", "{args:?}");
        let err: serde_json::Value = serde_json::from_str(out.stderr.trim())
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", out.stderr));
        assert_eq!(err["error"]["code"], "invalid_input", "{err:#}");
        assert!(err["error"]["message"].is_string(), "{err:#}");
    }
    // Help asked for is no error, with or without `--json`.
    let out = w.run(&["--json", "tenant", "--help"]);
    assert!(out.ok() && out.stdout.contains("Usage:"), "{}", out.stderr);
    assert!(
        !w.data_dir().exists(),
        "an invalid command line touches nothing"
    );
}

#[test]
fn a_wrong_option_shows_the_commands_options_and_the_names_people_try_work() {
    let w = World::new();
    let out = w.run(&["tenant", "add", "beta", "--colour", "red"]);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("error: unexpected argument '--colour' found"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("-- --colour"), "{}", out.stderr);
    assert!(
        out.stderr.contains("Usage: mcp-onboard tenant add")
            && out.stderr.contains("--name <NAME>")
            && out.stderr.contains("--contact <CONTACT>"),
        "{}",
        out.stderr
    );
    assert!(
        !w.data_dir().exists(),
        "an invalid command line touches nothing"
    );

    // The names people try.
    w.ok(&["tenant", "add", "beta", "--display-name", "Beta"]);
    assert_eq!(s(&w.tenant("beta"), "display_name"), "Beta");
    w.ok(&["tenant", "edit", "beta", "--display-name", "Beta Ltd"]);
    assert_eq!(s(&w.tenant("beta"), "display_name"), "Beta Ltd");
    let hit = w.json(&["tenant", "list", "--search", "ltd"]);
    assert_eq!(hit.as_array().map(Vec::len), Some(1), "{hit:#}");
    let link = w.json(&["link", "beta", "--lifetime", "1h"]);
    let link2 = w.json(&["link", "beta", "--expires-in", "2h"]);
    assert!(link["expires_ms"].as_i64() < link2["expires_ms"].as_i64());
    w.ok(&["link", "beta", "--withdraw"]);
    let t = w.tenant("beta");
    assert!(
        t["links"]
            .as_array()
            .expect("links")
            .iter()
            .all(|l| l["state"] == "revoked"),
        "{t:#}"
    );
    let audit = w.ok(&["audit", "--slug", "beta"]);
    assert!(audit.contains("beta"), "{audit}");
    w.ok(&["offboard", "beta", "-y"]);
}

#[test]
fn the_ready_to_send_message_has_one_line_per_paragraph_and_a_readable_expiry() {
    let mut w = World::new();
    w.env.push(("TZ".into(), "Europe/Paris".into()));
    w.ok(&["tenant", "add", "acme", "--name", "Acme Ltd"]);
    let j = w.json(&["link", "acme", "--message", "--ttl", "3d"]);
    let url = s(&j, "url");
    let message = s(&j, "message");
    let lines: Vec<&str> = message.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(
            l.is_empty(),
            i % 2 == 1,
            "one line per paragraph: {message}"
        );
    }
    assert!(
        lines.contains(&url),
        "the link alone on its line: {message}"
    );
    assert!(!message.contains(s(&j, "expires_at")), "{message}");
    let paris = jiff::tz::TimeZone::get("Europe/Paris").expect("tzdb");
    let expires = jiff::Timestamp::from_millisecond(j["expires_ms"].as_i64().expect("ms"))
        .expect("time")
        .to_zoned(paris)
        .strftime("%A %-d %B %Y, %H:%M %Z")
        .to_string();
    assert!(
        expires.ends_with(" CET") || expires.ends_with(" CEST"),
        "{expires}"
    );
    assert!(
        message.contains(&format!("expires {expires}.")),
        "{expires} in {message}"
    );

    // An operator's own hard-wrapped template comes out one line per paragraph too.
    let own = w.tmp.path().join("home/.config/mcp-onboard/message.txt");
    std::fs::create_dir_all(own.parent().expect("dir")).expect("config dir");
    std::fs::write(
        &own,
        "Hi {{tenant}},\nhere is your link,\nvalid until {{expires}}:\n\n{{link}}\n",
    )
    .expect("template");
    let j = w.json(&["link", "acme", "--message"]);
    assert_eq!(
        s(&j, "message").lines().next(),
        Some(format!(
            "Hi Acme Ltd, here is your link, valid until {}:",
            {
                let ms = j["expires_ms"].as_i64().expect("ms");
                jiff::Timestamp::from_millisecond(ms)
                    .expect("time")
                    .to_zoned(jiff::tz::TimeZone::get("Europe/Paris").expect("tzdb"))
                    .strftime("%A %-d %B %Y, %H:%M %Z")
                    .to_string()
            }
        ))
        .as_deref()
    );
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let w = World::new();
    for slug in ["alpha", "bravo", "charlie"] {
        w.ok(&["tenant", "add", slug]);
    }
    for args in [
        &["tenant", "list"][..],
        &["--json", "tenant", "list"],
        &["export"],
        &["completions", "bash"],
    ] {
        let err = w.tmp.path().join("pipe.stderr");
        let mut c = w.command(args);
        c.env("RUST_BACKTRACE", "1")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&err).expect("stderr file"));
        let mut child = c.spawn().expect("spawning mcp-onboard");
        // The reader goes away before anything is written.
        drop(child.stdout.take());
        let status = wait_deadline(&mut child, CLI_DEADLINE).expect("it ends");
        let stderr = read(&err);
        assert_eq!(status.code(), Some(141), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}: nothing said");
    }
}
