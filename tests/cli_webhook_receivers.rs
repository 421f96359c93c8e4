//! Webhook receivers from a real `serve` are recorded by an identifier, never by their URL
//! (which may hold credentials): deliveries are noted by receiver, survive reordering the
//! config, and no URL reaches the data dir, a backup or the database. With the store on
//! sled and on PostgreSQL.

mod support_proc;

use rstest::rstest;
use support_proc::pg::Backend;
use support_proc::*;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A receiver on `path`: the webhook ids it took, and how many POSTs it refused.
#[derive(Clone, Default)]
struct Receiver {
    down: Arc<AtomicBool>,
    took: Arc<Mutex<Vec<String>>>,
    refused: Arc<Mutex<usize>>,
}

async fn receiver(path: &'static str) -> (Receiver, std::net::SocketAddr) {
    let r = Receiver::default();
    let state = r.clone();
    let app = axum::Router::new().route(
        path,
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let state = state.clone();
            async move {
                if state.down.load(Ordering::Relaxed) {
                    *state.refused.lock().unwrap() += 1;
                    return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                }
                let id = headers
                    .get("webhook-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                state.took.lock().unwrap().push(id);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    (r, addr)
}

const SECRETS: [&str; 4] = [
    "hookpass-Q7w8e9",
    "hookuser",
    "tok_path_A1b2C3d4",
    "tok_hold_Z9y8X7",
];

fn assert_no_url_in(w: &World, what: &str) {
    let file = w.tmp.path().join(format!("{what}.backup"));
    w.ok(&["backup", file.to_str().unwrap()]);
    let mut hay = all_bytes(&w.data_dir());
    hay.extend(std::fs::read(&file).unwrap());
    hay.extend(w.pg.iter().flat_map(|pg| pg.dump()));
    for s in SECRETS {
        assert!(!contains(&hay, s.as_bytes()), "{what}: {s} is stored");
    }
}

fn wait_for(what: &str, f: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !f() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "{what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_noted_by_receiver_id_never_by_url_and_survive_reordering_the_config(
    #[case] backend: Backend,
) {
    let (a, a_addr) = receiver("/hooks/tok_path_A1b2C3d4").await;
    let (b, b_addr) = receiver("/hold/tok_hold_Z9y8X7").await;
    b.down.store(true, Ordering::Relaxed);
    let secret = "whsec_MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIz";
    let hook_a = format!(
        "[[webhook]]\nurl = \"http://hookuser:hookpass-Q7w8e9@{a_addr}/hooks/tok_path_A1b2C3d4\"\nsecret = \"{secret}\"\n"
    );
    let hook_b = format!(
        "[[webhook]]\nid = \"crm\"\nurl = \"http://{b_addr}/hold/tok_hold_Z9y8X7\"\nsecret = \"{secret}\"\n"
    );
    let Some((mut w, _google, _blaxel)) = world_with_standins_on(Default::default(), backend).await
    else {
        return;
    };
    let cfg = w.tmp.path().join("config.toml");
    std::fs::write(&cfg, format!("{hook_a}\n{hook_b}")).unwrap();
    w.env
        .push(("MCP_ONBOARD_CONFIG".into(), cfg.display().to_string()));
    let mut serve = w.serve();
    w.ok(&["tenant", "add", "acme"]);
    let link = w.json(&["link", "acme"]);
    let (status, body) =
        consent_through(link["url"].as_str().unwrap(), "it@acme.example", false).await;
    assert_eq!(status, 200, "{body}");
    wait_status(&w, "acme", "deployed");
    wait_for("A takes both events, B refuses", || {
        a.took.lock().unwrap().len() >= 2 && *b.refused.lock().unwrap() >= 1
    });
    assert!(serve.terminate().success());
    assert_no_url_in(&w, "after deliveries");

    // The receivers swapped in the config, B up again: B gets both events, A none again.
    b.down.store(false, Ordering::Relaxed);
    std::fs::write(&cfg, format!("{hook_b}\n{hook_a}")).unwrap();
    let mut serve = w.serve();
    wait_for("B takes both events", || b.took.lock().unwrap().len() >= 2);
    wait_for("the outbox empties", || {
        w.ok(&["status"]).contains("0 events waiting")
    });
    assert!(serve.terminate().success());
    let mut took_a = a.took.lock().unwrap().clone();
    assert_eq!(took_a.len(), 2, "A was not sent anything again: {took_a:?}");
    let mut took_b = b.took.lock().unwrap().clone();
    took_a.sort();
    took_b.sort();
    assert_eq!(took_a, took_b, "the same events, by id");
    assert_no_url_in(&w, "after the second owner");
}
