//! A restore says which audit chain it brings back (its genesis and head, as `audit head`
//! prints them), and can be held to an anchor noted earlier: a backup of another database,
//! or one older than the anchor, is refused before anything is written.

mod support_proc;

use serde_json::Value;
use support_proc::*;

fn tenant_count(w: &World) -> usize {
    w.json(&["tenant", "list"]).as_array().map_or(0, Vec::len)
}

#[test]
fn a_restore_names_the_chain_it_brings_back_and_can_be_held_to_an_anchor() {
    let mut w = real_world();
    w.ok(&["tenant", "add", "acme"]);
    let head = w.json(&["audit", "head"]);
    let anchor = format!("{}:{}", head["seq"], head["hash"].as_str().unwrap());
    let genesis: Value =
        serde_json::from_str(w.ok(&["--json", "audit"]).lines().next().expect("an entry")).unwrap();
    let genesis = format!("0:{}", genesis["hash"].as_str().unwrap());
    w.ok(&["tenant", "add", "beta"]);
    let file = w.tmp.path().join("full.backup");
    w.ok(&["backup", file.to_str().unwrap()]);
    let now = w.json(&["audit", "head"]);
    let now = format!("{}:{}", now["seq"], now["hash"].as_str().unwrap());

    // An anchor of another chain (or a later one than the backup holds): nothing restored.
    for wrong in [
        format!("{}:{}", head["seq"], "0".repeat(64)),
        format!("999999:{}", "0".repeat(64)),
    ] {
        let dir = w.tmp.path().join("refused");
        w.other_data_dir = Some(dir.clone());
        let out = w.run(&["restore", file.to_str().unwrap(), "--expect", &wrong]);
        assert_eq!(out.status.code(), Some(1), "{wrong}: {}", out.stdout);
        assert!(
            out.stderr.contains("nothing was restored"),
            "{wrong}: {}",
            out.stderr
        );
        assert!(!dir.join("db").exists());
    }
    // The anchor it holds: restored, and the output names its genesis and its head.
    w.other_data_dir = Some(w.tmp.path().join("restored"));
    let out = w.ok(&["restore", file.to_str().unwrap(), "--expect", &anchor]);
    assert!(out.contains(&genesis) && out.contains(&now), "{out}");
    assert_eq!(tenant_count(&w), 2);
    w.other_data_dir = Some(w.tmp.path().join("restored-json"));
    let out = w.json(&["restore", file.to_str().unwrap()]);
    assert_eq!(out["audit_genesis"], genesis.as_str(), "{out}");
    assert_eq!(out["audit_head"], now.as_str(), "{out}");
}
