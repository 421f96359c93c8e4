//! The real binary with its store in PostgreSQL: `config check` reaches the database and
//! says what it found (server version, schema version, tenants), or that it cannot.

mod support_proc;

use support_proc::pg::Backend;
use support_proc::*;

/// A world whose commands keep their data in a PostgreSQL server of its own, with Google
/// and Blaxel configured; `None`: PostgreSQL is not installed (SKIPPED).
fn world() -> Option<World> {
    let mut w = World::new().on(Backend::Postgres)?;
    w.demo = false;
    w.env.push((
        "GOOGLE_CLIENT_ID".into(),
        "id.apps.googleusercontent.com".into(),
    ));
    w.env.push(("GOOGLE_CLIENT_SECRET".into(), "s3cret".into()));
    w.env.push(("BL_WORKSPACE".into(), "ws".into()));
    w.env.push(("BL_API_KEY".into(), "bl_key".into()));
    w.env.push((
        "MCP_ONBOARD_KEY".into(),
        "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=".into(),
    ));
    Some(w)
}

#[test]
fn config_check_says_what_the_database_holds_or_that_it_cannot_reach_it() {
    let Some(w) = world() else { return };
    let out = w.ok(&["config", "check"]);
    let line = out
        .lines()
        .find(|l| l.starts_with("database:"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains("PostgreSQL 1") && line.contains("empty") && line.contains("host="),
        "{line}"
    );
    assert!(
        line.ends_with("; leader lease 15s; change log kept 1h"),
        "{line}"
    );
    // A tenant added through the store: the schema is made, the tenant counted.
    w.ok(&["tenant", "add", "acme"]);
    let v = w.json(&["config", "check"]);
    let store = &v["store"];
    assert_eq!(store["backend"], "postgres", "{v}");
    assert_eq!(store["ok"], true, "{v}");
    assert_eq!(store["found"]["schema_version"], 5, "{v}");
    assert_eq!(store["leader_timeout"], "15s", "{v}");
    assert_eq!(store["change_log_keep"], "1h", "{v}");
    assert_eq!(store["found"]["tenants"], 1, "{v}");
    assert_eq!(v["database_exists"], true, "{v}");
    assert!(!w.data_dir().join("db").exists(), "nothing of sled's");
    // `status` names the database (no password) and lists the nodes: this command's own.
    let out = w.ok(&["status"]);
    let database = out
        .lines()
        .find(|l| l.starts_with("database:     "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        database.contains("postgres") && !database.contains("password"),
        "{database}"
    );
    assert!(
        out.lines().any(|l| l.starts_with("nodes:        ")),
        "{out}"
    );
    let v = w.json(&["status"]);
    let nodes = v["cluster"]["nodes"].as_array().expect("the nodes");
    assert!(
        nodes
            .iter()
            .any(|n| n["this"] == true && n["alive"] == true),
        "{v}"
    );
    // Key rotation is sled's: refused, saying how to get there, and nothing changes.
    let out = w.run(&["key", "rotate"]);
    assert!(!out.ok());
    assert!(out.stderr.contains("embedded (sled)"), "{}", out.stderr);
    assert!(
        out.stderr.contains("stop every node") && out.stderr.contains("start every node"),
        "{}",
        out.stderr
    );
    assert_eq!(w.json(&["config", "check"])["store"]["found"]["tenants"], 1);
    // The server gone: said, and the check fails.
    w.pg.as_ref().expect("the world's server").down("fast");
    let out = w.run(&["config", "check"]);
    assert!(!out.ok(), "{}", out.stdout);
    assert!(
        out.stdout.contains("database:     PROBLEM:"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("cannot be reached"), "{}", out.stderr);
}
