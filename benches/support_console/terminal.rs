//! The real binary in a real terminal: a private tmux server whose windows run consoles, the
//! world they run in (a home, a data dir, a key, a port), `serve` started in it, and one
//! console timed to its first rows and to the whole list, its memory read.

use std::path::{Path, PathBuf};
use std::process::{Child, Command as Proc, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_mcp-onboard");

/// A private tmux server with one idle session; consoles run in windows of it.
pub struct Tmux {
    /// The server's socket, in a directory of its own that goes with it.
    socket: String,
    _dir: tempfile::TempDir,
}

impl Tmux {
    pub fn start() -> Tmux {
        let dir = tempfile::tempdir().expect("a directory for the tmux socket");
        let t = Tmux {
            socket: dir
                .path()
                .join("tmux.sock")
                .to_str()
                .expect("path")
                .to_owned(),
            _dir: dir,
        };
        t.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "bench",
            "-x",
            "120",
            "-y",
            "40",
            "sleep",
            "86400",
        ]);
        t.run(&["set-option", "-g", "default-size", "120x40"]);
        t
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Proc::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux (install it: apt-get install tmux)");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Start `line` (a shell command) in a new 120x40 window; its pid.
    fn window(&self, name: &str, line: &str) -> u32 {
        let pid = self.run(&[
            "new-window",
            "-d",
            "-P",
            "-F",
            "#{pane_pid}",
            "-t",
            "bench",
            "-n",
            name,
            line,
        ]);
        pid.trim().parse().expect("pane pid")
    }

    fn screen(&self, name: &str) -> String {
        self.run(&["capture-pane", "-p", "-t", &format!("bench:{name}")])
    }

    fn keys(&self, name: &str, keys: &str) {
        self.run(&["send-keys", "-t", &format!("bench:{name}"), keys]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Proc::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// VmRSS and VmHWM of a process, in MB (10^6 bytes).
pub fn memory(pid: u32) -> (f64, f64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb * 1024.0 / 1e6)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

pub struct World {
    pub home: PathBuf,
    pub data: PathBuf,
    pub key: String,
    pub port: u16,
}

impl World {
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HOME", self.home.display().to_string()),
            (
                "XDG_CONFIG_HOME",
                self.home.join(".config").display().to_string(),
            ),
            (
                "XDG_DATA_HOME",
                self.home.join(".local/share").display().to_string(),
            ),
            ("MCP_ONBOARD_KEY", self.key.clone()),
            ("MCP_ONBOARD_BIND", format!("127.0.0.1:{}", self.port)),
            (
                "GOOGLE_CLIENT_ID",
                "bench.apps.googleusercontent.com".into(),
            ),
            ("GOOGLE_CLIENT_SECRET", "bench-secret".into()),
            ("BL_WORKSPACE", "bench".into()),
            ("BL_API_KEY", "bench-key".into()),
            // Nobody listens there: no tenant has consented, so nothing is provisioned.
            ("BL_API_URL", "http://127.0.0.1:9".into()),
            ("MCP_ONBOARD_LOG", "warn".into()),
        ]
    }

    fn console_line(&self) -> String {
        let mut line = String::from("exec env -u NO_COLOR -u MCP_ONBOARD_CONFIG");
        for (k, v) in self.env() {
            line += &format!(" {}", q(&format!("{k}={v}")));
        }
        line += &format!(
            " {} --data-dir {}",
            q(BIN),
            q(&self.data.display().to_string())
        );
        line
    }

    pub fn serve(&self) -> Child {
        let mut c = Proc::new(BIN);
        c.env_remove("MCP_ONBOARD_CONFIG").env_remove("NO_COLOR");
        for (k, v) in self.env() {
            c.env(k, v);
        }
        let child = c
            .arg("--data-dir")
            .arg(&self.data)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve");
        let until = Instant::now() + Duration::from_secs(120);
        while !self.data.join("control.sock").exists() {
            assert!(Instant::now() < until, "serve did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        child
    }
}

/// Start a console and time it to the first rows and to the whole list on screen; then read
/// its memory and quit it.
pub fn console_round(
    t: &Tmux,
    w: &World,
    name: &str,
    n: usize,
) -> (Duration, Duration, (f64, f64)) {
    let first_row = "tenant-000000";
    let whole = format!("{n} of {n}");
    let start = Instant::now();
    let pid = t.window(name, &w.console_line());
    let mut first = None;
    let until = start + Duration::from_secs(120);
    let full = loop {
        let s = t.screen(name);
        if first.is_none() && s.contains(first_row) {
            first = Some(start.elapsed());
        }
        if s.contains(&whole) {
            break start.elapsed();
        }
        assert!(
            Instant::now() < until && alive(pid),
            "the console did not show the list:\n{s}"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    let first = first.unwrap_or(full);
    // Settle a moment (the detail pane's answer, a tick), then read memory.
    std::thread::sleep(Duration::from_millis(1500));
    let mem = memory(pid);
    t.keys(name, "q");
    let until = Instant::now() + Duration::from_secs(60);
    while alive(pid) {
        if Instant::now() > until {
            panic!("the console did not quit:\n{}", t.screen(name));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    (first, full, mem)
}
