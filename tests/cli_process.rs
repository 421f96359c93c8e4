//! The real binary in real processes: `serve` owning the database, other invocations
//! reaching it through the control socket, the consent flow over HTTP against the demo,
//! what ends up on disk, shutdown, keys, and errors people will hit.

mod support_proc;

use std::os::unix::fs::PermissionsExt;

use serde_json::Value;
use support_proc::*;

#[test]
fn other_processes_work_through_the_owners_control_socket() {
    let mut w = World::new();
    let serve = w.serve();
    let pid = serve.pid();
    assert!(
        serve.stdout().contains("redirect URI:"),
        "{}",
        serve.stdout()
    );

    let added = w.json(&["tenant", "add", "acme", "--name", "Acme Ltd"]);
    assert_eq!(s(&added, "slug"), "acme");
    assert_eq!(s(&added, "status"), "created");

    let link = w.json(&["link", "acme", "--ttl", "2h"]);
    let url = s(&link, "url");
    assert!(
        url.starts_with(&format!("{}/c/", w.base_url())),
        "link on the listener: {url}"
    );
    assert!(s(&link, "expires_at").ends_with('Z'), "{link:#}");
    assert_eq!(s(&link, "slug"), "acme");

    let t = w.tenant("acme");
    assert_eq!(s(&t, "slug"), "acme");
    assert_eq!(s(&t, "display_name"), "Acme Ltd");
    assert_eq!(s(&t, "status"), "link_issued");
    let kinds: Vec<&str> = t["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| s(e, "kind"))
        .collect();
    assert_eq!(kinds, ["tenant_added", "link_issued"]);

    // The reply was computed by the serving process: it names itself as the owner. (The
    // database is locked by it, so the CLI could not have opened it anyway.)
    let st = w.json(&["status"]);
    assert_eq!(s(&st, "owner"), format!("process {pid}"));
    assert_eq!(st["tenants"], 1);
    assert_eq!(st["by_status"]["link_issued"], 1);
    assert_eq!(
        s(&st, "redirect_uri"),
        format!("{}/oauth/callback", w.base_url())
    );

    let list = w.json(&["tenant", "list"]);
    let list = list.as_array().expect("a list");
    assert_eq!(list.len(), 1);
    assert_eq!(s(&list[0], "slug"), "acme");
    assert_eq!(s(&list[0], "status"), "link_issued");

    // Text output goes through the same path.
    let text = w.ok(&["tenant", "list"]);
    assert!(
        text.contains("acme") && text.contains("link_issued"),
        "{text}"
    );

    // Errors from the owner come back as a clear message and a failing exit code.
    let out = w.run(&["tenant", "show", "nope"]);
    assert!(!out.ok());
    assert!(out.stderr.contains("no tenant \"nope\""), "{}", out.stderr);
    let out = w.run(&["tenant", "add", "acme"]);
    assert!(!out.ok());
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);

    // The data dir is private to its owner.
    let mode = std::fs::metadata(w.data_dir())
        .expect("data dir")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700, "data dir mode {:o}", mode & 0o777);
    let sock = std::fs::metadata(&serve.socket)
        .expect("socket")
        .permissions()
        .mode();
    assert_eq!(sock & 0o777, 0o600, "socket mode {:o}", sock & 0o777);
}

#[test]
fn a_second_serve_is_refused_with_the_holders_pid() {
    let mut w = World::new();
    let serve = w.serve();
    let out = w.run(&["serve"]);
    assert!(!out.ok(), "a second owner started: {}", out.stdout);
    assert!(
        out.stderr
            .contains(&format!("in use by process {}", serve.pid())),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("os error") && !out.stderr.contains("could not acquire lock"),
        "raw IO error shown: {}",
        out.stderr
    );
    // The owner is unharmed.
    assert_eq!(w.json(&["status"])["tenants"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_consent_over_http_stores_no_secret_in_clear_and_sigterm_stops_cleanly() {
    let mut w = World::new(); // MCP_ONBOARD_LOG=trace: logs as talkative as they get
    let mut serve = w.serve();
    let pid = serve.pid();
    w.ok(&["tenant", "add", "acme", "--name", "Acme Ltd"]);
    let link = w.json(&["link", "acme"]);

    let page = consent_over_http(s(&link, "url"), "ann@acme.com").await;
    assert!(is_connected_page(&page), "{page}");
    assert!(page.contains("ann@acme.com"), "{page}");

    let t = w.tenant("acme");
    assert_eq!(s(&t, "google_email"), "ann@acme.com");
    assert!(t["consented_at"].is_string(), "{t:#}");
    // The demo provisions on its Blaxel stand-in: the refresh token travels through this
    // process once more before the scan below.
    let t = tenant_when(&w, "acme", |t| t["status"] == "deployed");
    assert!(
        s(&t, "mcp_url").ends_with("/functions/gmail-mcp-acme/mcp"),
        "{t:#}"
    );
    assert_eq!(s(&t["provisioning"], "blaxel_status"), "DEPLOYED");
    // The demo's Blaxel stand-in serves that URL as a real MCP server: the owner checks it
    // right after the deploy and the tenant shows Gmail's tool; `health acme` checks again
    // at once, through the control socket.
    let t = tenant_when(&w, "acme", |t| t["mcp"]["usable"] == true);
    let (tools, url) = (serde_json::json!(["send_email"]), &t["mcp_url"]);
    assert_eq!(
        (&t["mcp"]["tools"], &t["mcp"]["url"]),
        (&tools, url),
        "{t:#}"
    );
    let health = w.json(&["health", "acme"]);
    let mcp = &health["mcp"][0];
    assert_eq!(
        (&mcp["usable"], &mcp["tools"]),
        (&true.into(), &tools),
        "{health:#}"
    );
    assert_eq!(mcp["integration"], "gmail", "{health:#}");
    assert_eq!(w.tenant("acme")["mcp"]["checked_at"], mcp["checked_at"]);

    // SIGTERM: a clean exit that flushes and removes the control socket.
    let status = serve.terminate();
    assert!(
        status.success(),
        "serve exited with {status}: {}",
        serve.stderr()
    );
    assert!(serve.stdout().contains("stopped"), "{}", serve.stdout());
    assert!(!serve.socket.exists(), "control socket left behind");

    // Every byte of the data dir: database files and the trace-level logs.
    let data = all_bytes(&w.data_dir());
    let logs = all_bytes(&w.data_dir().join("logs"));
    assert!(
        contains(&logs, b"TRACE"),
        "sanity: logging ran at trace level"
    );
    assert!(
        contains(&data, b"ann@acme.com") && contains(&data, b"Acme Ltd"),
        "sanity: the scan sees the stored tenant"
    );
    let tokens = refresh_tokens_in(&data, 20);
    assert!(
        tokens.is_empty(),
        "refresh token in clear on disk: {tokens:?}"
    );
    assert!(
        !contains(&data, b"demo-secret"),
        "the client secret is on disk"
    );
    // ... and the scanner would have caught one.
    let planted = b"xx 1//0gAbCdEfGhIjKlMnOpQrStUvWxYz-_0123456789 yy";
    assert_eq!(refresh_tokens_in(planted, 20).len(), 1);

    // With no owner left, the CLI opens the database itself.
    let t = w.tenant("acme");
    assert_eq!(s(&t, "status"), "deployed");
    let st = w.json(&["status"]);
    assert_ne!(s(&st, "owner"), format!("process {pid}"));
    assert!(!serve.socket.exists(), "a direct open serves no socket");
}

#[test]
fn config_check_prints_the_redirect_uri() {
    let w = World::new();
    let out = w.ok(&["config", "check"]);
    let want = format!("{}/oauth/callback", w.base_url());
    assert!(
        out.lines()
            .any(|l| l.starts_with("redirect URI:") && l.contains(&want)),
        "{out}"
    );
    let v = w.json(&["config", "check"]);
    assert_eq!(s(&v, "redirect_uri"), want);
    assert_eq!(s(&v, "google"), "ok");

    // Real use: the public URL decides the redirect URI; missing Google credentials fail.
    let mut real = World::new();
    real.demo = false;
    real.env.push((
        "MCP_ONBOARD_PUBLIC_URL".into(),
        "https://onboard.example.com".into(),
    ));
    let out = real.run(&["config", "check"]);
    assert!(
        !out.ok(),
        "passed without Google credentials: {}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("redirect URI: https://onboard.example.com/oauth/callback"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("GOOGLE_CLIENT_ID"), "{}", out.stderr);
    real.env.push((
        "GOOGLE_CLIENT_ID".into(),
        "id.apps.googleusercontent.com".into(),
    ));
    real.env
        .push(("GOOGLE_CLIENT_SECRET".into(), "s3cret".into()));
    // Google is now fine, but provisioning has no Blaxel workspace yet.
    let out = real.run(&["config", "check"]);
    assert!(
        !out.ok(),
        "passed without Blaxel credentials: {}",
        out.stdout
    );
    assert!(
        out.stdout.contains("client id.apps.googleusercontent.com"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("BL_WORKSPACE"), "{}", out.stderr);
    // The official CLI's login file is enough, as it is for the Blaxel SDKs.
    let blaxel_cfg = real.tmp.path().join("home/.blaxel/config.yaml");
    std::fs::create_dir_all(blaxel_cfg.parent().unwrap()).unwrap();
    std::fs::write(
        &blaxel_cfg,
        "context:\n  workspace: acme-ws\nworkspaces:\n- name: acme-ws\n  credentials:\n    apiKey: bl_k3y\n",
    )
    .unwrap();
    // Blaxel is fine now; a public listener still needs the brand's name.
    let out = real.run(&["config", "check"]);
    assert!(!out.ok(), "passed without a brand name: {}", out.stdout);
    assert!(
        out.stderr.contains("MCP_ONBOARD_BRAND_NAME"),
        "{}",
        out.stderr
    );
    real.env
        .push(("MCP_ONBOARD_BRAND_NAME".into(), "Parcel AI".into()));
    let out = real.ok(&["config", "check"]);
    assert!(out.contains("workspace acme-ws"), "{out}");
    assert!(out.contains(".blaxel/config.yaml"), "{out}");
    assert!(
        !out.contains("s3cret") && !out.contains("bl_k3y"),
        "a secret is printed: {out}"
    );

    // An http public URL that is not loopback is refused with the reason.
    real.env.push((
        "MCP_ONBOARD_PUBLIC_URL".into(),
        "http://onboard.example.com".into(),
    ));
    let out = real.run(&["config", "check"]);
    assert!(!out.ok());
    assert!(out.stderr.contains("must be https://"), "{}", out.stderr);
}

#[test]
fn bad_input_is_refused_clearly() {
    let w = World::new();
    let out = w.run(&["tenant", "add", "Bad Slug"]);
    assert!(!out.ok());
    assert!(out.stderr.contains("invalid slug"), "{}", out.stderr);

    w.ok(&["tenant", "add", "acme"]);
    for (ttl, says) in [
        ("5x", "examples: 30m, 24h, 7d"),
        ("soon", "examples: 30m, 24h, 7d"),
        ("1s", "out of range"),
        ("90d", "out of range"),
    ] {
        let out = w.run(&["link", "acme", "--ttl", ttl]);
        assert!(!out.ok(), "--ttl {ttl} accepted: {}", out.stdout);
        assert!(out.stderr.contains(says), "--ttl {ttl}: {}", out.stderr);
    }

    for args in [&["tenant", "show", "ghost"][..], &["link", "ghost"][..]] {
        let out = w.run(args);
        assert!(!out.ok(), "{args:?} succeeded: {}", out.stdout);
        assert!(out.stderr.contains("no tenant \"ghost\""), "{}", out.stderr);
    }

    let out = w.run(&["tenant", "add", "x", "--email", "a@b.c", "--domain", "b.c"]);
    assert!(!out.ok());
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);

    // Nothing half-made was left by the failures.
    let list = w.json(&["tenant", "list"]);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
}

/// A `watch --json` child whose output lands in a file, killed on drop.
struct Watch {
    child: std::process::Child,
    out: std::path::PathBuf,
}

impl Watch {
    fn start(w: &World, extra: &[&str]) -> Self {
        let out = w.tmp.path().join(format!("watch-{}.jsonl", extra.len()));
        let mut args = vec!["--json", "watch"];
        args.extend_from_slice(extra);
        let child = w
            .command(&args)
            .stdout(std::fs::File::create(&out).expect("watch output"))
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("watch");
        Self { child, out }
    }

    fn lines(&self) -> Vec<Value> {
        read(&self.out)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Wait (with a deadline, not a sleep) until a line satisfies `f`.
    fn wait_for(&self, what: &str, f: impl Fn(&Value) -> bool) -> Vec<Value> {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let lines = self.lines();
            if lines.iter().any(&f) {
                return lines;
            }
            assert!(
                std::time::Instant::now() < until,
                "watch never showed {what}: {lines:#?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tenant_statuses(lines: &[Value], slug: &str) -> Vec<(u64, String)> {
    lines
        .iter()
        .filter(|l| l["kind"] == "tenant_changed" && l["slug"] == slug)
        .map(|l| {
            (
                l["seq"].as_u64().unwrap(),
                l["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_json_streams_another_clients_changes_live_and_replays_with_since() {
    let mut w = World::new();
    let _serve = w.serve();
    let watch = Watch::start(&w, &[]);
    // Until the stream is attached, a probe tenant is added again and again.
    let mut n = 0;
    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        w.ok(&["tenant", "add", &format!("probe{n}")]);
        let seen = watch.lines();
        if seen.iter().any(|l| l["kind"] == "tenant_changed") {
            break;
        }
        n += 1;
        assert!(std::time::Instant::now() < until, "watch never attached");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // Another client adds a tenant and onboards it; the stream shows every step, in order.
    w.ok(&["tenant", "add", "acme"]);
    let link = w.json(&["link", "acme"]);
    let page = consent_over_http(s(&link, "url"), "ann@acme.com").await;
    assert!(is_connected_page(&page), "{page}");
    let lines = watch.wait_for("acme deployed", |l| {
        l["slug"] == "acme" && l["status"] == "deployed"
    });
    let got = tenant_statuses(&lines, "acme");
    let mut statuses: Vec<&str> = got.iter().map(|(_, s)| s.as_str()).collect();
    statuses.dedup();
    assert_eq!(
        statuses,
        [
            "created",
            "link_issued",
            "link_opened",
            "consented",
            "connection_ready",
            "server_created",
            "deployed"
        ],
        "{got:?}"
    );
    let seqs: Vec<u64> = lines.iter().filter_map(|l| l["seq"].as_u64()).collect();
    assert!(seqs.windows(2).all(|p| p[0] < p[1]), "seq grows: {seqs:?}");
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "link_changed" && l["slug"] == "acme"),
        "link events too"
    );
    assert!(
        lines.iter().any(|l| l["kind"] == "provisioner_changed"),
        "the provisioner's state is published"
    );

    // A consumer that missed all of it replays the stored timeline with --since.
    let first = got[0].0;
    let replay = Watch::start(&w, &["--since", &(first - 1).to_string()]);
    let replayed = replay.wait_for("acme deployed again", |l| {
        l["slug"] == "acme" && l["status"] == "deployed"
    });
    let again = tenant_statuses(&replayed, "acme");
    let stored: Vec<u64> = w.tenant("acme")["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    // The MCP check recorded right after the deploy may come live after the timeline.
    let head: Vec<u64> = again.iter().map(|(q, _)| *q).take(stored.len()).collect();
    assert_eq!(
        head, stored,
        "the replay is the stored timeline, with its numbers"
    );
}

#[test]
fn watch_without_an_owner_says_so() {
    let w = World::new();
    w.ok(&["tenant", "add", "acme"]);
    let out = w.run(&["watch"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.contains("no owner is running"), "{}", out.stderr);
}

#[test]
fn only_the_newest_log_files_are_kept() {
    let mut w = World::new();
    w.demo = false;
    let logs = w.data_dir().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::set_permissions(w.data_dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
    for day in 1..=20 {
        std::fs::write(
            logs.join(format!("mcp-onboard.log.2026-01-{day:02}")),
            "old\n",
        )
        .unwrap();
    }
    w.env
        .push(("MCP_ONBOARD_LOG_KEEP_FILES".into(), "5".into()));
    w.ok(&["tenant", "add", "acme"]);
    let kept: Vec<String> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(kept.len() <= 5, "{kept:?}");
    assert!(
        !kept.iter().any(|k| k.ends_with("2026-01-01")),
        "the oldest went first: {kept:?}"
    );
}
