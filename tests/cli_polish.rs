//! The CLI as an operator meets it, in real processes: failing loud when consent cannot
//! work, saying when a new database or key is made, one vocabulary, tidy output and errors,
//! help, and the everyday commands.

mod support_proc;

use serde_json::Value;
use support_proc::*;

fn without_google(w: &mut World) {
    w.env.retain(|(k, _)| !k.starts_with("GOOGLE_"));
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("no string {k:?} in {v:#}"))
}

#[test]
fn without_a_google_client_serve_and_status_say_consent_is_disabled_and_link_refuses() {
    let mut w = real_world();
    without_google(&mut w);
    w.ok(&["tenant", "add", "acme"]);
    let serve = w.serve();
    let banner = serve.stdout();
    assert!(
        banner.contains("consent:      disabled: missing google.client_id"),
        "{banner}"
    );
    let status = w.ok(&["status"]);
    assert!(
        status.contains("consent:      disabled: missing google.client_id"),
        "{status}"
    );
    assert!(
        status.contains(&format!("owner:        process {}", serve.pid())),
        "{status}"
    );
    let j = w.json(&["status"]);
    assert!(
        s(&j, "consent").starts_with("disabled: missing google.client_id"),
        "{j:#}"
    );

    let out = w.run(&["link", "acme"]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout);
    assert!(
        out.stderr.contains("consent is disabled")
            && out.stderr.contains("GOOGLE_CLIENT_ID")
            && out.stderr.contains("none was issued"),
        "{}",
        out.stderr
    );
    // Nothing was issued.
    let t = w.tenant("acme");
    assert_eq!(s(&t, "status"), "created", "{t:#}");
    assert_eq!(t["links"].as_array().map(Vec::len), Some(0), "{t:#}");

    // With a client, consent is enabled.
    drop(serve);
    let mut w2 = real_world();
    let serve = w2.serve();
    assert!(
        serve.stdout().contains("consent:      enabled"),
        "{}",
        serve.stdout()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_continue_refused_for_want_of_a_google_client_is_on_the_tenants_timeline_once_and_counted()
 {
    let mut w = real_world();
    w.ok(&["tenant", "add", "acme"]);
    let link = w.json(&["link", "acme"]);
    let url = s(&link, "url").to_owned();
    // The client goes away (a config change) and serve starts without it.
    without_google(&mut w);
    let _serve = w.serve();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = http.get(&url).send().await.expect("open");
    let cookie = page
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("cookie")
        .to_owned();
    let body = page.text().await.expect("page");
    let token = between(&body, r#"name="token" value=""#, '"');
    let action = between(&body, r#"action=""#, '"');
    let cont = url::Url::parse(&url)
        .expect("url")
        .join(&action)
        .expect("continue URL");
    for _ in 0..3 {
        let res = http
            .post(cont.clone())
            .header("cookie", &cookie)
            .form(&[("token", token.as_str())])
            .send()
            .await
            .expect("continue");
        let text = res.text().await.expect("page");
        assert!(text.contains("Not available right now"), "{text}");
    }
    let t = w.tenant("acme");
    let entries: Vec<&str> = t["events"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["detail"].as_str())
        .filter(|d| d.contains("Continue refused: consent is disabled"))
        .collect();
    assert_eq!(entries.len(), 1, "one entry, the others counted: {t:#}");
    assert_eq!(t["refused_signins"], 3, "{t:#}");
}

#[test]
fn a_link_issued_with_no_owner_running_warns_on_stderr_or_in_json() {
    let mut w = real_world();
    w.ok(&["tenant", "add", "acme"]);
    let out = w.run(&["link", "acme"]);
    assert!(out.ok(), "{}", out.stderr);
    assert!(out.stdout.contains("/c/"), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("warning: no owner is running: nothing answers this link"),
        "{}",
        out.stderr
    );
    let j = w.json(&["link", "acme"]);
    assert!(s(&j, "warning").contains("no owner is running"), "{j:#}");
    // With an owner, no warning.
    let _serve = w.serve();
    let out = w.run(&["link", "acme"]);
    assert!(
        out.ok() && !out.stderr.contains("warning"),
        "{}",
        out.stderr
    );
    let j = w.json(&["link", "acme"]);
    assert!(j.get("warning").is_none(), "{j:#}");
    let status = w.ok(&["status"]);
    assert!(status.contains("consent:      enabled"), "{status}");
}

#[test]
fn status_with_no_owner_says_so() {
    let w = real_world();
    w.ok(&["tenant", "add", "acme"]);
    let out = w.ok(&["status"]);
    assert!(
        out.contains("owner:        none running")
            && out.contains(&format!("data dir:     {}", w.data_dir().display())),
        "{out}"
    );
}

#[test]
fn a_slug_ending_in_a_hyphen_is_refused_and_nothing_is_added() {
    let w = real_world();
    let out = w.run(&["tenant", "add", "acme-"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("invalid slug \"acme-\"")
            && out.stderr.contains("ending with a letter or digit"),
        "{}",
        out.stderr
    );
    assert_eq!(w.json(&["status"])["tenants"], 0);
}

#[test]
fn a_ttl_out_of_range_is_shown_as_typed() {
    let w = real_world();
    w.ok(&["tenant", "add", "acme"]);
    for (ttl, shown) in [
        ("45d", "45d is out of range"),
        ("30s", "30s is out of range"),
    ] {
        let out = w.run(&["link", "acme", "--ttl", ttl]);
        assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
        assert!(
            out.stderr.contains(shown) && out.stderr.contains("1m to 30d"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("month"), "{}", out.stderr);
    }
}

#[test]
fn a_command_about_to_create_a_database_and_key_says_so_once() {
    let mut w = real_world();
    let key = w.tmp.path().join("secret.key");
    w.env
        .push(("MCP_ONBOARD_KEY_FILE".into(), key.display().to_string()));
    // A command that only reads creates nothing (see `cli_first_hour`); one that adds does.
    let first = w.run(&["tenant", "add", "acme"]);
    assert!(first.ok(), "{}", first.stderr);
    let created = format!(
        "note: no database in {} yet: creating a new one",
        w.data_dir().display()
    );
    assert_eq!(
        first.stderr.matches(&created).count(),
        1,
        "{}",
        first.stderr
    );
    let new_key = format!("note: creating a new key in {}", key.display());
    assert_eq!(
        first.stderr.matches(&new_key).count(),
        1,
        "{}",
        first.stderr
    );
    assert!(first.stderr.contains("back it up"), "{}", first.stderr);
    assert!(key.exists() && w.data_dir().join("db").exists());
    // The second time there is nothing new to say.
    let second = w.run(&["tenant", "add", "beta"]);
    assert!(
        second.ok() && !second.stderr.contains("note:"),
        "{}",
        second.stderr
    );
}

#[test]
fn real_commands_while_a_demo_owner_runs_point_at_it_and_create_nothing() {
    let mut demo = World::new();
    let _serve = demo.serve();
    // The same home, real data: a different (new) database.
    let mut real = World::new();
    real.demo = false;
    real.env = demo.env.clone();
    let out = {
        let mut c = real.command(&["status"]);
        c.env("HOME", demo.tmp.path().join("home"))
            .env("XDG_DATA_HOME", demo.tmp.path().join("home/.local/share"))
            .env("XDG_CONFIG_HOME", demo.tmp.path().join("home/.config"));
        c.output().expect("status")
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("a --demo owner is running: add --demo to talk to it"),
        "{err}"
    );
    assert!(!real.data_dir().exists(), "nothing created");
}

#[test]
fn tenant_list_filters_by_status_and_text_and_pages_with_a_hint() {
    let w = World::new();
    for slug in ["alpha", "bravo", "charlie", "delta", "echo"] {
        w.ok(&["tenant", "add", slug, "--name", &format!("{slug} Inc")]);
    }
    w.ok(&["link", "bravo"]);
    w.ok(&["link", "delta"]);

    let text = w.ok(&["tenant", "list"]);
    let mut lines = text.lines();
    let head = lines.next().expect("a header");
    for col in ["SLUG", "NAME", "STATUS", "ACCOUNT", "REASON", "LAST CHANGE"] {
        assert!(head.contains(col), "{head}");
    }
    assert_eq!(lines.count(), 5, "{text}");

    let linked = w.json(&["tenant", "list", "--status", "link_issued"]);
    let slugs: Vec<&str> = linked
        .as_array()
        .expect("an array")
        .iter()
        .map(|t| s(t, "slug"))
        .collect();
    assert_eq!(slugs, ["bravo", "delta"]);

    let both = w.json(&[
        "tenant",
        "list",
        "--status",
        "link_issued",
        "--status",
        "created",
    ]);
    assert_eq!(both.as_array().map(Vec::len), Some(5));

    let hit = w.json(&["tenant", "list", "--filter", "CHARLIE"]);
    assert_eq!(hit.as_array().map(Vec::len), Some(1), "{hit:#}");
    assert_eq!(s(&hit[0], "slug"), "charlie");

    // A page of two says how to get the next; the last page says nothing.
    let out = w.run(&["tenant", "list", "--limit", "2"]);
    assert!(out.ok(), "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 3, "{}", out.stdout);
    assert!(
        out.stderr
            .contains("2 shown, 3 more; the next page: --after bravo"),
        "{}",
        out.stderr
    );
    let out = w.run(&["tenant", "list", "--limit", "2", "--after", "bravo"]);
    assert!(out.stdout.contains("charlie") && out.stdout.contains("delta"));
    assert!(!out.stdout.contains("bravo"), "{}", out.stdout);
    assert!(out.stderr.contains("--after delta"), "{}", out.stderr);
    let out = w.run(&["tenant", "list", "--limit", "2", "--after", "delta"]);
    assert!(out.stdout.contains("echo"), "{}", out.stdout);
    assert!(!out.stderr.contains("next page"), "{}", out.stderr);

    // Filters that match nothing say so (not "no tenants").
    let out = w.ok(&["tenant", "list", "--status", "failed"]);
    assert_eq!(out.trim(), "no tenant matches");

    // A status that does not exist is refused with the ones that do.
    let out = w.run(&["tenant", "list", "--status", "broken"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stderr.contains("no status \"broken\"") && out.stderr.contains("link_issued"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_all_failed_counts_asks_and_retries_only_stopped_jobs() {
    use mcp_onboard::sandbox::blaxel::BlaxelFaults;
    let faults = BlaxelFaults {
        reject_names: [
            ("gmail-mcp-acme".to_owned(), "quota reached".to_owned()),
            ("gmail-mcp-beta".to_owned(), "quota reached".to_owned()),
        ]
        .into(),
        ..Default::default()
    };
    let (mut w, _google, blaxel) = world_with_standins(faults).await;
    let _serve = w.serve();
    for slug in ["acme", "beta", "fine"] {
        w.ok(&["tenant", "add", slug]);
        let link = w.json(&["link", slug]);
        let (status, body) =
            consent_through(s(&link, "url"), &format!("it@{slug}.example"), false).await;
        assert_eq!(status, 200, "{body}");
    }
    // One more fails before consent (the wrong Google account): no job to run again.
    w.ok(&["tenant", "add", "early", "--email", "boss@early.example"]);
    let link = w.json(&["link", "early"]);
    let (status, body) = consent_through(s(&link, "url"), "intern@early.example", false).await;
    assert!(
        body.contains("Different Google account expected"),
        "{status}: {body}"
    );
    wait_status(&w, "early", "failed");
    wait_status(&w, "acme", "failed");
    wait_status(&w, "beta", "failed");
    wait_status(&w, "fine", "deployed");

    // Not a terminal and no --yes: it says how many and does nothing.
    let out = w.run(&["retry", "--all-failed"]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("2 failed tenants would be retried: add --yes to confirm"),
        "{}",
        out.stderr
    );
    assert_eq!(s(&w.tenant("acme"), "status"), "failed", "nothing retried");

    blaxel.set_faults(BlaxelFaults::default());
    let out = w.json(&["retry", "--all-failed", "--yes"]);
    assert_eq!(
        out["retried"],
        serde_json::json!(["acme", "beta"]),
        "{out:#}"
    );
    wait_status(&w, "acme", "deployed");
    wait_status(&w, "beta", "deployed");
    assert_eq!(s(&w.tenant("early"), "status"), "failed");

    let out = w.ok(&["retry", "--all-failed"]);
    assert!(
        out.contains(
            "no failed provisioning to retry (1 more failed before consent and needs a new link instead)"
        ),
        "{out}"
    );
    // A slug and --all-failed together, or neither, are a bad command line.
    assert_eq!(w.run(&["retry"]).status.code(), Some(2));
    assert_eq!(
        w.run(&["retry", "acme", "--all-failed"]).status.code(),
        Some(2)
    );
}

#[test]
fn tenant_links_lists_states_expiry_and_opens_and_never_a_code() {
    let w = World::new();
    w.ok(&["tenant", "add", "acme"]);
    let out = w.ok(&["tenant", "links", "acme"]);
    assert!(out.contains("no links for acme"), "{out}");
    let first = w.json(&["link", "acme", "--ttl", "1h"]);
    w.ok(&["link", "acme", "--revoke"]);
    let second = w.json(&["link", "acme"]);

    let links = w.json(&["tenant", "links", "acme"]);
    let links = links.as_array().expect("an array");
    assert_eq!(links.len(), 2, "{links:#?}");
    let by_id = |id: &str| {
        links
            .iter()
            .find(|l| l["id"] == id)
            .unwrap_or_else(|| panic!("no link {id}: {links:#?}"))
    };
    assert_eq!(s(by_id(s(&first, "id")), "state"), "revoked");
    assert_eq!(s(by_id(s(&second, "id")), "state"), "active");
    assert_eq!(
        s(by_id(s(&second, "id")), "expires_at"),
        s(&second, "expires_at")
    );
    assert_eq!(by_id(s(&second, "id"))["open_count"], 0);

    let text = w.ok(&["tenant", "links", "acme"]);
    let head = text.lines().next().unwrap_or_default();
    for col in ["ID", "STATE", "EXPIRES", "OPENS"] {
        assert!(head.contains(col), "{head}");
    }
    // One vocabulary: the words of the JSON are the words of the text.
    assert!(
        text.contains("   revoked   ") && text.contains("   active   "),
        "{text}"
    );
    // The newest first.
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert!(rows[0].starts_with(s(&second, "id")), "{text}");
    for l in [&first, &second] {
        let code = s(l, "url").rsplit('/').next().unwrap();
        assert!(!text.contains(code), "a link's code is never shown: {text}");
        assert!(!links.iter().any(|x| x.to_string().contains(code)));
    }
    let out = w.run(&["tenant", "links", "nobody"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("no tenant \"nobody\""),
        "{}",
        out.stderr
    );
}

#[test]
fn tenant_remove_deletes_a_tenant_that_never_consented_and_refuses_one_that_did() {
    let w = World::new();
    w.ok(&["tenant", "add", "acme"]);
    w.ok(&["link", "acme"]);
    let out = w.ok(&["tenant", "remove", "acme"]);
    assert!(out.contains("removed acme"), "{out}");
    let out = w.run(&["tenant", "show", "acme"]);
    assert_eq!(out.status.code(), Some(1));

    let out = w.run(&["--json", "tenant", "remove", "acme"]);
    assert_eq!(out.status.code(), Some(1));
    let err: Value = serde_json::from_str(out.stderr.trim()).expect("a JSON error");
    assert_eq!(err["error"]["code"], "not_found", "{err:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_remove_refuses_a_consented_tenant_and_says_it_needs_offboarding() {
    let mut w = World::new();
    w.ok(&["tenant", "add", "acme"]);
    let _serve = w.serve();
    let link = w.json(&["link", "acme"]);
    consent_over_http(s(&link, "url"), "it@acme.example").await;
    wait_status(&w, "acme", "deployed");
    let out = w.run(&["--json", "tenant", "remove", "acme"]);
    assert_eq!(out.status.code(), Some(1));
    let err: Value = serde_json::from_str(out.stderr.trim()).expect("a JSON error");
    assert_eq!(err["error"]["code"], "conflict", "{err:#}");
    let msg = err["error"]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("has consented (deployed)") && msg.contains("offboarded, not removed"),
        "{msg}"
    );
    assert_eq!(s(&w.tenant("acme"), "status"), "deployed", "nothing lost");
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_checks_tokens_by_itself_and_health_and_show_tell_the_operator() {
    let (mut w, google, _blaxel) = world_with_standins(Default::default()).await;
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

#[test]
fn a_tenants_return_url_is_checked_shown_and_removed_with_an_empty_one() {
    let w = World::new();
    let out = w.run(&[
        "tenant",
        "add",
        "acme",
        "--return-url",
        "http://app.example.com/x",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.contains("must be https://"), "{}", out.stderr);
    let out = w.run(&["tenant", "show", "acme"]);
    assert_eq!(out.status.code(), Some(1), "nothing was added");
    w.ok(&[
        "tenant",
        "add",
        "acme",
        "--return-url",
        "https://app.example.com/done",
    ]);
    let t = w.tenant("acme");
    assert_eq!(t["return_url"], "https://app.example.com/done");
    assert!(
        w.ok(&["tenant", "show", "acme"])
            .contains("returns:  https://app.example.com/done")
    );
    w.ok(&["tenant", "edit", "acme", "--return-url", ""]);
    assert!(w.tenant("acme").get("return_url").is_none());
}

#[test]
fn export_writes_every_tenant_as_csv_or_json() {
    let w = World::new();
    w.ok(&["tenant", "add", "acme", "--name", "Acme, Inc."]);
    w.ok(&["tenant", "add", "beta"]);
    let csv = w.ok(&["export"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "slug,name,status,google_email,mcp_url,updated_at");
    assert!(
        lines[1].starts_with("acme,\"Acme, Inc.\",created,,,"),
        "{csv}"
    );
    assert!(lines[2].starts_with("beta,beta,created,,,"), "{csv}");
    let j = w.json(&["export"]);
    assert_eq!(j.as_array().map(Vec::len), Some(2));
    assert_eq!(j[0]["slug"], "acme");
    assert_eq!(j[0]["status"], "created");
    assert!(j[0]["mcp_url"].is_null());
    // --csv asks for CSV even with the global --json.
    assert!(
        w.ok(&["--json", "export", "--csv"])
            .starts_with("slug,name")
    );
}

mod webhooks {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A POST seen: id, timestamp, signature, body, and whether it was taken.
    type Seen = (String, String, String, String, bool);

    #[derive(Clone, Default)]
    struct Receiver {
        down: Arc<std::sync::atomic::AtomicBool>,
        seen: Arc<Mutex<Vec<Seen>>>,
    }

    async fn receiver() -> (Receiver, String) {
        use axum::http::{HeaderMap, StatusCode};
        let r = Receiver::default();
        let state = r.clone();
        let app = axum::Router::new().route(
            "/hooks",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let state = state.clone();
                async move {
                    let h = |k: &str| {
                        headers
                            .get(k)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let down = state.down.load(std::sync::atomic::Ordering::Relaxed);
                    state.seen.lock().unwrap().push((
                        h("webhook-id"),
                        h("webhook-timestamp"),
                        h("webhook-signature"),
                        body,
                        !down,
                    ));
                    if down {
                        StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        StatusCode::NO_CONTENT
                    }
                }
            }),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await });
        (r, format!("http://{addr}/hooks"))
    }

    /// The Standard Webhooks check a receiver makes.
    fn verify(key: &[u8], id: &str, ts: &str, sig: &str, body: &str) -> bool {
        use base64::Engine as _;
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
        mac.update(format!("{id}.{ts}.{body}").as_bytes());
        let want = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        sig.split(' ').any(|s| s == format!("v1,{want}"))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_event_reaches_a_receiver_that_was_down_across_a_restart_signed_and_once_per_id()
    {
        use base64::Engine as _;
        let (rx, url) = receiver().await;
        rx.down.store(true, std::sync::atomic::Ordering::Relaxed);
        // Another receiver, up all along: the one that is down holds up only itself.
        let (up, up_url) = receiver().await;
        let key = [5u8; 32];
        let secret = format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(key)
        );
        let (mut w, _google, _blaxel) = world_with_standins(Default::default()).await;
        let cfg = w.tmp.path().join("config.toml");
        std::fs::write(
            &cfg,
            format!(
                "[[webhook]]\nurl = \"{url}\"\nsecret = \"{secret}\"\n\n[[webhook]]\nurl = \"{up_url}\"\nsecret = \"{secret}\"\nevents = [\"tenant.deployed\"]\n"
            ),
        )
        .unwrap();
        w.env
            .push(("MCP_ONBOARD_CONFIG".into(), cfg.display().to_string()));
        let mut serve = w.serve();
        w.ok(&["tenant", "add", "acme"]);
        let link = w.json(&["link", "acme"]);
        let (status, body) = consent_through(s(&link, "url"), "it@acme.example", false).await;
        assert_eq!(status, 200, "{body}");
        wait_status(&w, "acme", "deployed");
        // Tried while down, and refused; the other took its event meanwhile.
        let start = std::time::Instant::now();
        while rx.seen.lock().unwrap().is_empty() || up.seen.lock().unwrap().is_empty() {
            assert!(start.elapsed() < std::time::Duration::from_secs(20));
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let other = up.seen.lock().unwrap().clone();
        assert_eq!(
            other.len(),
            1,
            "only the type it asked for, once: {other:?}"
        );
        assert!(other[0].3.contains("tenant.deployed") && other[0].4);
        assert!(serve.terminate().success());
        let st = w.ok(&["status"]);
        assert!(
            st.contains("webhooks:     2 receivers, 2 events waiting"),
            "{st}"
        );

        // Up again, and the owner back: everything arrives.
        rx.down.store(false, std::sync::atomic::Ordering::Relaxed);
        let _serve = w.serve();
        let start = std::time::Instant::now();
        loop {
            let taken = rx.seen.lock().unwrap().iter().filter(|s| s.4).count();
            if taken >= 2 {
                break;
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(30),
                "{taken} taken"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let seen = rx.seen.lock().unwrap().clone();
        let mut taken: Vec<(String, Value)> = Vec::new();
        for (id, ts, sig, body, ok) in &seen {
            assert!(verify(&key, id, ts, sig, body), "a valid signature on {id}");
            if *ok && !taken.iter().any(|(i, _)| i == id) {
                taken.push((id.clone(), serde_json::from_str(body).unwrap()));
            }
        }
        let kinds: Vec<&str> = taken
            .iter()
            .map(|(_, b)| b["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            ["tenant.consented", "tenant.deployed"],
            "in order, each once"
        );
        let deployed = &taken[1].1["data"];
        assert_eq!(deployed["slug"], "acme");
        assert_eq!(deployed["google_email"], "it@acme.example");
        assert_eq!(deployed["connection"], "gmail-acme");
        assert_eq!(deployed["function"], "gmail-mcp-acme");
        assert_eq!(deployed["integration"], "gmail");
        assert!(deployed["mcp_url"].as_str().unwrap().ends_with("/mcp"));
        // The ids refused while down are the ids taken later.
        let refused: std::collections::BTreeSet<&String> =
            seen.iter().filter(|s| !s.4).map(|s| &s.0).collect();
        assert!(refused.iter().all(|id| taken.iter().any(|(t, _)| t == *id)));
        let start = std::time::Instant::now();
        while !w.ok(&["status"]).contains("0 events waiting") {
            assert!(start.elapsed() < std::time::Duration::from_secs(20));
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        // webhook test: a signed sample, taken.
        let out = w.ok(&["webhook", "test"]);
        assert!(out.contains("took it (204)"), "{out}");
        let last = rx.seen.lock().unwrap().last().cloned().unwrap();
        assert!(verify(&key, &last.0, &last.1, &last.2, &last.3));
        assert!(last.3.contains("webhook.test"));
    }

    #[test]
    fn a_webhook_needs_an_https_url_a_whsec_secret_and_known_events() {
        let mut w = World::new();
        w.demo = false;
        let cfg = w.tmp.path().join("bad.toml");
        for (text, want) in [
            (
                "[[webhook]]\nurl = \"http://hooks.example.com/x\"\nsecret = \"whsec_MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIz\"\n",
                "webhook.url",
            ),
            (
                "[[webhook]]\nurl = \"https://hooks.example.com/x\"\nsecret = \"plain\"\n",
                "webhook.secret",
            ),
            (
                "[[webhook]]\nurl = \"https://hooks.example.com/x\"\nsecret = \"whsec_MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIz\"\nevents = [\"tenant.exploded\"]\n",
                "webhook.events",
            ),
        ] {
            std::fs::write(&cfg, text).unwrap();
            let mut c = w.command(&["--config", cfg.to_str().unwrap(), "config", "check"]);
            let out = c.output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{err}");
            assert!(err.contains(want), "{want}: {err}");
            assert!(
                !err.contains("MDEyMzQ1"),
                "the secret is never shown: {err}"
            );
        }
    }
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

mod tls {
    use super::*;

    /// A self-signed certificate for localhost and 127.0.0.1: (cert PEM, key PEM, DER).
    fn cert(name: &str) -> (String, String, Vec<u8>) {
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = rcgen::KeyPair::generate().unwrap();
        let c = params.self_signed(&key).unwrap();
        (c.pem(), key.serialize_pem(), c.der().to_vec())
    }

    /// The certificate the server shows to a new connection.
    async fn served_cert(port: u16, trust: &[u8]) -> Vec<u8> {
        use tokio_rustls::rustls;
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(rustls_pki_types::CertificateDer::from(trust.to_vec()))
            .unwrap();
        let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
        match connector.connect(name, tcp).await {
            Ok(s) => s.get_ref().1.peer_certificates().unwrap()[0].to_vec(),
            Err(_) => Vec::new(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_whole_consent_flow_runs_over_the_listeners_own_tls_and_sighup_swaps_the_certificate()
     {
        let mut w = World::new();
        w.demo = false;
        let public = format!("https://localhost:{}", w.port);
        let _google = google_standin(&mut w, &public).await;
        let (pem, key, der) = cert("first");
        let cert_file = w.tmp.path().join("tls.crt");
        let key_file = w.tmp.path().join("tls.key");
        std::fs::write(&cert_file, &pem).unwrap();
        std::fs::write(&key_file, &key).unwrap();
        for (k, v) in [
            ("MCP_ONBOARD_PUBLIC_URL", public.clone()),
            ("MCP_ONBOARD_TLS_CERT", cert_file.display().to_string()),
            ("MCP_ONBOARD_TLS_KEY", key_file.display().to_string()),
        ] {
            w.env.push((k.into(), v));
        }
        let mut serve = w.serve_tls();
        assert!(
            serve.stdout().contains(", TLS; SIGHUP reloads"),
            "{}",
            serve.stdout()
        );
        w.ok(&["tenant", "add", "acme"]);
        let link = w.json(&["link", "acme"]);
        let url = s(&link, "url").to_owned();
        assert!(url.starts_with(&public), "{url}");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .add_root_certificate(reqwest::Certificate::from_der(&der).unwrap())
            .build()
            .unwrap();
        let (status, body) = consent_with(&http, &url, "it@acme.example", false).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("is now connected to your Google account"),
            "{body}"
        );
        assert_eq!(w.tenant("acme")["google_email"], "it@acme.example");
        // Plain HTTP is not answered as HTTP on a TLS listener.
        let plain = reqwest::get(format!("http://127.0.0.1:{}/healthz", w.port)).await;
        assert!(plain.is_err() || !plain.unwrap().status().is_success());

        // A new certificate in the files, SIGHUP, and new connections get it.
        assert_eq!(served_cert(w.port, &der).await, der);
        let (pem2, key2, der2) = cert("second");
        std::fs::write(&cert_file, &pem2).unwrap();
        std::fs::write(&key_file, &key2).unwrap();
        let sent = std::process::Command::new("sh")
            .args(["-c", "kill -HUP \"$0\"", &serve.pid().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let start = std::time::Instant::now();
        while served_cert(w.port, &der2).await != der2 {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(20),
                "{}",
                serve.stdout()
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(serve.stdout().contains("TLS certificate reloaded"));
        // The client's open connection (made under the first certificate) goes on.
        let res = http
            .get(format!("{public}/healthz"))
            .send()
            .await
            .expect("the kept-alive connection still answers");
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()["strict-transport-security"],
            "max-age=31536000",
            "served over TLS: browsers are told to keep to HTTPS"
        );
        // A broken file is refused and the certificate in use stays.
        std::fs::write(&cert_file, "not a certificate").unwrap();
        std::process::Command::new("sh")
            .args(["-c", "kill -HUP \"$0\"", &serve.pid().to_string()])
            .status()
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(served_cert(w.port, &der2).await, der2);
        assert!(serve.terminate().success(), "{}", serve.stderr());
        assert!(
            serve.stderr().contains("TLS certificate not reloaded"),
            "{}",
            serve.stderr()
        );
    }
}

#[test]
fn importing_a_csv_with_a_bad_row_adds_nothing_and_a_good_one_of_1000_then_gets_1000_links() {
    let w = World::new();
    let bad = w.tmp.path().join("bad.csv");
    std::fs::write(
        &bad,
        "slug,name,email,domain\nacme,Acme Corp,it@acme.example,\nNot-A-Slug,X,,\nbeta,Beta,it@beta.example,beta.example\ngamma,\"Gamma, Inc.\",,gamma.example\n",
    )
    .unwrap();
    let out = w.run(&["tenant", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("2 bad rows, nothing was added"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("line 3: invalid slug \"Not-A-Slug\""),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("line 4: email and domain are both set"),
        "{}",
        out.stderr
    );
    assert_eq!(
        w.json(&["tenant", "list"]).as_array().map(Vec::len),
        Some(0)
    );
    let unknown = w.tmp.path().join("unknown.csv");
    std::fs::write(&unknown, "slug,phone\nacme,123\n").unwrap();
    let out = w.run(&["tenant", "import", unknown.to_str().unwrap()]);
    assert!(
        out.stderr.contains("unknown column \"phone\""),
        "{}",
        out.stderr
    );

    let good = w.tmp.path().join("good.csv");
    let mut text = String::from("slug,name,contact,email,domain\n");
    for i in 0..1000 {
        text.push_str(&format!("t{i:04},Tenant {i},ops {i},,\n"));
    }
    std::fs::write(&good, text).unwrap();
    let out = w.ok(&["tenant", "import", good.to_str().unwrap()]);
    assert!(out.contains("added 1000 tenants"), "{out}");
    let t = w.tenant("t0042");
    assert_eq!(t["display_name"], "Tenant 42");
    // Importing the same again: every row exists, nothing added.
    let out = w.run(&["tenant", "import", good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.contains("1000 bad rows"), "{}", out.stderr);

    let links = w.json(&["link", "--all-new", "--ttl", "2d"]);
    let links = links.as_array().expect("an array");
    assert_eq!(links.len(), 1000);
    assert!(links.iter().all(
        |l| l["url"].as_str().is_some_and(|u| u.contains("/c/")) && l["expires_at"].is_string()
    ));
    let slugs: std::collections::BTreeSet<&str> = links.iter().map(|l| s(l, "slug")).collect();
    assert_eq!(slugs.len(), 1000);
    // They all have a live link now: none is issued again.
    assert_eq!(
        w.json(&["link", "--all-new"]).as_array().map(Vec::len),
        Some(0)
    );
}

#[test]
fn link_with_message_prints_the_text_to_send_the_customer() {
    let w = World::new();
    w.ok(&[
        "tenant",
        "add",
        "acme",
        "--name",
        "Acme Corp",
        "--email",
        "it@acme.example",
    ]);
    let out = w.ok(&["link", "acme", "--message"]);
    let url = out
        .lines()
        .find(|l| l.starts_with("http"))
        .unwrap()
        .to_owned();
    assert!(out.contains("Hello Acme Corp,"), "{out}");
    assert!(
        out.matches(url.as_str()).count() >= 2,
        "the link, and the link in the message: {out}"
    );
    assert!(
        out.contains("Please sign in with it@acme.example."),
        "{out}"
    );
    let j = w.json(&["link", "acme", "--message"]);
    assert!(s(&j, "message").contains(s(&j, "url")), "{j:#}");
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

mod audit {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    async fn onboarded() -> (World, Serve) {
        let mut w = World::new();
        let serve = w.serve();
        w.ok(&["tenant", "add", "acme"]);
        let link = w.json(&["link", "acme"]);
        consent_over_http(s(&link, "url"), "it@acme.example").await;
        wait_status(&w, "acme", "deployed");
        (w, serve)
    }

    fn lines(w: &World) -> Vec<Value> {
        w.ok(&["--json", "audit"])
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_command_over_the_socket_is_audited_with_the_peer_uid_and_the_chain_holds() {
        let (w, _serve) = onboarded().await;
        let me = std::fs::metadata(w.tmp.path()).unwrap().uid();
        let all = lines(&w);
        let add = all
            .iter()
            .find(|r| r["kind"] == "command" && r["what"] == "add_tenant")
            .expect("the add is audited");
        assert_eq!(add["actor"]["uid"], me, "{add:#}");
        assert_eq!(add["tenant"], "acme");
        assert!(
            all.iter()
                .any(|r| r["kind"] == "event" && r["what"] == "consented")
        );
        assert!(
            all.iter()
                .any(|r| r["kind"] == "event" && r["what"] == "deployed")
        );
        // The event the command caused carries who asked too.
        let added = all
            .iter()
            .find(|r| r["kind"] == "event" && r["what"] == "tenant_added")
            .unwrap();
        assert_eq!(added["actor"]["uid"], me);
        assert!(all.windows(2).all(|p| p[1]["prev"] == p[0]["hash"]));
        let out = w.ok(&["audit", "verify"]);
        assert!(out.contains("the audit chain holds"), "{out}");
        let only = w.ok(&["--json", "audit", "--tenant", "nobody"]);
        assert!(only.trim().is_empty(), "{only}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn audit_verify_fails_on_an_altered_entry_and_on_removed_ones() {
        for how in ["alter", "truncate"] {
            let (w, mut serve) = onboarded().await;
            assert!(serve.terminate().success());
            let n = lines(&w).len();
            assert!(n >= 5, "{n} entries");
            {
                let db = sled::open(w.data_dir().join("db")).unwrap();
                let t = db.open_tree("audit").unwrap();
                if how == "alter" {
                    let k = 2u64.to_be_bytes();
                    let mut rec: Value =
                        serde_json::from_slice(&t.get(k).unwrap().unwrap()).unwrap();
                    rec["detail"] = "nothing happened here".into();
                    t.insert(k, serde_json::to_vec(&rec).unwrap()).unwrap();
                } else {
                    for seq in [n as u64, n as u64 - 1] {
                        t.remove(seq.to_be_bytes()).unwrap();
                    }
                }
                db.flush().unwrap();
            }
            let out = w.run(&["audit", "verify"]);
            assert_eq!(out.status.code(), Some(1), "{how}: {}", out.stdout);
            let want = if how == "alter" {
                "broken at entry 2: its content was altered".to_owned()
            } else {
                "entries were removed".to_owned()
            };
            assert!(out.stdout.contains(&want), "{how}: {}", out.stdout);
        }
    }
}
