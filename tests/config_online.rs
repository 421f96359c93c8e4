//! `config check --online` from the real binary, against the Google and Blaxel stand-ins:
//! every line ok on a good set-up (with `--write` creating and deleting its connection),
//! and each check failing as it should: a wrong client secret (`invalid_client`), an
//! unregistered redirect URI, a missing integration, a refused Blaxel key, a `/healthz` of
//! another deployment, a clock off Google's by two minutes; exit codes and `--json`.

mod spec_support;
mod support_proc;

use std::collections::BTreeMap;

use serde_json::Value;
use support_proc::*;

/// `config check --online ARGS --json`: the exit status and the lines by name.
fn online(w: &World, extra: &[&str]) -> (bool, BTreeMap<String, Value>, Value) {
    let mut args = vec!["--json", "config", "check", "--online"];
    args.extend_from_slice(extra);
    let out = w.run(&args);
    let v: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", out.stdout, out.stderr));
    let lines = v["online"]
        .as_array()
        .unwrap_or_else(|| panic!("no online lines: {v:#}"))
        .iter()
        .map(|l| {
            let keys: Vec<&str> = l.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, ["detail", "fix", "level", "name"], "{l}");
            (l["name"].as_str().unwrap().to_owned(), l.clone())
        })
        .collect();
    (out.ok(), lines, v)
}

fn level<'a>(lines: &'a BTreeMap<String, Value>, name: &str) -> &'a str {
    lines
        .get(name)
        .unwrap_or_else(|| panic!("no line {name}: {lines:#?}"))["level"]
        .as_str()
        .unwrap()
}

/// The line `name` failed, and its fix says `fix`.
fn fails(lines: &BTreeMap<String, Value>, name: &str, fix: &str) {
    assert_eq!(level(lines, name), "fail", "{name}: {:#}", lines[name]);
    let f = text(lines, name, "fix");
    assert!(f.contains(fix), "{name}'s fix: {f}");
}

fn text(lines: &BTreeMap<String, Value>, name: &str, field: &str) -> String {
    lines[name][field].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_set_up_is_ok_line_by_line_and_write_leaves_no_connection() {
    let (mut w, _google, blaxel) = world_with_standins(Default::default()).await;
    let _serve = w.serve();
    let (ok, lines, v) = online(&w, &["--write"]);
    assert!(ok, "{v:#}");
    assert_eq!(v["ok"], true);
    for name in [
        "public_url.healthz",
        "google.endpoints",
        "google.client",
        "google.redirect_uri",
        "google.clock",
        "blaxel.workspace",
        "blaxel.integration.gmail",
        "blaxel.integration.google-drive",
        "blaxel.write",
    ] {
        assert_eq!(level(&lines, name), "ok", "{name}: {:#}", lines[name]);
    }
    assert!(text(&lines, "public_url.healthz", "detail").contains("this deployment"));
    // Loopback http: fine to try, customers need https.
    assert_eq!(level(&lines, "public_url.tls"), "warn");
    assert!(text(&lines, "public_url.tls", "fix").contains("https"));
    let write = text(&lines, "blaxel.write", "detail");
    assert!(write.contains("label mcp-onboard-check="), "{write}");
    assert!(
        blaxel.connections().is_empty(),
        "the check's connection is gone"
    );
    let log = blaxel.request_log();
    let calls: Vec<(String, String)> = log
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    let created = log
        .iter()
        .find(|r| r.method == "POST" && r.path == "/v0/integrations/connections")
        .expect("a connection was created");
    let name = created.body.as_ref().unwrap()["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(write.contains(&name), "{write}");
    for want in [
        ("GET", "/v0/workspaces/ws".to_owned()),
        ("GET", "/v0/integrations/gmail".to_owned()),
        ("GET", "/v0/integrations/google-drive".to_owned()),
        ("DELETE", format!("/v0/integrations/connections/{name}")),
    ] {
        assert!(
            calls.iter().any(|(m, p)| m == want.0 && *p == want.1),
            "{want:?} in {calls:?}"
        );
    }
    let spec = spec_support::Spec::load();
    let errors = spec_support::full_check(
        &spec,
        "IntegrationConnection",
        created.body.as_ref().unwrap(),
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert!(log.iter().all(|r| r.workspace.as_deref() == Some("ws")));

    // Without --write the line says it did not look, and nothing is created.
    let before = blaxel.request_log().len();
    let (ok, lines, _) = online(&w, &[]);
    assert!(ok);
    assert_eq!(level(&lines, "blaxel.write"), "warn");
    assert!(text(&lines, "blaxel.write", "detail").contains("not checked (use --write)"));
    assert!(
        blaxel.request_log()[before..]
            .iter()
            .all(|r| r.method == "GET"),
        "only reads without --write"
    );

    // The text form: one line per check, with its level.
    let out = w.run(&["config", "check", "--online"]);
    assert!(out.ok(), "{}", out.stderr);
    assert!(out.stdout.contains("ok    google.client"), "{}", out.stdout);
    assert!(out.stdout.contains("warn  blaxel.write"), "{}", out.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_check_fails_with_its_fix_and_the_exit_code_says_so() {
    let faults = mcp_onboard::sandbox::blaxel::BlaxelFaults {
        unavailable_integrations: ["google-drive".to_owned()].into(),
        ..Default::default()
    };
    let (mut w, google, _blaxel) = world_with_standins(faults).await;
    // Another deployment answers at the public URL, while this one's owner runs elsewhere.
    let (mut other, _g, _b) = world_with_standins(Default::default()).await;
    let _theirs = other.serve();
    // Google knows another redirect URI than ours, and its clock is two minutes ahead.
    let stranger = mcp_onboard::sandbox::google::GoogleSandbox::new(
        mcp_onboard::sandbox::google::SandboxGoogleConfig {
            client_id: "it.apps.googleusercontent.com".into(),
            client_secret: "it-secret".into(),
            redirect_uris: vec!["https://elsewhere.example/oauth/callback".into()],
            default_email: "x@example.com".into(),
        },
    );
    drop(google);
    let gbase = stranger.spawn().await.unwrap();
    stranger.set_knobs(mcp_onboard::sandbox::google::Knobs {
        date_offset_secs: 120,
        ..Default::default()
    });
    let g = |p: &str| format!("{}{p}", gbase.as_str().trim_end_matches('/'));
    w.env.retain(|(k, _)| !k.starts_with("GOOGLE_"));
    for (k, v) in [
        (
            "GOOGLE_CLIENT_ID",
            "it.apps.googleusercontent.com".to_owned(),
        ),
        ("GOOGLE_CLIENT_SECRET", "a-reset-secret".to_owned()),
        (
            "GOOGLE_AUTH_URL",
            g(mcp_onboard::sandbox::google::AUTH_PATH),
        ),
        (
            "GOOGLE_TOKEN_URL",
            g(mcp_onboard::sandbox::google::TOKEN_PATH),
        ),
        // Drive's own client, which Google does not know.
        (
            "GOOGLE_DRIVE_CLIENT_ID",
            "gone.apps.googleusercontent.com".to_owned(),
        ),
        ("GOOGLE_DRIVE_CLIENT_SECRET", "gone-secret".to_owned()),
    ] {
        w.env.push((k.into(), v));
    }
    let _ours = w.serve();
    w.env
        .push(("MCP_ONBOARD_PUBLIC_URL".into(), other.base_url()));
    let (ok, lines, v) = online(&w, &[]);
    assert!(!ok, "a fail exits 1: {v:#}");
    assert_eq!(v["ok"], false);
    fails(&lines, "google.client", "google.client_secret");
    assert!(text(&lines, "google.client", "detail").contains("invalid_client"));
    fails(
        &lines,
        "google.redirect_uri",
        &format!("{}/oauth/callback", other.base_url()),
    );
    fails(&lines, "google.clock", "timedatectl");
    fails(
        &lines,
        "google.client.google-drive",
        "gone.apps.googleusercontent.com",
    );
    assert_eq!(level(&lines, "google.redirect_uri.google-drive"), "warn");
    fails(
        &lines,
        "blaxel.integration.google-drive",
        "enable the google-drive integration",
    );
    assert_eq!(level(&lines, "blaxel.integration.gmail"), "ok");
    fails(&lines, "public_url.healthz", "this deployment's nodes");
    assert!(text(&lines, "public_url.healthz", "detail").contains("another deployment"));
    assert_eq!(level(&lines, "google.endpoints"), "ok");

    // The same /healthz with no owner of ours running is only a warning.
    drop(_ours);
    let (_, lines, _) = online(&w, &[]);
    assert_eq!(level(&lines, "public_url.healthz"), "warn");
    assert!(text(&lines, "public_url.healthz", "detail").contains("no owner runs here"));

    // A key Blaxel refuses: the workspace line fails, and --write says the key may not.
    w.env.push(("BL_API_KEY".into(), "bl_wrong".into()));
    let (ok, lines, _) = online(&w, &["--write"]);
    assert!(!ok);
    fails(&lines, "blaxel.workspace", "BL_API_KEY");
    fails(
        &lines,
        "blaxel.write",
        "right to manage integration connections",
    );
}

/// A certificate for localhost valid from yesterday until `days` from now: (cert PEM, key
/// PEM).
fn cert_for(days: i64) -> (String, String) {
    let day = |d: i64| {
        let t = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * d);
        let date = t.to_zoned(jiff::tz::TimeZone::UTC).date();
        rcgen::date_time_ymd(i32::from(date.year()), date.month() as u8, date.day() as u8)
    };
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.not_before = day(-1);
    params.not_after = day(days);
    let key = rcgen::KeyPair::generate().unwrap();
    let c = params.self_signed(&key).unwrap();
    (c.pem(), key.serialize_pem())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_certificate_expiring_within_14_days_warns_over_its_own_tls() {
    let (mut w, google, _blaxel) = world_with_standins(Default::default()).await;
    let public = format!("https://localhost:{}", w.port);
    // Google knows the https redirect URI, so no line fails.
    drop(google);
    w.env.retain(|(k, _)| !k.starts_with("GOOGLE_"));
    let _google = support_proc::google_standin(&mut w, &public).await;
    let (pem, key) = cert_for(10);
    let (cert_file, key_file) = (w.tmp.path().join("tls.crt"), w.tmp.path().join("tls.key"));
    std::fs::write(&cert_file, &pem).unwrap();
    std::fs::write(&key_file, &key).unwrap();
    w.env.retain(|(k, _)| k != "MCP_ONBOARD_PUBLIC_URL");
    for (k, v) in [
        ("MCP_ONBOARD_PUBLIC_URL", public),
        ("MCP_ONBOARD_TLS_CERT", cert_file.display().to_string()),
        ("MCP_ONBOARD_TLS_KEY", key_file.display().to_string()),
        ("MCP_ONBOARD_BRAND_NAME", "Parcel AI".to_owned()),
    ] {
        w.env.push((k.into(), v));
    }
    let _serve = w.serve_tls();
    let trust = cert_file.display().to_string();
    let (ok, lines, v) = online(&w, &["--trust", &trust]);
    assert_eq!(level(&lines, "public_url.tls"), "warn", "{v:#}");
    assert!(text(&lines, "public_url.tls", "detail").contains("expires"));
    assert!(text(&lines, "public_url.tls", "fix").contains("renew"));
    // Over its own TLS, /healthz names this deployment.
    assert_eq!(level(&lines, "public_url.healthz"), "ok", "{v:#}");
    // A warning alone exits 0.
    assert!(lines.values().all(|l| l["level"] != "fail"), "{v:#}");
    assert!(ok, "{v:#}");
    // Not trusted: the certificate is not valid now.
    let (ok, lines, _) = online(&w, &[]);
    assert!(!ok);
    assert_eq!(level(&lines, "public_url.tls"), "fail");
}

/// The console's checks run in the owner, with the owner's config: a control client (what an
/// attached console is) gets ok lines for the owner's Google secret and Blaxel key while the
/// environment it runs in has another secret (`config check` there fails on it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_runs_the_checks_with_its_own_config_for_a_control_client() {
    let (mut w, _google, _blaxel) = world_with_standins(Default::default()).await;
    let _serve = w.serve();
    w.env.retain(|(k, _)| k != "GOOGLE_CLIENT_SECRET");
    w.env
        .push(("GOOGLE_CLIENT_SECRET".into(), "not-the-owners".into()));
    let (_, here, _) = online(&w, &[]);
    assert_eq!(level(&here, "google.client"), "fail", "{here:#?}");

    let client = mcp_onboard::control::Client::connect(&w.data_dir())
        .await
        .unwrap()
        .expect("the owner answers");
    let reply = client
        .call(mcp_onboard::engine::Command::CheckOnline)
        .await
        .unwrap();
    let mcp_onboard::engine::Reply::Online { lines } = reply else {
        panic!("not the online lines: {reply:?}");
    };
    let by_name: BTreeMap<String, Value> = lines
        .iter()
        .map(|l| (l.name.clone(), serde_json::to_value(l).unwrap()))
        .collect();
    for name in [
        "public_url.healthz",
        "google.client",
        "google.redirect_uri",
        "blaxel.workspace",
        "blaxel.integration.gmail",
    ] {
        assert_eq!(level(&by_name, name), "ok", "{name}: {by_name:#?}");
    }
    assert!(text(&by_name, "public_url.healthz", "detail").contains("this deployment"));
    // Never --write from here: the owner did not look.
    assert_eq!(level(&by_name, "blaxel.write"), "warn");
}

/// Online failures do not hide the configuration's own problems: the error names both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_error_names_the_offline_problems_and_the_online_failures() {
    let (mut w, _google, _blaxel) = world_with_standins(Default::default()).await;
    w.env
        .retain(|(k, _)| k != "BL_API_KEY" && k != "BL_WORKSPACE");
    let out = w.run(&["config", "check", "--online"]);
    assert!(!out.ok(), "{}", out.stdout);
    assert!(
        out.stderr.contains("configuration incomplete:"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("online checks failed: ") && out.stderr.contains("blaxel.workspace"),
        "{}",
        out.stderr
    );
}

/// A Gmail-only deployment does not fail on an integration it does not use: Drive missing
/// at Blaxel only warns, until a tenant holds it (the owner says so) and then it fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_integration_no_one_uses_only_warns_until_a_tenant_holds_it() {
    let faults = mcp_onboard::sandbox::blaxel::BlaxelFaults {
        unavailable_integrations: ["google-drive".to_owned()].into(),
        ..Default::default()
    };
    let (mut w, _google, _blaxel) = world_with_standins(faults).await;
    let _serve = w.serve();
    let (ok, lines, v) = online(&w, &[]);
    assert!(ok, "{v:#}");
    assert_eq!(level(&lines, "blaxel.integration.google-drive"), "warn");
    assert_eq!(level(&lines, "blaxel.integration.gmail"), "ok");
    let said = text(&lines, "blaxel.integration.gmail", "detail");
    assert!(
        said.contains("Blaxel knows the integration gmail"),
        "{said}"
    );

    w.ok(&[
        "tenant",
        "add",
        "drive",
        "--integrations",
        "gmail,google-drive",
    ]);
    let (ok, lines, v) = online(&w, &[]);
    assert!(!ok, "{v:#}");
    fails(
        &lines,
        "blaxel.integration.google-drive",
        "enable the google-drive integration",
    );
}

/// The redirect check asks Google with the URL a customer gets: the integration's scopes,
/// offline access, consent prompt and PKCE, made by the consent flow's own client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redirect_check_sends_the_customers_authorization_url() {
    use std::sync::{Arc, Mutex};
    let (mut w, _google, _blaxel) = world_with_standins(Default::default()).await;
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let keep = seen.clone();
    let app = axum::Router::new().route(
        "/auth",
        axum::routing::get(move |uri: axum::http::Uri| {
            let keep = keep.clone();
            async move {
                keep.lock()
                    .unwrap()
                    .push(uri.query().unwrap_or("").to_owned());
                axum::response::Html("<html><head><title>Sign in - Google Accounts</title>")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let at = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    w.env.retain(|(k, _)| k != "GOOGLE_AUTH_URL");
    w.env
        .push(("GOOGLE_AUTH_URL".into(), format!("http://{at}/auth")));
    let (_, lines, v) = online(&w, &[]);
    assert_eq!(level(&lines, "google.redirect_uri"), "ok", "{v:#}");
    let seen = seen.lock().unwrap().clone();
    let [query] = &seen[..] else {
        panic!("one authorization request: {seen:?}");
    };
    let pairs: BTreeMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(pairs["access_type"], "offline", "{query}");
    assert_eq!(pairs["prompt"], "consent", "{query}");
    assert_eq!(pairs["code_challenge_method"], "S256", "{query}");
    assert!(
        pairs["scope"].contains("https://www.googleapis.com/auth/gmail.send"),
        "{query}"
    );
    assert!(pairs["code_challenge"].len() >= 43, "{query}");
}
