//! Load driver for the console with 100,000 tenants in the store:
//!
//! - in this process, the console's own code on a `TestBackend` fed by the engine: one
//!   frame's render (unchanged and after a move), a filter keystroke to redraw (update plus
//!   draw, over all rows), and a sort change to redraw, at 120x40 and 80x24;
//! - the real binary in a real terminal (tmux), start to first frame (the first rows on
//!   screen) and to the whole list loaded, attached to a running `serve` and owning the
//!   runtime (opening the database and building the index included); resident memory (now
//!   and peak) of the console and of the owner.
//!
//! Run with `cargo bench --bench console` (`-- --quick` for 10,000 tenants and fewer
//! rounds). Needs `tmux`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command as Proc, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mcp_onboard::config::Config;
use mcp_onboard::engine::lifecycle::{NewTenant, new_tenant};
use mcp_onboard::engine::{Engine, EngineApi, Local, Placement};
use mcp_onboard::store::KeySource;
use mcp_onboard::tui::model::{Effect, Model, Msg, Setup};
use mcp_onboard::tui::style::Theme;
use mcp_onboard::tui::update::update;
use mcp_onboard::tui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const BIN: &str = env!("CARGO_BIN_EXE_mcp-onboard");

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn press(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// Run the model's calls against the engine until none is left (what the runner does,
/// without a terminal).
fn settle(rt: &tokio::runtime::Runtime, api: &Local, m: &mut Model, mut fx: Vec<Effect>) {
    while !fx.is_empty() {
        let mut next = Vec::new();
        for e in fx {
            if let Effect::Call { id, command } = e {
                let result = rt.block_on(api.call(command));
                next.extend(update(m, Msg::Reply { id, result }));
            }
        }
        fx = next;
    }
}

fn fill(rt: &tokio::runtime::Runtime, data: &Path, key: &KeySource, n: usize) {
    let config = Arc::new(Config::load(None, false, &|_| None).expect("config"));
    rt.block_on(async {
        let engine = Engine::open(data, key, config, Placement::Direct)
            .await
            .expect("open");
        let t = Instant::now();
        for chunk in 0..n.div_ceil(1000) {
            engine
                .commit_for_tests(move |tx| {
                    for i in chunk * 1000..((chunk + 1) * 1000).min(n) {
                        let input = NewTenant {
                            slug: format!("tenant-{i:06}"),
                            display_name: Some(format!("Customer number {i}")),
                            contact: Some(format!("ops{i}@customer{i}.example")),
                            ..Default::default()
                        };
                        let (t, e) = new_tenant(&input, 1 + i as i64).expect("valid");
                        tx.insert_tenant(t, e)?;
                    }
                    Ok(())
                })
                .await
                .expect("fill");
        }
        engine
            .shutdown(Duration::from_secs(60))
            .await
            .expect("flush");
        println!("filled {n} tenants in {:.1?}", t.elapsed());
    });
}

/// The in-process half: the console's update and view over the engine's real list.
fn in_process(rt: &tokio::runtime::Runtime, data: &Path, key: &KeySource, n: usize, quick: bool) {
    let config = Arc::new(Config::load(None, false, &|_| None).expect("config"));
    let engine = rt
        .block_on(Engine::open(data, key, config, Placement::Direct))
        .expect("open");
    let api = Local(engine.clone());
    for (w, h) in [(120u16, 40u16), (80, 24)] {
        let setup = Setup {
            attachment: api.attachment(),
            public_url: "https://onboard.example.com/".into(),
            redirect_uri: "https://onboard.example.com/oauth/callback".into(),
            data_dir: data.display().to_string(),
            exports: data.join("exports"),
            message_template: mcp_onboard::message::template(None),
            problems: vec![],
        };
        let mut m = Model::new(setup, Theme { color: true }, mcp_onboard::time::now_ms());
        let mut fx = update(&mut m, Msg::Resize(w, h));
        fx.extend(update(&mut m, Msg::Start));
        settle(rt, &api, &mut m, fx);
        assert_eq!(m.table.rows.len(), n, "the whole list is in the model");
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        term.draw(|f| view(&m, f)).expect("draw");
        let rounds = if quick { 50 } else { 300 };

        let mut same = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            term.draw(|f| view(&m, f)).expect("draw");
            same.push(t.elapsed());
        }
        let mut moved = Vec::new();
        for i in 0..rounds {
            let k = if i % 2 == 0 {
                KeyCode::Down
            } else {
                KeyCode::PageDown
            };
            let t = Instant::now();
            let _ = update(&mut m, press(k));
            term.draw(|f| view(&m, f)).expect("draw");
            moved.push(t.elapsed());
        }

        // A filter typed one key at a time, then erased: each keystroke refilters every row.
        let _ = update(&mut m, press(KeyCode::Char('/')));
        let typed = "customer number 4242";
        let mut filter = Vec::new();
        for _ in 0..if quick { 2 } else { 5 } {
            for c in typed.chars() {
                let t = Instant::now();
                let _ = update(&mut m, press(KeyCode::Char(c)));
                term.draw(|f| view(&m, f)).expect("draw");
                filter.push(t.elapsed());
            }
            assert!(
                !m.table.visible.is_empty() && m.table.visible.len() < n,
                "the filter narrowed the table"
            );
            for _ in typed.chars() {
                let t = Instant::now();
                let _ = update(&mut m, press(KeyCode::Backspace));
                term.draw(|f| view(&m, f)).expect("draw");
                filter.push(t.elapsed());
            }
            assert_eq!(m.table.visible.len(), n);
        }
        let _ = update(&mut m, press(KeyCode::Esc));

        // Engine events: a busy hour's changes, each applied and drawn (the runner coalesces
        // draws, so this is the worst case), sorted by slug and then by last change.
        let mut events = Vec::new();
        for (round, sort_key) in [(0u64, "slug"), (1, "changed")] {
            if sort_key == "changed" {
                while m.table.sort != mcp_onboard::engine::api::SortKey::Changed {
                    let _ = update(&mut m, press(KeyCode::Char('s')));
                }
            }
            for i in 0..if quick { 200 } else { 1000 } {
                let slug = format!("tenant-{:06}", (i * 7919 + round as usize * 13) % n);
                let Some(row) = m.table.rows.iter().find(|r| r.slug == slug).cloned() else {
                    continue;
                };
                let mut s = row;
                s.status = mcp_onboard::domain::model::TenantStatus::LinkIssued;
                s.updated_ms += 1_000_000 + i as i64;
                let ev = mcp_onboard::engine::Event {
                    seq: 1 + i as u64,
                    body: mcp_onboard::engine::EventBody::TenantChanged {
                        slug,
                        status: s.status,
                        summary: Some(s),
                        entry: None,
                    },
                };
                let t = Instant::now();
                let _ = update(
                    &mut m,
                    Msg::Engine(mcp_onboard::engine::Item::Event(Box::new(ev))),
                );
                term.draw(|f| view(&m, f)).expect("draw");
                events.push((round, t.elapsed()));
            }
        }
        let (mut by_slug, mut by_changed): (Vec<_>, Vec<_>) =
            events.into_iter().partition(|(r, _)| *r == 0);
        let mut by_slug: Vec<Duration> = by_slug.drain(..).map(|(_, d)| d).collect();
        let mut by_changed: Vec<Duration> = by_changed.drain(..).map(|(_, d)| d).collect();

        let mut sort = Vec::new();
        for _ in 0..if quick { 4 } else { 12 } {
            let t = Instant::now();
            let _ = update(&mut m, press(KeyCode::Char('s')));
            term.draw(|f| view(&m, f)).expect("draw");
            sort.push(t.elapsed());
        }

        println!("console at {w}x{h}, {n} tenants (update + draw on a TestBackend):");
        println!(
            "  one frame, nothing changed      median {}  p99 {}",
            ms(median(&mut same)),
            ms(pct(&mut same, 0.99))
        );
        println!(
            "  move the selection + frame      median {}  p99 {}",
            ms(median(&mut moved)),
            ms(pct(&mut moved, 0.99))
        );
        println!(
            "  filter keystroke to redraw      median {}  p99 {}  max {}",
            ms(median(&mut filter)),
            ms(pct(&mut filter, 0.99)),
            ms(*filter.iter().max().expect("some"))
        );
        println!(
            "  engine event to redraw          median {}  p99 {} (by slug); median {}  p99 {} (by last change)",
            ms(median(&mut by_slug)),
            ms(pct(&mut by_slug, 0.99)),
            ms(median(&mut by_changed)),
            ms(pct(&mut by_changed, 0.99))
        );
        println!(
            "  sort change to redraw           median {}  max {}",
            ms(median(&mut sort)),
            ms(*sort.iter().max().expect("some"))
        );
    }
    rt.block_on(engine.shutdown(Duration::from_secs(30)))
        .expect("close");
}

/// A private tmux server with one idle session; consoles run in windows of it.
struct Tmux {
    /// The server's socket, in a directory of its own that goes with it.
    socket: String,
    _dir: tempfile::TempDir,
}

impl Tmux {
    fn start() -> Tmux {
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
fn memory(pid: u32) -> (f64, f64) {
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

struct World {
    home: PathBuf,
    data: PathBuf,
    key: String,
    port: u16,
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

    fn serve(&self) -> Child {
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
fn console_round(t: &Tmux, w: &World, name: &str, n: usize) -> (Duration, Duration, (f64, f64)) {
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

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n: usize = if quick { 10_000 } else { 100_000 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let data = dir.path().join("data");
    let key_text = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    let key = KeySource::Env(secrecy::SecretString::from(key_text.clone()));
    fill(&rt, &data, &key, n);
    in_process(&rt, &data, &key, n, quick);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let w = World {
        home,
        data,
        key: key_text,
        port,
    };
    let t = Tmux::start();
    let rounds = if quick { 3 } else { 5 };

    let mut serve = w.serve();
    let (owner_idle, _) = memory(serve.id());
    let mut firsts = Vec::new();
    let mut fulls = Vec::new();
    let mut mem = (0.0f64, 0.0f64);
    for i in 0..rounds {
        let (f, full, m) = console_round(&t, &w, &format!("attached{i}"), n);
        firsts.push(f);
        fulls.push(full);
        mem = (mem.0.max(m.0), mem.1.max(m.1));
    }
    let owner_mem = memory(serve.id());
    println!("real binary in tmux at 120x40, {n} tenants, {rounds} rounds each:");
    println!(
        "  attached to serve: first rows {} (median; max {}), whole list {} (median)",
        ms(median(&mut firsts)),
        ms(*firsts.iter().max().expect("some")),
        ms(median(&mut fulls))
    );
    println!("    console RSS {:.0} MB (peak {:.0} MB)", mem.0, mem.1);
    println!(
        "    owner (serve) RSS {:.0} MB idle, {:.0} MB after the consoles (peak {:.0} MB)",
        owner_idle, owner_mem.0, owner_mem.1
    );
    let _ = Proc::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status();
    let _ = serve.wait();

    let mut firsts = Vec::new();
    let mut fulls = Vec::new();
    let mut mem = (0.0f64, 0.0f64);
    for i in 0..rounds {
        let (f, full, m) = console_round(&t, &w, &format!("owning{i}"), n);
        firsts.push(f);
        fulls.push(full);
        mem = (mem.0.max(m.0), mem.1.max(m.1));
    }
    println!(
        "  owning (database opened, index built): first rows {} (median; max {}), whole list {} (median)",
        ms(median(&mut firsts)),
        ms(*firsts.iter().max().expect("some")),
        ms(median(&mut fulls))
    );
    println!(
        "    console + owner in one process: RSS {:.0} MB (peak {:.0} MB)",
        mem.0, mem.1
    );
}
