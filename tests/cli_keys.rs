//! The master key in real processes: a database opens only with the key it was made with,
//! a missing key file stops the tool before anything is lost, and the demo keeps to its own
//! data dir and key.

mod support_proc;

use std::os::unix::fs::PermissionsExt;

use support_proc::*;

#[test]
fn a_database_opens_only_with_the_key_it_was_created_with() {
    let key = random_key();
    let mut w = World::new();
    w.demo = false;
    w.env.push(("MCP_ONBOARD_KEY".into(), key.clone()));
    w.ok(&["tenant", "add", "acme", "--name", "Acme Ltd"]);
    assert!(
        !w.tmp
            .path()
            .join("home/.config/mcp-onboard/secret.key")
            .exists(),
        "with MCP_ONBOARD_KEY no key file is written"
    );

    w.env.retain(|(k, _)| k != "MCP_ONBOARD_KEY");
    w.env.push(("MCP_ONBOARD_KEY".into(), random_key()));
    let out = w.run(&["tenant", "list"]);
    assert!(!out.ok(), "opened with another key: {}", out.stdout);
    assert!(
        out.stderr.contains("does not open this database"),
        "{}",
        out.stderr
    );

    w.env.retain(|(k, _)| k != "MCP_ONBOARD_KEY");
    w.env.push(("MCP_ONBOARD_KEY".into(), "not a key".into()));
    let out = w.run(&["tenant", "list"]);
    assert!(!out.ok());
    assert!(out.stderr.contains("MCP_ONBOARD_KEY"), "{}", out.stderr);

    w.env.retain(|(k, _)| k != "MCP_ONBOARD_KEY");
    w.env.push(("MCP_ONBOARD_KEY".into(), key));
    let t = w.tenant("acme");
    assert_eq!(s(&t, "display_name"), "Acme Ltd");
    assert_eq!(t["events"].as_array().map(Vec::len), Some(1));
}

#[test]
fn a_missing_key_file_stops_the_tool_and_loses_nothing() {
    let mut w = World::new();
    w.demo = false;
    // A Google client, so that links can be issued (consent is disabled without one).
    w.env.push((
        "GOOGLE_CLIENT_ID".into(),
        "it.apps.googleusercontent.com".into(),
    ));
    w.env
        .push(("GOOGLE_CLIENT_SECRET".into(), "it-secret".into()));
    let key_file = w.tmp.path().join("keys/secret.key");
    let kf = key_file.to_str().expect("utf-8 path");
    w.ok(&["--key-file", kf, "tenant", "add", "acme"]);
    w.ok(&["--key-file", kf, "link", "acme"]);
    let mode = std::fs::metadata(&key_file)
        .expect("key file created on first use")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "key file mode {:o}", mode & 0o777);

    let aside = w.tmp.path().join("keys/moved-away");
    std::fs::rename(&key_file, &aside).expect("moving the key away");
    let out = w.run(&["--key-file", kf, "tenant", "show", "acme"]);
    assert!(!out.ok(), "opened without its key: {}", out.stdout);
    assert!(
        out.stderr.contains("key file")
            && out.stderr.contains(kf)
            && out.stderr.contains("missing"),
        "{}",
        out.stderr
    );
    assert!(
        !key_file.exists(),
        "a new key must never be made for an existing database"
    );

    // Another valid key in the key file is refused too.
    std::fs::write(&key_file, format!("{}\n", random_key())).expect("writing a key");
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let out = w.run(&["--key-file", kf, "tenant", "show", "acme"]);
    assert!(!out.ok());
    assert!(
        out.stderr.contains("does not open this database"),
        "{}",
        out.stderr
    );

    std::fs::rename(&aside, &key_file).expect("restoring the key");
    let t = w.json(&["--key-file", kf, "tenant", "show", "acme"]);
    assert_eq!(s(&t, "status"), "link_issued");
    assert_eq!(t["links"].as_array().map(Vec::len), Some(1));
}

#[test]
fn the_demo_keeps_to_its_own_data_dir_and_key_whatever_it_is_told() {
    let mut w = World::new();
    let real = w.tmp.path().join("real-data");
    w.env
        .push(("MCP_ONBOARD_DATA_DIR".into(), real.display().to_string()));
    w.env.push(("MCP_ONBOARD_KEY".into(), random_key()));
    w.ok(&["tenant", "add", "acme"]);
    let out = w.ok(&["--data-dir", real.to_str().unwrap(), "tenant", "list"]);
    assert!(out.contains("acme"), "{out}");
    assert!(!real.exists(), "the real data dir was never touched");
    assert!(w.data_dir().join("demo.key").exists(), "the demo's own key");
    // And the real world does not see the demo's tenant: it has none yet.
    w.demo = false;
    w.env.retain(|(k, _)| k != "MCP_ONBOARD_DATA_DIR");
    w.ok(&["tenant", "add", "beta"]);
    let out = w.ok(&["--json", "tenant", "list"]);
    let list: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let slugs: Vec<&str> = list
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|t| t["slug"].as_str())
        .collect();
    assert_eq!(slugs, ["beta"]);
}
