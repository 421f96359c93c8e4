//! The CLI against an owner that answers as a build from before a command gained a field
//! (an older owner's serde drops what it does not know): what the owner did not say it did
//! is never reported as done.

mod support_proc;

use std::os::unix::fs::PermissionsExt;

use mcp_onboard::control::protocol::{PROTOCOL, software};
use serde_json::{Value, json};
use support_proc::*;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// An owner on `w`'s control socket that answers every call with `reply`; the calls it
/// got come back through the channel.
fn older_owner(w: &World, reply: Value) -> tokio::sync::mpsc::UnboundedReceiver<Value> {
    let dir = w.data_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let listener = mcp_onboard::control::bind(&dir).unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (tx, reply) = (tx.clone(), reply.clone());
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let hello =
                    json!({"type": "hello", "protocol": PROTOCOL, "server": software(), "pid": 1});
                while let Ok(Some(line)) = lines.next_line().await {
                    let frame: Value = serde_json::from_str(&line).unwrap();
                    let out = if frame["type"] == "hello" {
                        hello.clone()
                    } else {
                        let _ = tx.send(frame["command"].clone());
                        json!({"type": "reply", "id": frame["id"], "reply": reply})
                    };
                    let mut bytes = serde_json::to_vec(&out).unwrap();
                    bytes.push(b'\n');
                    write.write_all(&bytes).await.unwrap();
                }
            });
        }
    });
    rx
}

fn world() -> World {
    let mut w = World::new();
    w.demo = false;
    w
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anchored_verify_answered_without_the_anchors_checked_fails() {
    let w = world();
    let mut calls = older_owner(&w, json!({"reply": "audit_verified", "entries": 12}));
    let anchor = format!("7:{}", "ab".repeat(32));
    let out = tokio::task::block_in_place(|| w.run(&["audit", "verify", "--expect", &anchor]));
    assert_eq!(calls.recv().await.unwrap()["expect"][0]["seq"], 7);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout);
    assert!(!out.stdout.contains("it extends"), "{}", out.stdout);
    assert!(
        out.stderr.contains("did not check the anchor"),
        "{}",
        out.stderr
    );
    // Without anchors, the same answer is the plain verify it always was.
    let out = tokio::task::block_in_place(|| w.run(&["audit", "verify"]));
    assert!(out.ok(), "{}", out.stderr);
    assert!(out.stdout.contains("the audit chain holds: 12 entries"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replacing_link_answered_without_what_was_withdrawn_warns() {
    let w = world();
    let _calls = older_owner(
        &w,
        json!({
            "reply": "link",
            "slug": "acme",
            "url": "http://127.0.0.1:8089/c/AAAAAAAAAAAAAAAAAAAAAA",
            "id": "ab12cd34",
            "expires_at": "2026-12-12T10:00:00Z",
        }),
    );
    let out = tokio::task::block_in_place(|| w.run(&["link", "acme", "--replace"]));
    assert!(out.ok(), "{}", out.stderr);
    assert!(
        out.stderr.contains("warning:") && out.stderr.contains("not withdrawn"),
        "{}",
        out.stderr
    );
    // Without --replace there is nothing to warn about.
    let out = tokio::task::block_in_place(|| w.run(&["link", "acme"]));
    assert!(
        out.ok() && !out.stderr.contains("warning:"),
        "{}",
        out.stderr
    );
}
