//! What `offboard --status` and `export` select from the command line when a tenant holds
//! several integrations, against a real `--demo serve`: a tenant whose Gmail works is not
//! offboarded whole because its Drive failed (it is named, and `--integration` offboards
//! Drive alone), and `export --integration` gives each tenant's integration as its own.

mod support_proc;

use serde_json::Value;
use support_proc::*;

/// Poll `tenant show` until `ok` holds, or fail after a minute with what it shows.
fn wait_until(w: &World, slug: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let start = std::time::Instant::now();
    loop {
        let t = w.tenant(slug);
        if ok(&t) {
            return t;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "{slug}: {t:#}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn statuses(t: &Value) -> Vec<String> {
    t["integrations"]
        .as_array()
        .expect("integrations")
        .iter()
        .map(|i| i["status"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn slugs(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .expect("a list")
        .iter()
        .map(|x| x.as_str().unwrap_or_else(|| s(x, "slug")).to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_whose_gmail_works_is_not_offboarded_because_its_drive_failed() {
    let mut w = World::new();
    let _serve = w.serve();
    w.ok(&[
        "tenant",
        "add",
        "acme",
        "--integrations",
        "gmail,google-drive",
        "--email",
        "ann@acme.example",
    ]);
    w.ok(&["tenant", "add", "solo"]);
    // acme's Gmail consented and deployed; its Drive refused (another account than the
    // one it expects): Drive failed, Gmail works.
    let link = w.json(&["link", "acme", "--integration", "gmail"]);
    consent_over_http(s(&link, "url"), "ann@acme.example").await;
    let link = w.json(&["link", "acme", "--integration", "google-drive"]);
    let (status, _) = consent_through(s(&link, "url"), "bob@acme.example", true).await;
    assert_ne!(status, 200);
    let acme = wait_until(&w, "acme", |t| statuses(t) == ["deployed", "failed"]);
    assert_eq!(acme["status"], "failed", "the tenant reads as its Drive");
    let link = w.json(&["link", "solo"]);
    consent_over_http(s(&link, "url"), "it@solo.example").await;
    wait_status(&w, "solo", "deployed");

    // By the tenant's status acme is failed, but not each of its integrations is.
    let out = w.json(&["offboard", "--status", "failed", "--yes"]);
    assert!(slugs(&out, "started").is_empty(), "{out:#}");
    assert_eq!(slugs(&out, "skipped"), ["acme"], "{out:#}");
    let why = s(&out["skipped"][0], "reason");
    assert!(why.contains("--integration"), "{why}");
    let out = w.json(&["offboard", "--status", "deployed", "--yes"]);
    assert_eq!(slugs(&out, "started"), ["solo"], "{out:#}");
    assert_eq!(slugs(&out, "skipped"), ["acme"], "{out:#}");
    assert_eq!(statuses(&w.tenant("acme")), ["deployed", "failed"]);

    // Each tenant's Gmail as its own row; acme's status by the tenant is failed.
    let rows = w.json(&["export", "--integration", "gmail"]);
    let acme_gmail = rows
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["slug"] == "acme")
        .expect("acme's Gmail");
    assert_eq!(acme_gmail["status"], "deployed");
    assert_eq!(acme_gmail["integration"], "gmail");
    assert!(acme_gmail["mcp_url"].as_str().is_some(), "{acme_gmail:#}");
    let rows = w.json(&["export", "--integration", "google-drive"]);
    let drive: Vec<_> = rows.as_array().expect("rows").iter().collect();
    assert_eq!(drive.len(), 1, "only acme holds Drive: {rows:#}");
    assert_eq!(drive[0]["status"], "failed");
    let csv = w.ok(&["export", "--integration", "google-drive", "--csv"]);
    assert!(csv.contains("\r\nacme,acme,failed,"), "{csv}");

    // Drive alone, by its status.
    let out = w.json(&[
        "offboard",
        "--status",
        "failed",
        "--integration",
        "google-drive",
        "--yes",
    ]);
    assert_eq!(slugs(&out, "started"), ["acme"], "{out:#}");
    let acme = w.tenant("acme");
    assert_eq!(statuses(&acme), ["deployed"], "{acme:#}");
    assert_eq!(acme["status"], "deployed");
}
