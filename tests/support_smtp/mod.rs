//! A real SMTP server on loopback for the mail tests: `server.py` beside this file, on Python's
//! `aiosmtpd`, in a temporary directory of its own. It listens on a free port of 127.0.0.1,
//! writes each message it accepts to a JSON file (read back as [`Received`]) before it answers
//! `250`, and counts every DATA attempt, so a test sees what arrived, and how many tries it took,
//! as soon as the client has its answer. Killed, and its directory removed, on drop; it also
//! stops by itself when the test process is gone (its standard input closes). [`Mode::Tls`]
//! speaks TLS from the first byte with a certificate the test made.
//!
//! Without `python3` and `aiosmtpd`, [`SmtpServer::start`] panics saying how to install it
//! (`python3 -m pip install aiosmtpd`; CI does).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long the server may take to start listening on a small, busy machine.
const STARTUP: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(25);

/// How the server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Accepts every message.
    Accept,
    /// Refuses every message at DATA with this code (4xx or 5xx) and `X.7.1`.
    Refuse(u16),
    /// Answers the first N DATA attempts `451 4.3.0 Try again later`, then accepts.
    TempFail(u32),
    /// Requires AUTH (PLAIN or LOGIN, without TLS) with this user and password; anything
    /// else is answered `535`, and MAIL before AUTH `530`.
    Auth { user: String, pass: String },
    /// Accepts every message, over TLS from the first byte (`smtps://`) with this
    /// certificate (chain) and key, PEM (written to the server's directory).
    Tls { cert_pem: String, key_pem: String },
}

/// A message the server accepted, as it wrote it down.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Received {
    /// The envelope: MAIL FROM and each RCPT TO.
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    /// The user that logged in ([`Mode::Auth`]), if any.
    pub auth_user: Option<String>,
    /// The whole DATA as sent (transfer encodings not undone), lines ending in CRLF.
    pub raw: String,
    /// Every header in order, values decoded (RFC 2047).
    pub headers: Vec<(String, String)>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reply_to: Option<String>,
    /// Decoded (RFC 2047).
    pub subject: Option<String>,
    pub content_language: Option<String>,
    /// The MIME type alone, lower case (`text/plain` when there is no Content-Type); the
    /// whole header is in `headers`.
    pub content_type: String,
    /// The Content-Type's charset, lower case.
    pub charset: Option<String>,
    pub content_transfer_encoding: Option<String>,
    /// The text/plain part, transfer encoding and charset undone (lines end as sent, in CRLF:
    /// `str::lines` reads them); `None` when there is none.
    pub body: Option<String>,
    /// The text/html part, likewise.
    pub html: Option<String>,
    /// The id in the server's `250 2.0.0 Ok: queued as ID` answer.
    pub queue_id: String,
}

impl Received {
    /// The first value of the header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The text/plain body; panics, showing the message, when it has none.
    pub fn text(&self) -> &str {
        match &self.body {
            Some(b) => b,
            None => panic!("the message has no text/plain part:\n{}", self.raw),
        }
    }
}

/// True when `python3` can import `aiosmtpd` (asked once per test process).
pub fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// A server in `mode`, or `None` (said loudly: SKIPPED) without python3 and aiosmtpd,
/// except when `CI` is set: then the test fails.
pub fn start_or_skip(mode: Mode) -> Option<SmtpServer> {
    if available() {
        return Some(SmtpServer::start(mode));
    }
    let why = "python3 with aiosmtpd is needed for the mail tests";
    if std::env::var_os("CI").is_some() {
        panic!("{why}: python3 -m pip install aiosmtpd (CI is set: not skipped)");
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\n==================== SKIPPED: no aiosmtpd ====================\n\
         {why}\n\
         install: python3 -m pip install aiosmtpd\n\
         ==============================================================\n"
    );
    None
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support_smtp/server.py")
}

/// A running server; killed, and its directory removed, on drop.
pub struct SmtpServer {
    child: Child,
    /// Held open: the server stops when it closes (on drop, or when the test process dies).
    stdin: Option<ChildStdin>,
    port: u16,
    /// Speaks TLS from the first byte ([`Mode::Tls`]).
    tls: bool,
    /// The messages and the attempt count.
    mail: PathBuf,
    /// The server's own output, shown when something goes wrong.
    log: PathBuf,
    // Last: removed after the child is gone.
    dir: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts a server and waits (at most 20 s) until it listens.
    pub fn start(mode: Mode) -> SmtpServer {
        assert!(
            available(),
            "the SMTP test server needs python3 with aiosmtpd: python3 -m pip install aiosmtpd"
        );
        let dir = tempfile::Builder::new()
            .prefix("smtp-test-")
            .tempdir()
            .expect("a temporary directory for the SMTP test server");
        let mail = dir.path().join("mail");
        let port_file = dir.path().join("port");
        let log = dir.path().join("server.log");
        let log_file = std::fs::File::create(&log).expect("the SMTP test server's log file");
        let log_err = log_file
            .try_clone()
            .expect("the SMTP test server's log file");

        let mut cmd = Command::new("python3");
        cmd.arg(script())
            .args(["--port", "0", "--stop-on-stdin-eof"])
            .arg("--port-file")
            .arg(&port_file)
            .arg("--dir")
            .arg(&mail)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::piped())
            .stdout(log_file)
            .stderr(log_err);
        match &mode {
            Mode::Accept => {}
            Mode::Refuse(code) => {
                cmd.arg("--refuse").arg(code.to_string());
            }
            Mode::TempFail(n) => {
                cmd.arg("--temp-fail").arg(n.to_string());
            }
            Mode::Auth { user, pass } => {
                cmd.arg("--auth").arg(format!("{user}:{pass}"));
            }
            Mode::Tls { cert_pem, key_pem } => {
                let cert = dir.path().join("cert.pem");
                let key = dir.path().join("key.pem");
                std::fs::write(&cert, cert_pem).expect("the SMTP test server's certificate");
                std::fs::write(&key, key_pem).expect("the SMTP test server's key");
                cmd.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
            }
        }
        let mut child = cmd.spawn().expect("python3 runs the SMTP test server");
        let stdin = child.stdin.take();
        let mut server = SmtpServer {
            child,
            stdin,
            port: 0,
            tls: matches!(mode, Mode::Tls { .. }),
            mail,
            log,
            dir,
        };

        let deadline = Instant::now() + STARTUP;
        loop {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                match text.trim().parse::<u16>() {
                    Ok(port) if port != 0 => {
                        server.port = port;
                        return server;
                    }
                    _ => panic!("the SMTP test server wrote {text:?} as its port"),
                }
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "the SMTP test server ({mode:?}) ended before listening ({status}):\n{}",
                    server.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "the SMTP test server ({mode:?}) did not listen within {STARTUP:?}:\n{}",
                server.log()
            );
            std::thread::sleep(POLL);
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `smtp://127.0.0.1:PORT`, or over TLS `smtps://localhost:PORT` (the name a test's
    /// certificate is for).
    pub fn url(&self) -> String {
        if self.tls {
            format!("smtps://localhost:{}", self.port)
        } else {
            format!("smtp://127.0.0.1:{}", self.port)
        }
    }

    /// The messages accepted so far, in the order they were accepted. Each is written before
    /// the server answers `250`, so once a client has that answer its message is here.
    pub fn received(&self) -> Vec<Received> {
        read_messages(&self.mail)
    }

    /// How many DATA commands the server answered (accepted or not).
    pub fn attempts(&self) -> u32 {
        read_attempts(&self.mail)
    }

    /// Waits until at least `n` messages were accepted and returns them; panics showing what
    /// arrived when `timeout` passes first. Sleeps between looks: in async tests use
    /// [`SmtpServer::wait_for_async`], which leaves the runtime free to send.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            if Instant::now() >= deadline {
                self.timed_out(n, timeout, &got);
            }
            std::thread::sleep(POLL);
        }
    }

    /// [`SmtpServer::wait_for`] for async tests: reads on tokio's blocking threads and sleeps
    /// with tokio's timer.
    pub async fn wait_for_async(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let mail = self.mail.clone();
            let got = tokio::task::spawn_blocking(move || read_messages(&mail))
                .await
                .expect("reading the SMTP test server's messages");
            if got.len() >= n {
                return got;
            }
            if Instant::now() >= deadline {
                self.timed_out(n, timeout, &got);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn timed_out(&self, n: usize, timeout: Duration, got: &[Received]) -> ! {
        panic!(
            "expected {n} message(s) at the SMTP test server within {timeout:?}; got {} after \
             {} DATA attempt(s): {got:#?}\nserver output:\n{}",
            got.len(),
            self.attempts(),
            self.log()
        )
    }

    /// What the server printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The server's directory (messages in `mail/`), for a test that wants to look itself.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
        // `dir` is removed when the fields drop, after this.
    }
}

/// The accepted messages in `mail`, in order: `NNNNNN.json` only (not the temporary files
/// they are written through).
fn read_messages(mail: &Path) -> Vec<Received> {
    let Ok(entries) = std::fs::read_dir(mail) else {
        return Vec::new(); // nothing accepted yet
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| {
            name.strip_suffix(".json")
                .is_some_and(|seq| seq.len() == 6 && seq.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    names.sort();
    names
        .iter()
        .map(|name| {
            let path = mail.join(name);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            serde_json::from_str(&text).unwrap_or_else(|e| {
                panic!("{} is not a message record: {e}\n{text}", path.display())
            })
        })
        .collect()
}

fn read_attempts(mail: &Path) -> u32 {
    match std::fs::read_to_string(mail.join("attempts")) {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("the SMTP test server counted {text:?} attempts: {e}")),
        Err(_) => 0,
    }
}
