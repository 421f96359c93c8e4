//! A tenant's integrations from the command line: `tenant add --integrations`, `tenant
//! integration add|remove`, `tenant show --json` listing each, `link --integration`.

mod support_proc;

use support_proc::*;

fn names(t: &serde_json::Value) -> Vec<String> {
    t["integrations"]
        .as_array()
        .expect("integrations")
        .iter()
        .map(|i| i["integration"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_tenants_integrations_are_named_added_and_removed_from_the_command_line() {
    let w = World::new();
    w.ok(&["tenant", "add", "plain"]);
    assert_eq!(names(&w.tenant("plain")), ["gmail"]);
    w.ok(&[
        "tenant",
        "add",
        "acme",
        "--integrations",
        "gmail,google-drive",
    ]);
    let t = w.tenant("acme");
    assert_eq!(names(&t), ["gmail", "google-drive"]);
    assert_eq!(t["integrations"][1]["status"], "created");
    // Named twice, or unknown: refused, nothing added.
    let out = w.run(&["tenant", "add", "twice", "--integrations", "gmail,gmail"]);
    assert!(!out.ok());
    assert!(
        out.stderr.contains("gmail is named twice"),
        "{}",
        out.stderr
    );
    let out = w.run(&["tenant", "add", "odd", "--integrations", "gmail,dropbox"]);
    assert!(!out.ok(), "{}", out.stdout);

    w.ok(&["tenant", "integration", "add", "plain", "google-drive"]);
    assert_eq!(names(&w.tenant("plain")), ["gmail", "google-drive"]);
    let out = w.run(&["tenant", "integration", "add", "plain", "google-drive"]);
    assert!(!out.ok());
    assert!(
        out.stderr.contains("holds google-drive already"),
        "{}",
        out.stderr
    );

    w.ok(&["link", "acme", "--integration", "google-drive"]);
    w.ok(&["tenant", "integration", "remove", "acme", "google-drive"]);
    let t = w.tenant("acme");
    assert_eq!(names(&t), ["gmail"]);
    let events = t["events"].as_array().expect("events");
    let removed = events
        .iter()
        .find(|e| e["kind"] == "integration_removed")
        .expect("the removal on the timeline");
    assert_eq!(removed["integration"], "google-drive");
    let out = w.run(&["tenant", "integration", "remove", "acme", "gmail"]);
    assert!(!out.ok());
    assert!(out.stderr.contains("offboard acme"), "{}", out.stderr);
}

#[test]
fn an_import_names_each_tenants_integrations() {
    let w = World::new();
    let csv = w.tmp.path().join("tenants.csv");
    std::fs::write(
        &csv,
        "slug,name,integrations\nacme,Acme,gmail google-drive\nbeta,Beta,\ngamma,Gamma,google-drive\n",
    )
    .unwrap();
    w.ok(&["tenant", "import", csv.to_str().unwrap()]);
    assert_eq!(names(&w.tenant("acme")), ["gmail", "google-drive"]);
    assert_eq!(names(&w.tenant("beta")), ["gmail"]);
    assert_eq!(names(&w.tenant("gamma")), ["google-drive"]);
    std::fs::write(&csv, "slug,integrations\ndelta,gmail;dropbox\n").unwrap();
    let out = w.run(&["tenant", "import", csv.to_str().unwrap()]);
    assert!(!out.ok());
    assert!(
        out.stderr.contains("line 2") && out.stderr.contains("dropbox"),
        "{}",
        out.stderr
    );
}

#[test]
fn tenant_show_and_list_name_each_integration_for_people() {
    let w = World::new();
    w.ok(&["tenant", "add", "plain"]);
    w.ok(&[
        "tenant",
        "add",
        "acme",
        "--integrations",
        "gmail,google-drive",
    ]);
    let shown = w.ok(&["tenant", "show", "acme"]);
    assert!(
        shown.contains("\n  integrations:\n    gmail: created\n"),
        "{shown}"
    );
    assert!(
        shown.contains("\n    google-drive: created\n      scopes:    openid email profile https://www.googleapis.com/auth/drive.file\n"),
        "{shown}"
    );
    // A tenant of one integration reads as before.
    let plain = w.ok(&["tenant", "show", "plain"]);
    assert!(
        !plain.contains("integrations:") && plain.contains("\n  scopes:   "),
        "{plain}"
    );
    let list = w.ok(&["tenant", "list"]);
    let line = |slug: &str| {
        list.lines()
            .find(|l| l.starts_with(slug))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        list.lines()
            .next()
            .unwrap_or_default()
            .contains("INTEGRATIONS"),
        "{list}"
    );
    assert!(
        line("acme").contains("   gmail created, google-drive created   "),
        "{list}"
    );
    assert!(line("plain").contains("   gmail   "), "{list}");
    // Scripts read the same from the JSON rows.
    let rows = w.json(&["tenant", "list"]);
    let acme = rows
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["slug"] == "acme")
        .expect("acme's row");
    assert_eq!(acme["statuses"][1]["integration"], "google-drive");
    assert_eq!(acme["statuses"][1]["status"], "created");
}
