//! Helpers for tests that run the real binary: a private home and data dir per test, a free
//! loopback port, CLI runs with a deadline, and a `serve` child that is killed on drop.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod backend;
mod consent;
// A test that also has `common` holds this module twice (there too): two copies, unmixed.
pub mod nodes;
#[allow(clippy::duplicate_mod)]
#[path = "../support_pg/mod.rs"]
pub mod pg;
mod standins;
mod tool_vars;
#[allow(unused_imports)]
pub use consent::*;
#[allow(unused_imports)]
pub use standins::*;

pub const BIN: &str = env!("CARGO_BIN_EXE_mcp-onboard");
/// Generous: the machine running the tests may be small and busy.
pub const STARTUP: Duration = Duration::from_secs(20);
pub const CLI_DEADLINE: Duration = Duration::from_secs(60);

pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("binding a free loopback port");
    l.local_addr().expect("local addr").port()
}

/// What a finished process printed.
#[derive(Debug)]
pub struct Out {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn ok(&self) -> bool {
        self.status.success()
    }
}

/// One test's world: a temp dir holding home, data dir and process output files.
pub struct World {
    pub tmp: tempfile::TempDir,
    pub port: u16,
    /// Extra environment for every process (e.g. `MCP_ONBOARD_KEY`).
    pub env: Vec<(String, String)>,
    /// `--demo` on every command.
    pub demo: bool,
    /// Another data dir than `<tmp>/data` for the commands run from now on (not demo).
    pub other_data_dir: Option<PathBuf>,
    /// `serve` runs with this descriptor limit (soft and hard `RLIMIT_NOFILE`).
    pub serve_nofile: Option<u64>,
    /// The store's PostgreSQL server, when the store is there (see [`World::on`]).
    pub pg: Option<pg::PgServer>,
    runs: std::cell::Cell<u32>,
}

impl World {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(tmp.path().join("home")).expect("home dir");
        Self {
            tmp,
            port: free_port(),
            env: vec![("MCP_ONBOARD_LOG".into(), "trace".into())],
            demo: true,
            other_data_dir: None,
            serve_nofile: None,
            pg: None,
            runs: std::cell::Cell::new(0),
        }
    }

    /// This world's sled database opened directly (no command may run meanwhile), with no
    /// background flusher: sled's flusher keeps the database's file lock for a moment after
    /// the handle is dropped, and the next command would find it held.
    pub fn open_db_directly(&self) -> sled::Db {
        sled::Config::new()
            .path(self.data_dir().join("db"))
            .flush_every_ms(None)
            .open()
            .expect("the database opens")
    }

    /// Where this world's commands keep their data: the demo's own dir under the private
    /// home with `--demo` (it takes no other), `<tmp>/data` otherwise.
    pub fn data_dir(&self) -> PathBuf {
        if self.demo {
            self.tmp.path().join("home/.local/share/mcp-onboard/demo")
        } else if let Some(d) = &self.other_data_dir {
            d.clone()
        } else {
            self.tmp.path().join("data")
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = self.command_at_home(&[]);
        if self.demo {
            c.arg("--demo");
        } else {
            c.arg("--data-dir").arg(self.data_dir());
        }
        c.args(args);
        c
    }

    /// A command with the world's private home and environment but neither `--demo` nor
    /// `--data-dir`: data dir, key and config at their defaults under that home.
    pub fn command_at_home(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        for v in tool_vars::TOOL_VARS {
            c.env_remove(v);
        }
        let home = self.tmp.path().join("home");
        c.env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("MCP_ONBOARD_BIND", format!("127.0.0.1:{}", self.port))
            .env("NO_COLOR", "1");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c.args(args);
        c.stdin(Stdio::null());
        c
    }

    /// Fresh files to catch a child's output (files, not pipes: nothing can block).
    fn out_files(&self, tag: &str) -> (PathBuf, PathBuf) {
        let n = self.runs.get() + 1;
        self.runs.set(n);
        let dir = self.tmp.path().join("out");
        std::fs::create_dir_all(&dir).expect("out dir");
        (
            dir.join(format!("{n}-{tag}.stdout")),
            dir.join(format!("{n}-{tag}.stderr")),
        )
    }

    /// Run a CLI command to completion (killed and failed after a generous deadline).
    pub fn run(&self, args: &[&str]) -> Out {
        self.run_command(self.command(args), args)
    }

    /// Run a prepared command to completion, the same way.
    pub fn run_command(&self, mut c: Command, args: &[&str]) -> Out {
        let (o, e) = self.out_files("cli");
        c.stdout(std::fs::File::create(&o).expect("stdout file"))
            .stderr(std::fs::File::create(&e).expect("stderr file"));
        let mut child = c.spawn().expect("spawning mcp-onboard");
        let status = wait_deadline(&mut child, CLI_DEADLINE)
            .unwrap_or_else(|| panic!("`mcp-onboard {}` did not finish", args.join(" ")));
        Out {
            status,
            stdout: read(&o),
            stderr: read(&e),
        }
    }

    /// Run and require success.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.ok(),
            "`mcp-onboard {}` failed: {}\n{}",
            args.join(" "),
            out.stderr,
            out.stdout
        );
        out.stdout
    }

    /// Run with `--json`, require success, parse stdout.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        let text = self.ok(&a);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    /// Start `serve` and wait until its listener answers, its control socket exists and its
    /// start banner is printed.
    /// Another process may grab the chosen port first; then a new port is tried.
    pub fn serve(&mut self) -> Serve {
        let mut last = String::new();
        for _ in 0..5 {
            let mut s = self.spawn_serve();
            match s.wait_ready(&self.base_url()) {
                Ok(()) => return s,
                Err(err) => {
                    last = err;
                    if last.contains("cannot listen") {
                        self.port = free_port();
                        continue;
                    }
                    panic!("serve did not start: {last}");
                }
            }
        }
        panic!("serve did not start: {last}");
    }

    /// Start `serve` with its output caught in files (not waited for).
    fn spawn_serve(&self) -> Serve {
        let (o, e) = self.out_files("serve");
        let mut c = self.command(&["serve"]);
        c.stdout(std::fs::File::create(&o).expect("stdout file"))
            .stderr(std::fs::File::create(&e).expect("stderr file"));
        if let Some(n) = self.serve_nofile {
            standins::limit_descriptors(&mut c, n);
        }
        let child = c.spawn().expect("spawning mcp-onboard serve");
        Serve {
            child: Some(child),
            stdout: o,
            stderr: e,
            socket: self.data_dir().join("control.sock"),
        }
    }

    pub fn tenant(&self, slug: &str) -> Value {
        self.json(&["tenant", "show", slug])
    }

    /// `serve` with TLS on the listener: ready once the control socket answers and the
    /// listener takes connections (the port is not changed: the certificate and public URL
    /// name it).
    pub fn serve_tls(&mut self) -> Serve {
        let mut s = self.spawn_serve();
        let until = Instant::now() + STARTUP;
        loop {
            if let Some(child) = s.child.as_mut()
                && let Ok(Some(st)) = child.try_wait()
            {
                panic!("serve exited with {st}: {}", read(&s.stderr));
            }
            if s.socket.exists()
                && std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && s.banner_printed()
            {
                return s;
            }
            assert!(
                Instant::now() < until,
                "serve not ready: {}",
                read(&s.stderr)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

pub fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// Wait for exit up to `limit`; on timeout kill the child and return `None`.
pub fn wait_deadline(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let until = Instant::now() + limit;
    loop {
        if let Some(st) = child.try_wait().expect("waiting for child") {
            return Some(st);
        }
        if Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A running `mcp-onboard serve`; killed on drop if still running.
pub struct Serve {
    child: Option<Child>,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
    pub socket: PathBuf,
}

impl Serve {
    pub fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .map(Child::id)
            .expect("serve is running")
    }

    fn wait_ready(&mut self, base: &str) -> Result<(), String> {
        let until = Instant::now() + STARTUP;
        let health = format!("{base}/healthz");
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(st)) = child.try_wait()
            {
                self.child = None;
                return Err(format!("exited with {st}: {}", read(&self.stderr)));
            }
            if self.socket.exists() && http_ok(&health) && self.banner_printed() {
                return Ok(());
            }
            if Instant::now() > until {
                return Err(format!(
                    "not ready after {STARTUP:?}; stderr: {}",
                    read(&self.stderr)
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether the whole start banner is out (its last line), so a test can read it.
    fn banner_printed(&self) -> bool {
        read(&self.stdout).contains("Ctrl-C stops it")
    }

    /// Send SIGTERM and wait for the exit (the shell's `kill` builtin: no extra tools).
    pub fn terminate(&mut self) -> ExitStatus {
        let pid = self.pid();
        let sent = Command::new("sh")
            .args(["-c", "kill -TERM \"$0\"", &pid.to_string()])
            .status()
            .expect("running sh");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let mut child = self.child.take().expect("serve is running");
        wait_deadline(&mut child, STARTUP).expect("serve did not stop after SIGTERM")
    }

    /// Wait for an exit already asked for (a signal sent by the test itself).
    pub fn terminate_wait(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("serve is running");
        wait_deadline(&mut child, STARTUP).expect("serve did not stop")
    }

    pub fn stdout(&self) -> String {
        read(&self.stdout)
    }

    pub fn stderr(&self) -> String {
        read(&self.stderr)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A plain HTTP/1.0 GET on loopback, no client library: true on a 200 answer.
fn http_ok(url: &str) -> bool {
    use std::io::{Read, Write};
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let Ok(mut s) = std::net::TcpStream::connect(host) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if write!(s, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.1 200") || buf.starts_with("HTTP/1.0 200")
}

/// Every file under `dir`, concatenated (sockets and unreadable entries skipped).
pub fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() => {
                    if let Ok(b) = std::fs::read(&p) {
                        out.extend_from_slice(&b);
                    }
                }
                _ => {}
            }
        }
    }
    out
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Google-style refresh tokens: `1//` then at least `min` base64url characters.
pub fn refresh_tokens_in(hay: &[u8], min: usize) -> Vec<String> {
    let b64url = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
    let mut found = Vec::new();
    let mut i = 0;
    while i + 3 <= hay.len() {
        if &hay[i..i + 3] == b"1//" {
            let run = hay[i + 3..].iter().take_while(|c| b64url(**c)).count();
            if run >= min {
                found.push(String::from_utf8_lossy(&hay[i..i + 3 + run]).into_owned());
                i += 3 + run;
                continue;
            }
        }
        i += 1;
    }
    found
}

/// A world with real (not demo) data and a Google client configured.
pub fn real_world() -> World {
    let mut w = World::new();
    w.demo = false;
    w.env.push((
        "GOOGLE_CLIENT_ID".into(),
        "it.apps.googleusercontent.com".into(),
    ));
    w.env
        .push(("GOOGLE_CLIENT_SECRET".into(), "it-secret".into()));
    let base = w.base_url();
    w.env.push(("MCP_ONBOARD_PUBLIC_URL".into(), base));
    w
}

/// `w` without a Google client: consent cannot work.
pub fn without_google(w: &mut World) {
    w.env.retain(|(k, _)| !k.starts_with("GOOGLE_"));
}

/// The string `k` of a JSON object (the test fails without it).
pub fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("no string {k:?} in {v:#}"))
}

/// A fresh master key, as `MCP_ONBOARD_KEY` takes it.
pub fn random_key() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes)
}
