//! The audit chain from a real `serve`: who did what, verified and anchored, with the
//! store on sled and on PostgreSQL.

mod support_proc;

use mcp_onboard::sandbox::blaxel::BlaxelSandboxHandle;
use mcp_onboard::sandbox::google::GoogleSandbox;
use rstest::rstest;
use serde_json::Value;
use support_proc::pg::Backend;
use support_proc::*;

use std::os::unix::fs::MetadataExt;

/// A world whose `serve` has taken acme through its consent to deployed. The owner is
/// stopped before the world (and its database) goes.
struct Onboarded {
    serve: Serve,
    w: World,
    _standins: (GoogleSandbox, BlaxelSandboxHandle),
}

/// `None`: `backend` is PostgreSQL and it is not installed (SKIPPED).
async fn onboarded(backend: Backend) -> Option<Onboarded> {
    let (mut w, google, blaxel) = world_with_standins_on(Default::default(), backend).await?;
    let serve = w.serve();
    w.ok(&["tenant", "add", "acme"]);
    let link = w.json(&["link", "acme"]);
    let (status, body) = consent_through(s(&link, "url"), "it@acme.example", false).await;
    assert_eq!(status, 200, "{body}");
    wait_status(&w, "acme", "deployed");
    if w.pg.is_some() {
        assert!(
            !w.data_dir().join("db").exists(),
            "the store is PostgreSQL's"
        );
    }
    Some(Onboarded {
        serve,
        w,
        _standins: (google, blaxel),
    })
}

fn lines(w: &World) -> Vec<Value> {
    w.ok(&["--json", "audit"])
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_over_the_socket_is_audited_with_the_peer_uid_and_the_chain_holds(
    #[case] backend: Backend,
) {
    let Some(o) = onboarded(backend).await else {
        return;
    };
    let w = &o.w;
    let me = std::fs::metadata(w.tmp.path()).unwrap().uid();
    let all = lines(w);
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

/// Alter entry 2's detail, or remove the chain's last entries, in the stopped owner's
/// store, as someone with write access to the data but not the key can.
async fn tamper(w: &World, how: &str, n: u64) {
    let altered = |rec: &[u8]| {
        let mut rec: Value = serde_json::from_slice(rec).unwrap();
        rec["detail"] = "nothing happened here".into();
        serde_json::to_vec(&rec).unwrap()
    };
    let Some(pg) = &w.pg else {
        let db = w.open_db_directly();
        let t = db.open_tree("audit").unwrap();
        if how == "alter" {
            let k = 2u64.to_be_bytes();
            t.insert(k, altered(&t.get(k).unwrap().unwrap())).unwrap();
        } else {
            for seq in [n, n - 1] {
                t.remove(seq.to_be_bytes()).unwrap();
            }
        }
        db.flush().unwrap();
        return;
    };
    let (client, conn) = tokio_postgres::connect(&pg.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    let task = tokio::spawn(conn);
    if how == "alter" {
        let row = client
            .query_one("SELECT record FROM audit WHERE seq = 2", &[])
            .await
            .unwrap();
        let rec = altered(row.get::<_, &[u8]>(0));
        let changed = client
            .execute("UPDATE audit SET record = $1 WHERE seq = 2", &[&rec])
            .await
            .unwrap();
        assert_eq!(changed, 1);
    } else {
        let seqs = [n as i64, n as i64 - 1];
        client
            .execute("DELETE FROM audit WHERE seq = ANY($1)", &[&&seqs[..]])
            .await
            .unwrap();
    }
    drop(client);
    let _ = task.await;
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_fails_on_an_altered_entry_and_on_removed_ones(#[case] backend: Backend) {
    for how in ["alter", "truncate"] {
        let Some(mut o) = onboarded(backend).await else {
            return;
        };
        assert!(o.serve.terminate().success());
        let w = &o.w;
        let n = lines(w).len();
        assert!(n >= 5, "{n} entries");
        tamper(w, how, n as u64).await;
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
