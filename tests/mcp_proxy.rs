//! The MCP check goes straight to the server even when the environment names a proxy
//! (`HTTP_PROXY`): a plain-http loopback server's key must not pass through it. Its own
//! test binary: the proxy is set in the process's environment.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use mcp_onboard::blaxel::{McpCheckSettings, McpChecker};
use secrecy::SecretString;

/// A server counting the requests it gets.
async fn counting() -> (std::net::SocketAddr, Arc<Mutex<usize>>) {
    let count = Arc::new(Mutex::new(0));
    let kept = count.clone();
    let app = axum::Router::new().fallback(move || {
        let kept = kept.clone();
        async move {
            *kept.lock().unwrap() += 1;
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, count)
}

#[test]
fn a_proxy_in_the_environment_is_not_used() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (proxy, through_proxy) = counting().await;
        let (server, direct) = counting().await;
        for name in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
            // SAFETY: the only test of this binary, before any client reads the
            // environment; no other thread reads or writes it.
            unsafe { std::env::set_var(name, format!("http://{proxy}")) };
        }
        for name in ["NO_PROXY", "no_proxy"] {
            // SAFETY: as above.
            unsafe { std::env::remove_var(name) };
        }
        let checker = McpChecker::new(
            "ws",
            SecretString::from("bl_proxy_test_key_0123"),
            McpCheckSettings {
                timeout: Duration::from_secs(5),
                concurrency: 1,
            },
        )
        .unwrap();
        let check = checker.check(&format!("http://{server}/mcp")).await;
        assert!(!check.is_usable());
        assert_eq!(*through_proxy.lock().unwrap(), 0, "{check:?}");
        assert!(*direct.lock().unwrap() > 0, "{check:?}");
    });
}
