//! Webhooks from a real `serve`: signed deliveries of the tenants' changes to receivers,
//! with the store on sled and on PostgreSQL.

mod support_proc;

use rstest::rstest;
use serde_json::Value;
use support_proc::pg::Backend;
use support_proc::*;

use std::sync::{Arc, Mutex};

/// A POST seen: id, timestamp, signature, body, and whether it was taken.
type Seen = (String, String, String, String, bool);

#[derive(Clone, Default)]
struct Receiver {
    down: Arc<std::sync::atomic::AtomicBool>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn receiver() -> (Receiver, String) {
    use axum::http::{HeaderMap, StatusCode};
    let r = Receiver::default();
    let state = r.clone();
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let state = state.clone();
            async move {
                let h = |k: &str| {
                    headers
                        .get(k)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                let down = state.down.load(std::sync::atomic::Ordering::Relaxed);
                state.seen.lock().unwrap().push((
                    h("webhook-id"),
                    h("webhook-timestamp"),
                    h("webhook-signature"),
                    body,
                    !down,
                ));
                if down {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    (r, format!("http://{addr}/hooks"))
}

/// The Standard Webhooks check a receiver makes.
fn verify(key: &[u8], id: &str, ts: &str, sig: &str, body: &str) -> bool {
    use base64::Engine as _;
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(format!("{id}.{ts}.{body}").as_bytes());
    let want = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    sig.split(' ').any(|s| s == format!("v1,{want}"))
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_reaches_a_receiver_that_was_down_across_a_restart_signed_and_once_per_id(
    #[case] backend: Backend,
) {
    use base64::Engine as _;
    let (rx, url) = receiver().await;
    rx.down.store(true, std::sync::atomic::Ordering::Relaxed);
    // Another receiver, up all along: the one that is down holds up only itself.
    let (up, up_url) = receiver().await;
    let key = [5u8; 32];
    let secret = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    );
    let Some((mut w, _google, _blaxel)) = world_with_standins_on(Default::default(), backend).await
    else {
        return;
    };
    let cfg = w.tmp.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[webhook]]\nurl = \"{url}\"\nsecret = \"{secret}\"\n\n[[webhook]]\nurl = \"{up_url}\"\nsecret = \"{secret}\"\nevents = [\"tenant.deployed\"]\n"
        ),
    )
    .unwrap();
    w.env
        .push(("MCP_ONBOARD_CONFIG".into(), cfg.display().to_string()));
    let mut serve = w.serve();
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
    // Tried while down, and refused; the other took its event meanwhile.
    let start = std::time::Instant::now();
    while rx.seen.lock().unwrap().is_empty() || up.seen.lock().unwrap().is_empty() {
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let other = up.seen.lock().unwrap().clone();
    assert_eq!(
        other.len(),
        1,
        "only the type it asked for, once: {other:?}"
    );
    assert!(other[0].3.contains("tenant.deployed") && other[0].4);
    assert!(serve.terminate().success());
    let st = w.ok(&["status"]);
    assert!(
        st.contains("webhooks:     2 receivers, 2 events waiting"),
        "{st}"
    );

    // Up again, and the owner back: everything arrives.
    rx.down.store(false, std::sync::atomic::Ordering::Relaxed);
    let _serve = w.serve();
    let start = std::time::Instant::now();
    loop {
        let taken = rx.seen.lock().unwrap().iter().filter(|s| s.4).count();
        if taken >= 2 {
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "{taken} taken"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let seen = rx.seen.lock().unwrap().clone();
    let mut taken: Vec<(String, Value)> = Vec::new();
    for (id, ts, sig, body, ok) in &seen {
        assert!(verify(&key, id, ts, sig, body), "a valid signature on {id}");
        if *ok && !taken.iter().any(|(i, _)| i == id) {
            taken.push((id.clone(), serde_json::from_str(body).unwrap()));
        }
    }
    let kinds: Vec<&str> = taken
        .iter()
        .map(|(_, b)| b["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["tenant.consented", "tenant.deployed"],
        "in order, each once"
    );
    let deployed = &taken[1].1["data"];
    assert_eq!(deployed["slug"], "acme");
    assert_eq!(deployed["google_email"], "it@acme.example");
    assert_eq!(deployed["connection"], "gmail-acme");
    assert_eq!(deployed["function"], "gmail-mcp-acme");
    assert_eq!(deployed["integration"], "gmail");
    assert!(deployed["mcp_url"].as_str().unwrap().ends_with("/mcp"));
    // The ids refused while down are the ids taken later.
    let refused: std::collections::BTreeSet<&String> =
        seen.iter().filter(|s| !s.4).map(|s| &s.0).collect();
    assert!(refused.iter().all(|id| taken.iter().any(|(t, _)| t == *id)));
    let start = std::time::Instant::now();
    while !w.ok(&["status"]).contains("0 events waiting") {
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // webhook test: a signed sample, taken.
    let out = w.ok(&["webhook", "test"]);
    assert!(out.contains("took it (204)"), "{out}");
    let last = rx.seen.lock().unwrap().last().cloned().unwrap();
    assert!(verify(&key, &last.0, &last.1, &last.2, &last.3));
    assert!(last.3.contains("webhook.test"));
}

#[test]
fn a_webhook_needs_an_https_url_a_whsec_secret_and_known_events() {
    let mut w = World::new();
    w.demo = false;
    let cfg = w.tmp.path().join("bad.toml");
    for (text, want) in [
        (
            "[[webhook]]\nurl = \"http://hooks.example.com/x\"\nsecret = \"whsec_MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIz\"\n",
            "webhook.url",
        ),
        (
            "[[webhook]]\nurl = \"https://hooks.example.com/x\"\nsecret = \"plain\"\n",
            "webhook.secret",
        ),
        (
            "[[webhook]]\nurl = \"https://hooks.example.com/x\"\nsecret = \"whsec_MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIz\"\nevents = [\"tenant.exploded\"]\n",
            "webhook.events",
        ),
    ] {
        std::fs::write(&cfg, text).unwrap();
        let mut c = w.command(&["--config", cfg.to_str().unwrap(), "config", "check"]);
        let out = c.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(want), "{want}: {err}");
        assert!(
            !err.contains("MDEyMzQ1"),
            "the secret is never shown: {err}"
        );
    }
}
