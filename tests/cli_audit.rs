//! The audit chain from a real `serve`: who did what, verified and anchored.

mod support_proc;

use serde_json::Value;
use support_proc::*;

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
            let db = w.open_db_directly();
            let t = db.open_tree("audit").unwrap();
            if how == "alter" {
                let k = 2u64.to_be_bytes();
                let mut rec: Value = serde_json::from_slice(&t.get(k).unwrap().unwrap()).unwrap();
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
