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

    /// What the program last copied (OSC 52), once tmux has taken it as a paste buffer.
    fn copied(&self) -> String {
        let until = Instant::now() + SCREEN_WAIT;
        loop {
            let out = Command::new("tmux")
                .arg("-S")
                .arg(&self.socket)
                .arg("show-buffer")
                .output()
                .expect("running tmux");
            if out.status.success() {
                return String::from_utf8_lossy(&out.stdout).into_owned();
            }
            assert!(
                Instant::now() < until,
                "nothing was copied:\n{}",
                self.screen()
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
    // Every wait waits for all it then relies on, on one screen read.
    tty.wait(
        "the empty table of the owner, with the listener's URL in the header",
        |s| s.contains("No tenants yet") && s.contains("owner") && s.contains(&format!("{base}/")),
    );

    // Add a tenant from the form; a link comes with it and its view opens.
    tty.keys(&["a"]);
    tty.wait("the add form", |s| s.contains("Add a tenant"));
    tty.text("acme");
    tty.keys(&["Tab"]);
    tty.text("Acme Ltd");
    tty.keys(&["Enter"]);
    let s = tty.wait("the link view with its link and a QR code", |s| {
        s.contains("Consent link for Acme Ltd")
            && s.contains(&format!("{base}/c/"))
            && s.contains('█')
            && s.contains('▀')
    });
    let link = link_on(&s, &base);

    // Back on the table, the row waits for the customer, in blue.
    tty.keys(&["Escape"]);
    tty.wait_styled("acme waiting, in blue", |st| {
        row(&strip_sgr(st), "acme").is_some_and(|r| r.contains("Acme Ltd") && r.contains('✉'))
            && has_fg(sgr_before(st, "acme", "✉"), 4)
    });

    // The customer goes through consent in their browser; nobody touches the console.
    let page = consent_over_http(&link, "ann@acme.com").await;
    assert!(page.contains("connected"), "{page}");
    // The header counts it, and the panes show what Blaxel has for the selected tenant.
    tty.wait("acme deployed, counted, with its provisioning", |s| {
        row(s, "acme").is_some_and(|r| r.contains("● deployed") && r.contains("ann@acme.com"))
            && s.contains("deployed 1")
            && s.contains("Provisioning")
    });
    tty.wait_styled("deployed in green", |st| {
        has_fg(sgr_before(st, "acme", "● deployed"), 2)
    });

    // Nobody else is attached: q quits at once, the listener stops, the terminal is restored.
    tty.keys(&["q"]);
    assert_eq!(tty.exit_code(), 0, "stderr: {}", tty.stderr());
    tty.wait("the shell after exit, the console's screen gone", |s| {
        s.contains("CONSOLE-EXITED") && !s.contains("Tenants")
    });
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
    tty.wait("the attached console", |s| {
        s.contains("No tenants yet") && s.contains("attached")
    });

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
    // (The key hints may be drawn a moment after the rows: wait for the whole screen.)
    tty.wait(
        "the larger layout, with the key hints on the last line",
        |s| {
            s.lines().count() >= 39
                && row(s, "beta").is_some_and(|r| r.contains("bo@beta.example"))
                && s.lines().last().is_some_and(|l| l.contains("q quit"))
        },
    );

    // Filter by typing: `/` then text narrows the table.
    w.ok(&["tenant", "add", "gamma"]);
    tty.wait("gamma added", |s| row(s, "gamma").is_some());
    tty.keys(&["/"]);
    tty.text("gam");
    tty.wait("the filtered table", |s| {
        row(s, "gamma").is_some() && row(s, "beta").is_none() && s.contains("1 of 2")
    });
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
    owner.wait("the question, naming the other console", |s| {
        s.contains("Quit and stop the listener?") && s.contains("1 other console")
    });
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
    second.wait_styled("the lost owner, in red", |st| {
        st.contains("\x1b[31mowner gone") || st.contains("\x1b[38;5;1mowner gone")
    });

    // A new owner starts (a service manager restarting it): the console attaches to it by
    // itself and loads everything afresh.
    let serve = w.serve();
    second.wait(
        "the console attached to the new owner, everything loaded afresh",
        |s| s.contains(&format!("attached to pid {}", serve.pid())) && row(s, "delta").is_some(),
    );
    w.ok(&["tenant", "add", "epsilon"]);
    second.wait("epsilon, live again", |s| row(s, "epsilon").is_some());
}

/// The tenant as stored, once it satisfies `ok`.
fn tenant_when(
    w: &World,
    slug: &str,
    ok: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let until = Instant::now() + SCREEN_WAIT;
    loop {
        let t = w.json(&["tenant", "show", slug]);
        if ok(&t) {
            return t;
        }
        assert!(Instant::now() < until, "{slug} never got there: {t:#}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_80x24_a_deployed_tenants_mcp_url_and_last_timeline_entry_are_in_view_c_copies_and_e_exports()
 {
    if !tmux_here() {
        return;
    }
    let w = World::new();
    let tty = Tty::start(&w, w.command(&[]), "small", 80, 24);
    // tmux takes what the console copies (OSC 52) as a paste buffer.
    tty.tmux(&["set-option", "-g", "set-clipboard", "on"]);
    tty.wait("the empty table", |s| s.contains("No tenants yet"));
    w.ok(&["tenant", "add", "beta", "--name", "Beta Co"]);
    let link = w.json(&["link", "beta"]);
    let page = consent_over_http(link["url"].as_str().expect("url"), "bo@beta.example").await;
    assert!(page.contains("connected"), "{page}");

    let t = tenant_when(&w, "beta", |t| {
        t["status"] == "deployed" && t["mcp_url"].is_string()
    });
    let mcp = t["mcp_url"].as_str().expect("MCP URL").to_owned();
    let last = t["events"]
        .as_array()
        .and_then(|e| e.last())
        .expect("a timeline")
        .clone();
    let detail = last["detail"].as_str().expect("detail");
    assert!(detail.contains("deployed"), "{last:#}");
    let at = &last["at"].as_str().expect("at")[11..19];
    let words: Vec<&str> = detail.split(' ').take(3).collect();
    let start = format!("{at}  {}", words.join(" "));
    let s = tty.wait(
        "beta's MCP URL whole on a line of its own, and its last entry",
        |s| {
            row(s, "beta").is_some_and(|r| r.contains("● deployed"))
                && s.lines().any(|l| l.contains(&mcp) && !l.contains('│'))
                && s.contains(&start)
                && s.contains("deployed: ")
        },
    );
    assert_eq!(s.lines().count(), 24, "{s}");

    tty.keys(&["c"]);
    tty.wait("the copy said", |s| {
        s.contains("the MCP URL of beta copied to the clipboard")
    });
    assert_eq!(tty.copied(), mcp);

    // The QR code of a new link, exported into the data dir's exports folder, privately.
    tty.keys(&["Enter"]);
    tty.wait("the link view", |s| {
        s.contains("No link issued in this console yet")
    });
    tty.keys(&["n"]);
    tty.wait("the new link", |s| s.contains("Consent link for Beta Co"));
    tty.keys(&["e"]);
    let exports = w.data_dir().join("exports");
    let s = tty.wait("the export said, with its folder", |s| {
        s.contains("QR code written to") && s.contains("/exports/beta-")
    });
    use std::os::unix::fs::PermissionsExt;
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("exists").permissions().mode() & 0o777;
    assert_eq!(mode(&exports), 0o700, "{s}");
    let files: Vec<PathBuf> = std::fs::read_dir(&exports)
        .expect("the exports folder")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        assert!(name.starts_with("beta-"), "{name}");
        assert!(
            s.contains(&exports.display().to_string()) || s.contains(name),
            "{s}"
        );
    }
    // A second export of the same link overwrites nothing and says why.
    tty.keys(&["e"]);
    tty.wait("the refusal", |s| s.contains("exists already"));
    tty.keys(&["Escape"]);
    tty.keys(&["q"]);
    assert_eq!(tty.exit_code(), 0, "stderr: {}", tty.stderr());
}

/// A console started without the owner's configuration (no Google client, no Blaxel
/// credentials of its own) attached to a fully set-up `serve` opens on the tenants: the
/// set-up panel is the owner's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attached_console_without_the_owners_config_opens_on_the_tenants_of_a_set_up_serve() {
    if !tmux_here() {
        return;
    }
    let mut w = World::new();
    w.demo = false;
    let owner_env = [
        ("GOOGLE_CLIENT_ID", "it.apps.googleusercontent.com"),
        ("GOOGLE_CLIENT_SECRET", "it-secret"),
        ("BL_WORKSPACE", "acme-prod"),
        ("BL_API_KEY", "bl_it_key"),
        // Nobody answers there: the provisioner runs, nothing is provisioned.
        ("BL_API_URL", "http://127.0.0.1:9/v0"),
    ];
    for (k, v) in owner_env {
        w.env.push((k.into(), v.into()));
    }
    let base = w.base_url();
    w.env.push(("MCP_ONBOARD_PUBLIC_URL".into(), base.clone()));
    let _serve = w.serve();
    w.ok(&["tenant", "add", "acme"]);
    // The console has none of it.
    w.env
        .retain(|(k, _)| !owner_env.iter().any(|(o, _)| o == k) && k != "MCP_ONBOARD_PUBLIC_URL");
    let tty = Tty::start(&w, w.command(&[]), "bare", 100, 30);
    tty.wait("the owner's tenants, not a set-up panel", |s| {
        row(s, "acme").is_some()
            && s.contains("attached to pid")
            && s.contains(&base)
            && !s.contains("Set up")
    });
    tty.keys(&["q"]);
    assert_eq!(tty.exit_code(), 0, "stderr: {}", tty.stderr());
}
