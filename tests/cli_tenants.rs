//! The everyday tenant commands in real processes: listing and filtering, retrying what
//! stopped, a tenant's links, removing, return URLs, export, import and the message to send.

mod support_proc;

use serde_json::Value;
use support_proc::*;

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
