//! The CLI as an operator meets it, in real processes: failing loud when consent cannot
//! work, saying when a new database or key is made, one vocabulary, tidy output and errors.

mod support_proc;

use support_proc::*;

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
            && out.contains(&format!("data dir:     {}", w.data_dir().display()))
            && out.contains(&format!("database:     {}", w.data_dir().display()))
            && out.contains("nodes:        1 (1 alive); "),
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
