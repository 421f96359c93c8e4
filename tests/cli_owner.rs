//! The owning `serve` in real processes: stopping with work in flight, token checks,
//! offboarding, backups, key rotation, reconcile and metrics. The token checks with the
//! store on sled and on PostgreSQL.

mod support_proc;

use rstest::rstest;
use support_proc::pg::Backend;
use support_proc::*;

#[test]
fn serve_stopping_with_a_request_in_flight_says_what_it_waits_for_and_how_long() {
    use std::io::{Read, Write};
    let mut w = World::new();
    w.ok(&["tenant", "add", "acme"]);
    let mut serve = w.serve();
    // A Continue whose form is still on its way: a request in flight.
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", w.port)).expect("connect");
    write!(
        conn,
        "POST /c/AAAAAAAAAAAAAAAAAAAAAA/continue HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 12\r\n\r\ntoken="
    )
    .expect("send the headers and half the body");
    conn.flush().expect("flush");
    std::thread::sleep(std::time::Duration::from_millis(300));

    let pid = serve.pid().to_string();
    let sent = std::process::Command::new("sh")
        .args(["-c", "kill -TERM \"$0\"", &pid])
        .status()
        .expect("sh");
    assert!(sent.success());
    let start = std::time::Instant::now();
    loop {
        let out = serve.stdout();
        if out.contains("stopping:") {
            assert!(
                out.contains(
                    "stopping: waiting up to 30s for 1 request in flight to finish, then flushing the database"
                ),
                "{out}"
            );
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "no stopping line: {out}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The rest of the form arrives: the request is answered and serve stops at once.
    conn.write_all(b"abcdef").expect("the rest of the body");
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
    let status = serve.terminate_wait();
    assert!(status.success(), "{}", serve.stderr());
    let out = serve.stdout();
    assert!(out.trim_end().ends_with("stopped"), "{out}");
    assert!(!out.contains("cut"), "{out}");
}

#[test]
fn serve_stopping_idle_says_there_is_nothing_in_flight() {
    let mut w = World::new();
    let mut serve = w.serve();
    let status = serve.terminate();
    assert!(status.success());
    let out = serve.stdout();
    assert!(
        out.contains("stopping: no requests in flight; flushing the database"),
        "{out}"
    );
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_checks_tokens_by_itself_and_health_and_show_tell_the_operator(
    #[case] backend: Backend,
) {
    let Some((mut w, google, _blaxel)) = world_with_standins_on(Default::default(), backend).await
    else {
        return;
    };
    w.env
        .push(("MCP_ONBOARD_HEALTH_INTERVAL".into(), "1s".into()));
    w.env.push(("GOOGLE_APP_IN_TESTING".into(), "true".into()));
    let serve = w.serve();
    assert!(
        serve.stdout().contains("token checks: every 1s (jittered)"),
        "{}",
        serve.stdout()
    );
    for slug in ["acme", "acme-eu", "beta"] {
        w.ok(&["tenant", "add", slug]);
        let link = w.json(&["link", slug]);
        // acme and acme-eu are one customer's account.
        let email = if slug == "beta" {
            "it@beta.example"
        } else {
            "it@acme.example"
        };
        let (status, body) = consent_through(s(&link, "url"), email, false).await;
        assert_eq!(status, 200, "{body}");
    }
    wait_status(&w, "acme", "deployed");

    // On demand, all at once.
    let text = w.ok(&["health"]);
    assert!(text.starts_with("SLUG"), "{text}");
    assert!(text.contains("checked 3: 3 healthy"), "{text}");
    let show = w.ok(&["tenant", "show", "acme"]);
    assert!(show.contains("  token:    healthy (checked "), "{show}");
    assert!(
        show.contains("the app is in Testing: Google ends this token at"),
        "{show}"
    );
    assert!(
        show.contains("2 refresh tokens issued to us by this Google account"),
        "{show}"
    );

    // The customer removes the app's access: the owner notices by itself.
    assert_eq!(google.revoke_account("it@acme.example"), 2);
    let t = wait_status(&w, "acme", "needs_reconsent");
    assert!(
        t["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("invalid_grant"),
        "{t:#}"
    );
    wait_status(&w, "acme-eu", "needs_reconsent");
    assert_eq!(s(&w.tenant("beta"), "status"), "deployed");
    let j = w.json(&["health", "beta"]);
    assert_eq!(j["checks"][0]["health"], "healthy", "{j:#}");
    let out = w.run(&["health", "acme"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("has no token to check"),
        "{}",
        out.stderr
    );

    // Our client is condemned: one alarm in status, nobody flipped.
    google.set_knobs(mcp_onboard::sandbox::google::Knobs {
        fail_refresh: Some((401, "invalid_client".into())),
        ..Default::default()
    });
    let start = std::time::Instant::now();
    loop {
        let st = w.ok(&["status"]);
        if st.contains("token checks: ALARM since") {
            assert!(st.contains("invalid_client"), "{st}");
            break;
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(30), "{st}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(s(&w.tenant("beta"), "status"), "deployed");
    // Fixed: the next probe clears it.
    google.set_knobs(Default::default());
    let start = std::time::Instant::now();
    while w.ok(&["status"]).contains("ALARM") {
        assert!(start.elapsed() < std::time::Duration::from_secs(30));
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offboard_asks_first_reads_a_file_or_a_status_and_ends_offboarded() {
    let mut w = World::new();
    let _serve = w.serve();
    for slug in ["acme", "beta", "gamma"] {
        w.ok(&["tenant", "add", slug]);
        let link = w.json(&["link", slug]);
        consent_over_http(s(&link, "url"), &format!("it@{slug}.example")).await;
    }
    for slug in ["acme", "beta", "gamma"] {
        wait_status(&w, slug, "deployed");
    }
    // No terminal to ask on and no --yes: nothing happens.
    let out = w.run(&["offboard", "acme"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("acme would be offboarded: add --yes"),
        "{}",
        out.stderr
    );
    assert_eq!(s(&w.tenant("acme"), "status"), "deployed");

    // A file with a line that is not a slug offboards nothing.
    let list = w.tmp.path().join("incident.txt");
    std::fs::write(&list, "acme\n# the other one\nbeta  # too\nNot A Slug\n").unwrap();
    let out = w.run(&["offboard", "--file", list.to_str().unwrap(), "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains(":4: \"Not A Slug\" is not a slug"),
        "{}",
        out.stderr
    );
    assert_eq!(s(&w.tenant("beta"), "status"), "deployed");

    std::fs::write(&list, "acme\n# the other one\nbeta  # too\n").unwrap();
    let j = w.json(&["offboard", "--file", list.to_str().unwrap(), "--yes"]);
    assert_eq!(j["started"], serde_json::json!(["acme", "beta"]), "{j:#}");
    wait_status(&w, "acme", "offboarded");
    wait_status(&w, "beta", "offboarded");
    let show = w.ok(&["tenant", "show", "acme"]);
    assert!(show.contains("secrets wiped: offboarded"), "{show}");

    // By status: the one still deployed.
    let out = w.ok(&["offboard", "--status", "deployed", "--yes"]);
    assert!(out.contains("offboarding 1 tenant"), "{out}");
    wait_status(&w, "gamma", "offboarded");
    let out = w.ok(&["offboard", "--status", "deployed", "--yes"]);
    assert!(out.contains("no tenant to offboard"), "{out}");
    // Neither a slug nor a selection is a bad command line.
    assert_eq!(w.run(&["offboard"]).status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_from_the_running_owner_restores_into_an_empty_data_dir() {
    use std::os::unix::fs::PermissionsExt;
    let (mut w, _google, _blaxel) = world_with_standins(Default::default()).await;
    let serve = w.serve();
    w.ok(&["tenant", "add", "acme"]);
    let link = w.json(&["link", "acme"]);
    let (status, body) = consent_through(s(&link, "url"), "it@acme.example", false).await;
    assert_eq!(status, 200, "{body}");
    wait_status(&w, "acme", "deployed");
    w.ok(&["tenant", "add", "beta"]);

    let file = w.tmp.path().join("onboard.backup");
    let f = file.to_str().unwrap();
    let j = w.json(&["backup", f]);
    assert!(j["entries"].as_u64().unwrap() > 5, "{j:#}");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "it holds sealed secrets: for its owner only");
    let out = w.run(&["backup", f]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.contains("exists already"), "{}", out.stderr);
    drop(serve);

    // Into an empty data dir, with the same key.
    let other = w.tmp.path().join("restored");
    w.other_data_dir = Some(other.clone());
    let out = w.ok(&["restore", f]);
    assert!(out.contains("restored"), "{out}");
    let list = w.json(&["tenant", "list"]);
    let slugs: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| s(t, "slug"))
        .collect();
    assert_eq!(slugs, ["acme", "beta"]);
    // The restored refresh token still opens and still works at Google.
    let h = w.json(&["health", "acme"]);
    assert_eq!(h["checks"][0]["health"], "healthy", "{h:#}");

    // Never over a database.
    let out = w.run(&["restore", f]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("holds a database already"),
        "{}",
        out.stderr
    );
    // A damaged file is refused, and so is another key.
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    let damaged = w.tmp.path().join("damaged.backup");
    std::fs::write(&damaged, &bytes).unwrap();
    let empty = w.tmp.path().join("empty");
    w.other_data_dir = Some(empty.clone());
    let out = w.run(&["restore", damaged.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("checksum does not match"),
        "{}",
        out.stderr
    );
    let mut c = w.command(&["restore", f]);
    use base64::Engine as _;
    c.env(
        "MCP_ONBOARD_KEY",
        base64::engine::general_purpose::STANDARD.encode([9u8; 32]),
    );
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not open this database"), "{err}");
    assert!(
        !empty.join("db").exists(),
        "nothing written for a wrong key"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotate_reseals_under_a_new_master_key_and_an_interrupted_one_finishes_on_open() {
    use std::os::unix::fs::PermissionsExt;
    let (mut w, _google, _blaxel) = world_with_standins(Default::default()).await;
    let serve = w.serve();
    w.ok(&["tenant", "add", "acme"]);
    let link = w.json(&["link", "acme"]);
    let (status, body) = consent_through(s(&link, "url"), "it@acme.example", false).await;
    assert_eq!(status, 200, "{body}");
    wait_status(&w, "acme", "deployed");
    let out = w.run(&["key", "rotate"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("stop the owner first"),
        "{}",
        out.stderr
    );
    drop(serve);

    let key_file = w.tmp.path().join("home/.config/mcp-onboard/secret.key");
    let old = std::fs::read_to_string(&key_file).expect("the key file");
    let out = w.ok(&["key", "rotate"]);
    assert!(out.contains("1 tenant keys"), "{out}");
    let new = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(old, new);
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // The audit chain's head was sealed again under the new key: it still verifies.
    assert!(w.ok(&["audit", "verify"]).contains("the audit chain holds"));
    // The token still opens (through its tenant key) and works at Google.
    let h = w.json(&["health", "acme"]);
    assert_eq!(h["checks"][0]["health"], "healthy", "{h:#}");
    // The old key opens nothing any more.
    let mut c = w.command(&["tenant", "list"]);
    c.env("MCP_ONBOARD_KEY", old.trim());
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not open this database"));

    // As if a rotation stopped after re-sealing, before the new key file was renamed: the
    // database is sealed under the new key, which lies beside the old file.
    let before = std::fs::read_to_string(&key_file).unwrap();
    w.ok(&["key", "rotate"]);
    let pending = w.tmp.path().join("home/.config/mcp-onboard/secret.key.new");
    std::fs::rename(&key_file, &pending).unwrap();
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&key_file)
            .unwrap();
        f.write_all(before.as_bytes()).unwrap();
    }
    let newest = std::fs::read_to_string(&pending).unwrap();
    let list = w.json(&["tenant", "list"]);
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(1),
        "opened with the new key"
    );
    assert!(!pending.exists(), "moved into place");
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), newest);
    // --new-key-file is for a key in MCP_ONBOARD_KEY, not beside a key file.
    let out = w.run(&["key", "rotate", "--new-key-file", "/tmp/never.key"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.contains("replaced in place"), "{}", out.stderr);

    // With the key in MCP_ONBOARD_KEY, the new one goes where it is told.
    let current = std::fs::read_to_string(&key_file).unwrap();
    w.env
        .push(("MCP_ONBOARD_KEY".into(), current.trim().to_owned()));
    let out = w.run(&["key", "rotate"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.contains("--new-key-file"), "{}", out.stderr);
    let fresh = w.tmp.path().join("fresh.key");
    w.ok(&["key", "rotate", "--new-key-file", fresh.to_str().unwrap()]);
    let fresh_key = std::fs::read_to_string(&fresh).unwrap();
    w.env.retain(|(k, _)| k != "MCP_ONBOARD_KEY");
    w.env
        .push(("MCP_ONBOARD_KEY".into(), fresh_key.trim().to_owned()));
    let h = w.json(&["health", "acme"]);
    assert_eq!(h["checks"][0]["health"], "healthy", "{h:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_apart_from_the_listener_parse_as_prometheus_text_and_count_a_consent() {
    let mut w = World::new();
    let port = free_port();
    w.env.push((
        "MCP_ONBOARD_METRICS_BIND".into(),
        format!("127.0.0.1:{port}"),
    ));
    let _serve = w.serve();
    w.ok(&["tenant", "add", "acme"]);
    let link = w.json(&["link", "acme"]);
    consent_over_http(s(&link, "url"), "it@acme.example").await;
    wait_status(&w, "acme", "deployed");
    let http = reqwest::Client::new();
    let res = http
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(res.status(), 200);
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    let text = res.text().await.unwrap();
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("Prometheus text");
    let value = |name: &str, label: Option<(&str, &str)>| -> f64 {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
            .unwrap_or_else(|| panic!("no {name} {label:?} in:\n{text}"))
    };
    assert_eq!(value("mcp_onboard_consents_total", None), 1.0);
    assert!(value("mcp_onboard_callbacks_total", None) >= 1.0);
    assert_eq!(
        value("mcp_onboard_tenants", Some(("status", "deployed"))),
        1.0
    );
    assert!(
        text.contains("mcp_onboard_integrations{integration=\"gmail\",status=\"deployed\"} 1"),
        "{text}"
    );
    assert!(value("mcp_onboard_blaxel_calls_total", Some(("result", "done"))) >= 3.0);
    assert!(value("mcp_onboard_store_flushes_total", None) >= 1.0);
    assert!(
        text.contains("mcp_onboard_callback_seconds_bucket"),
        "{text}"
    );
    // Never on the public listener.
    let res = http
        .get(format!("{}/metrics", w.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_over_the_socket_reports_no_drift_as_json_and_needs_an_owner() {
    let mut w = World::new();
    let out = w.run(&["reconcile"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.contains("runs in the owner"), "{}", out.stderr);
    let _serve = w.serve();
    w.ok(&["tenant", "add", "acme"]);
    let link = w.json(&["link", "acme"]);
    consent_over_http(s(&link, "url"), "it@acme.example").await;
    wait_status(&w, "acme", "deployed");
    let j = w.json(&["reconcile"]);
    assert_eq!(j, serde_json::json!({"findings": []}));
    assert!(w.ok(&["reconcile"]).contains("no drift"));
}
