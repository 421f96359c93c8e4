//! A real terminal for the console tests: the real binary runs inside a private tmux
//! server, keys go in with `send-keys`, and what the operator sees comes back with
//! `capture-pane`. Every wait polls for the state it is asked for, with a deadline.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support_proc::*;

/// Long enough for a debug build on a small, busy machine; a pass takes a few seconds.
pub const SCREEN_WAIT: Duration = Duration::from_secs(60);

/// A private tmux server running one program in a window of a given size.
pub struct Tty {
    socket: String,
    dir: PathBuf,
}

/// Whether tmux is here; without it the tests say so loudly and pass, unless `CI` is set.
pub fn tmux_here() -> bool {
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
pub fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Tty {
    /// Run `cmd` (a prepared `World::command`) in a `cols`x`rows` tmux window. The program's
    /// exit code and the terminal's modes after it exits are written to files, and the
    /// window stays open so the screen after exit can be read too.
    pub fn start(w: &World, mut cmd: Command, tag: &str, cols: u16, rows: u16) -> Tty {
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

    pub fn tmux(&self, args: &[&str]) -> String {
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
    pub fn keys(&self, keys: &[&str]) {
        let mut a = vec!["send-keys", "-t", "console"];
        a.extend_from_slice(keys);
        self.tmux(&a);
    }

    /// Text typed as is.
    pub fn text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "console", "-l", text]);
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "console"])
    }

    /// The screen with its colours as escape sequences.
    pub fn styled(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-e", "-t", "console"])
    }

    pub fn stderr(&self) -> String {
        read(&self.dir.join("stderr"))
    }

    /// Wait until the screen satisfies `ok`; fail with the last screen and the program's
    /// stderr after `SCREEN_WAIT`.
    pub fn wait(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
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

    pub fn wait_styled(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
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
    pub fn exit_code(&self) -> i32 {
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
    pub fn copied(&self) -> String {
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

    pub fn stty(&self) -> String {
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
pub fn link_on(screen: &str, base: &str) -> String {
    let start = screen
        .find(&format!("{base}/c/"))
        .unwrap_or_else(|| panic!("no link to {base} on screen:\n{screen}"));
    screen[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '─')
        .collect()
}

/// The table row of `slug` (the line the slug opens).
pub fn row<'a>(screen: &'a str, slug: &str) -> Option<&'a str> {
    screen.lines().find(|l| {
        l.trim_start_matches(['│', ' ', '▶'])
            .starts_with(&format!("{slug} "))
    })
}

/// SGR parameters in force right before `needle` on the line of `slug`, from a styled capture.
pub fn sgr_before<'a>(styled: &'a str, slug: &str, needle: &str) -> Option<&'a str> {
    let line = styled.lines().find(|l| {
        let plain = strip_sgr(l);
        plain.contains(&format!("{slug} ")) && plain.contains(needle)
    })?;
    let at = line.find(needle)?;
    let before = &line[..at];
    let esc = before.rfind("\x1b[")?;
    Some(&before[esc + 2..before[esc..].find('m').map_or(before.len(), |m| esc + m)])
}

pub fn strip_sgr(s: &str) -> String {
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
pub fn has_fg(params: Option<&str>, n: u8) -> bool {
    params.is_some_and(|p| {
        let v: Vec<&str> = p.split(';').collect();
        v.iter().any(|x| *x == format!("3{n}"))
            || v.windows(3)
                .any(|w| w[0] == "38" && w[1] == "5" && w[2] == n.to_string())
    })
}
