//! The console in a real terminal: the real binary runs inside tmux, keys go in with
//! `send-keys`, and what the operator sees comes back with `capture-pane`. A customer consents
//! over HTTP meanwhile, and the row on screen has to follow.
//!
//! Needs `tmux` (the CI job installs it).

mod support_proc;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use support_proc::*;

/// Long enough for a debug build on a small, busy machine; a pass takes a few seconds.
const SCREEN_WAIT: Duration = Duration::from_secs(60);

/// A private tmux server running one program in a window of a given size.
struct Tty {
    socket: String,
    dir: PathBuf,
}

/// Whether tmux is here; without it the tests say so loudly and pass, unless `CI` is set.
fn tmux_here() -> bool {
    let found = Command::new("tmux").arg("-V").output();
    if matches!(&found, Ok(o) if o.status.success()) {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "these tests drive the console in tmux: install it (apt-get install tmux)"
    );
    eprintln!("SKIPPED: tmux is not installed (apt-get install tmux); the console was not run");
    false
}

/// Single-quote for sh.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Tty {
    /// Run `cmd` (a prepared `World::command`) in a `cols`x`rows` tmux window. The program's
    /// exit code and the terminal's modes after it exits are written to files, and the
    /// window stays open so the screen after exit can be read too.
    fn start(w: &World, mut cmd: Command, tag: &str, cols: u16, rows: u16) -> Tty {
        // Colour on: the status colours are part of what is checked.
        cmd.env_remove("NO_COLOR");
        let dir = w.tmp.path().join(format!("tty-{tag}"));
        std::fs::create_dir_all(&dir).expect("tty dir");
        let mut line = String::from("exec env");
        let mut sets = String::new();
        for (k, v) in cmd.get_envs() {
            let k = k.to_str().expect("env name");
            match v {
                Some(v) => sets += &format!(" {}", q(&format!("{k}={}", v.to_str().expect("env")))),
                None => line += &format!(" -u {k}"),
            }
        }
        line += &sets;
        line += &format!(" {}", q(cmd.get_program().to_str().expect("program")));
        for a in cmd.get_args() {
            line += &format!(" {}", q(a.to_str().expect("arg")));
        }
        let script = format!(
            "#!/bin/sh\n\
             ( {line} ) 2>{err}\n\
             echo $? >{status}\n\
             stty -a >{stty} 2>&1\n\
             echo CONSOLE-EXITED\n\
             exec sleep 600\n",
            err = q(dir.join("stderr").to_str().expect("path")),
            status = q(dir.join("status").to_str().expect("path")),
            stty = q(dir.join("stty").to_str().expect("path")),
        );
        let run = dir.join("run.sh");
        std::fs::write(&run, script).expect("script");
        // The server's socket lives in the test's own temporary directory (`-S`, not `-L`,
        // which would leave it under /tmp/tmux-UID after the test).
        let socket = dir.join("tmux.sock").to_str().expect("path").to_owned();
        let t = Tty { socket, dir };
        t.tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "console",
            "-x",
            &cols.to_string(),
            "-y",
            &rows.to_string(),
            "sh",
            run.to_str().expect("path"),
        ]);
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("running tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Keys by tmux name (`Enter`, `Escape`, `Tab`, `a`…).
    fn keys(&self, keys: &[&str]) {
        let mut a = vec!["send-keys", "-t", "console"];
        a.extend_from_slice(keys);
        self.tmux(&a);
    }

    /// Text typed as is.
    fn text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "console", "-l", text]);
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "console"])
    }

    /// The screen with its colours as escape sequences.
    fn styled(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-e", "-t", "console"])
    }

    fn stderr(&self) -> String {
        read(&self.dir.join("stderr"))
    }

    /// Wait until the screen satisfies `ok`; fail with the last screen and the program's
    /// stderr after `SCREEN_WAIT`.
    fn wait(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let until = Instant::now() + SCREEN_WAIT;
        // The console may have exited with its last screen (or the shell's line after it)
        // still on its way to the pane: give the pane a moment before calling it gone.
        let mut exited_at: Option<Instant> = None;
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if exited_at.is_none() && self.dir.join("status").exists() {
                exited_at = Some(Instant::now());
            }
            let exited = exited_at.is_some_and(|t| t.elapsed() > Duration::from_secs(3));
            if exited || Instant::now() > until {
                panic!(
                    "the screen never showed {what}{}:\n{s}\n--- stderr:\n{}",
                    if exited { " (the console exited)" } else { "" },
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_styled(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let until = Instant::now() + SCREEN_WAIT;
        loop {
            let s = self.styled();
            if ok(&s) {
                return s;
            }
            if Instant::now() > until {
                panic!("the screen never showed {what}:\n{s:?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The console's exit code, once it has exited.
    fn exit_code(&self) -> i32 {
        let until = Instant::now() + SCREEN_WAIT;
        let file = self.dir.join("status");
        loop {
            if let Ok(s) = std::fs::read_to_string(&file)
                && let Ok(code) = s.trim().parse()
            {
                return code;
            }
            assert!(
                Instant::now() < until,
                "the console did not exit:\n{}\n--- stderr:\n{}",
                self.screen(),
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn stty(&self) -> String {
        read(&self.dir.join("stty"))
    }
}

impl Drop for Tty {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// The consent link the link view shows.
fn link_on(screen: &str, base: &str) -> String {
    let start = screen
        .find(&format!("{base}/c/"))
        .unwrap_or_else(|| panic!("no link to {base} on screen:\n{screen}"));
    screen[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '─')
        .collect()
}

/// The table row of `slug` (the line the slug opens).
fn row<'a>(screen: &'a str, slug: &str) -> Option<&'a str> {
    screen.lines().find(|l| {
        l.trim_start_matches(['│', ' ', '▶'])
            .starts_with(&format!("{slug} "))
    })
}

/// SGR parameters in force right before `needle` on the line of `slug`, from a styled capture.
fn sgr_before<'a>(styled: &'a str, slug: &str, needle: &str) -> Option<&'a str> {
    let line = styled.lines().find(|l| {
        let plain = strip_sgr(l);
        plain.contains(&format!("{slug} ")) && plain.contains(needle)
    })?;
    let at = line.find(needle)?;
    let before = &line[..at];
    let esc = before.rfind("\x1b[")?;
    Some(&before[esc + 2..before[esc..].find('m').map_or(before.len(), |m| esc + m)])
}

fn strip_sgr(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\x1b' {
            for d in it.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether SGR parameters set ANSI foreground colour `n` (0-7), in either form tmux writes:
/// `3n` or `38;5;n`.
fn has_fg(params: Option<&str>, n: u8) -> bool {
    params.is_some_and(|p| {
        let v: Vec<&str> = p.split(';').collect();
        v.iter().any(|x| *x == format!("3{n}"))
            || v.windows(3)
                .any(|w| w[0] == "38" && w[1] == "5" && w[2] == n.to_string())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_console_adds_a_tenant_by_keys_and_its_row_follows_the_customer_to_deployed() {
    if !tmux_here() {
        return;
    }
    let w = World::new();
    let base = w.base_url();
    let tty = Tty::start(&w, w.command(&[]), "owner", 120, 40);
    let s = tty.wait("the empty table", |s| s.contains("No tenants yet"));
    assert!(s.contains("owner"), "{s}");
    assert!(
        s.contains(&format!("{base}/")),
        "the listener's URL is in the header:\n{s}"
    );

    // Add a tenant from the form; a link comes with it and its view opens.
    tty.keys(&["a"]);
    tty.wait("the add form", |s| s.contains("Add a tenant"));
    tty.text("acme");
    tty.keys(&["Tab"]);
    tty.text("Acme Ltd");
    tty.keys(&["Enter"]);
    let s = tty.wait("the link view", |s| s.contains("Consent link for Acme Ltd"));
    let link = link_on(&s, &base);
    assert!(
        s.contains('█') && s.contains('▀'),
        "a QR code is drawn:\n{s}"
    );

    // Back on the table, the row waits for the customer, in blue.
    tty.keys(&["Escape"]);
    tty.wait("acme waiting", |s| {
        row(s, "acme").is_some_and(|r| r.contains("Acme Ltd") && r.contains('✉'))
    });
    let styled = tty.styled();
    assert!(
        has_fg(sgr_before(&styled, "acme", "✉"), 4),
        "waiting is blue: {styled:?}"
    );

    // The customer goes through consent in their browser; nobody touches the console.
    let page = consent_over_http(&link, "ann@acme.com").await;
    assert!(page.contains("connected"), "{page}");
    let s = tty.wait("acme deployed", |s| {
        row(s, "acme").is_some_and(|r| r.contains("● deployed") && r.contains("ann@acme.com"))
    });
    assert!(s.contains("deployed 1"), "the header counts it:\n{s}");
    let styled = tty.wait_styled("deployed in green", |st| {
        has_fg(sgr_before(st, "acme", "● deployed"), 2)
    });
    assert!(!styled.is_empty());

    // The detail pane shows what Blaxel has for the selected tenant.
    assert!(s.contains("Provisioning"), "{s}");

    // Nobody else is attached: q quits at once, the listener stops, the terminal is restored.
    tty.keys(&["q"]);
    assert_eq!(tty.exit_code(), 0, "stderr: {}", tty.stderr());
    let after = tty.wait("the shell after exit", |s| s.contains("CONSOLE-EXITED"));
    assert!(
        !after.contains("Tenants"),
        "the console's screen is gone:\n{after}"
    );
    let modes = tty.stty();
    assert!(
        modes.contains(" icanon") && modes.contains(" echo") && !modes.contains("-icanon"),
        "the terminal is back in cooked mode:\n{modes}"
    );
    let health = reqwest::get(format!("{base}/healthz")).await;
    assert!(health.is_err(), "the listener stopped with the console");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attached_console_shows_what_other_clients_do_live_and_quits_without_stopping_serve() {
    if !tmux_here() {
        return;
    }
    let mut w = World::new();
    let _serve = w.serve();
    let base = w.base_url();
    let tty = Tty::start(&w, w.command(&[]), "attached", 80, 24);
    let s = tty.wait("the attached console", |s| s.contains("No tenants yet"));
    assert!(s.contains("attached"), "{s}");

    // Another client adds a tenant and issues its link: the console shows both at once.
    w.ok(&["tenant", "add", "beta", "--name", "Beta Co"]);
    // (At 80 columns the name is in the detail pane, not the row.)
    tty.wait("beta added", |s| {
        row(s, "beta").is_some() && s.contains("Beta Co")
    });
    let link = w.json(&["link", "beta"]);
    let url = link["url"].as_str().expect("url").to_owned();
    tty.wait("beta waiting", |s| {
        row(s, "beta").is_some_and(|r| r.contains('✉'))
    });

    // The customer consents; the console follows to deployed without a key pressed.
    let page = consent_over_http(&url, "bo@beta.example").await;
    assert!(page.contains("connected"), "{page}");
    tty.wait("beta deployed", |s| {
        row(s, "beta").is_some_and(|r| r.contains("● deployed"))
    });

    // The operator resizes the terminal: the layout follows.
    tty.tmux(&["resize-window", "-t", "console", "-x", "120", "-y", "40"]);
    let s = tty.wait("the larger layout", |s| {
        s.lines().count() >= 39 && row(s, "beta").is_some_and(|r| r.contains("bo@beta.example"))
    });
    assert!(s.contains("q quit"), "{s}");

    // Filter by typing: `/` then text narrows the table.
    w.ok(&["tenant", "add", "gamma"]);
    tty.wait("gamma added", |s| row(s, "gamma").is_some());
    tty.keys(&["/"]);
    tty.text("gam");
    let s = tty.wait("the filtered table", |s| {
        row(s, "gamma").is_some() && row(s, "beta").is_none()
    });
    assert!(s.contains("1 of 2"), "{s}");
    tty.keys(&["Escape"]);
    tty.wait("the whole table again", |s| {
        row(s, "gamma").is_some() && row(s, "beta").is_some()
    });

    // Quitting an attached console leaves the owner running.
    tty.keys(&["q"]);
    assert_eq!(tty.exit_code(), 0, "stderr: {}", tty.stderr());
    let status = w.json(&["status"]);
    assert_eq!(status["tenants"], 2, "{status:#}");
    assert!(reqwest::get(format!("{base}/healthz")).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_the_owning_console_while_another_is_attached_asks_first_and_the_other_reattaches()
{
    if !tmux_here() {
        return;
    }
    let mut w = World::new();
    let owner = Tty::start(&w, w.command(&[]), "first", 100, 30);
    owner.wait("the owning console", |s| s.contains("No tenants yet"));
    let second = Tty::start(&w, w.command(&[]), "second", 100, 30);
    second.wait("the second console, attached", |s| {
        s.contains("No tenants yet") && s.contains("attached")
    });

    owner.keys(&["q"]);
    let s = owner.wait("the question", |s| {
        s.contains("Quit and stop the listener?")
    });
    assert!(s.contains("1 other console"), "{s}");
    // No: the owner stays, and the second console keeps working through it.
    owner.keys(&["n"]);
    owner.wait("the question gone", |s| {
        !s.contains("Quit and stop the listener?")
    });
    w.ok(&["tenant", "add", "delta"]);
    second.wait("delta on the second console", |s| row(s, "delta").is_some());
    owner.wait("delta on the owner", |s| row(s, "delta").is_some());

    // Yes: the owner quits; the second console says its owner went away, and keeps looking.
    owner.keys(&["q"]);
    owner.wait("the question again", |s| {
        s.contains("Quit and stop the listener?")
    });
    owner.keys(&["y"]);
    assert_eq!(owner.exit_code(), 0, "stderr: {}", owner.stderr());
    second.wait("the lost owner", |s| s.contains("owner gone: reconnecting"));
    let styled = second.styled();
    assert!(
        styled.contains("\x1b[31mowner gone") || styled.contains("\x1b[38;5;1mowner gone"),
        "the lost owner is red: {styled:?}"
    );

    // A new owner starts (a service manager restarting it): the console attaches to it by
    // itself and loads everything afresh.
    let serve = w.serve();
    let s = second.wait("the console attached to the new owner", |s| {
        s.contains(&format!("attached to pid {}", serve.pid()))
    });
    assert!(row(&s, "delta").is_some(), "{s}");
    w.ok(&["tenant", "add", "epsilon"]);
    second.wait("epsilon, live again", |s| row(s, "epsilon").is_some());
}
