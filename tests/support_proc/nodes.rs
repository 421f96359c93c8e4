//! Several `serve` nodes on one PostgreSQL database and one master key, each with its own
//! data dir (control socket, logs) and port, behind a small round-robin HTTP proxy that is
//! their public URL; the Google and Blaxel stand-ins in process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::pg::Backend;
use super::{Serve, World, blaxel_standin, free_port, google_standin, random_key};

/// One node: its data dir, its listener's port, and its `serve` while it runs.
pub struct Node {
    pub dir: PathBuf,
    pub port: u16,
    pub serve: Option<Serve>,
}

/// Requests the proxy sent to each node.
#[derive(Default)]
pub struct Forwarded {
    pub by_node: Vec<AtomicUsize>,
}

/// The nodes, their proxy and the stand-ins.
pub struct Cluster {
    pub w: World,
    pub nodes: Vec<Node>,
    pub proxy: SocketAddr,
    pub forwarded: Arc<Forwarded>,
    pub google: mcp_onboard::sandbox::google::GoogleSandbox,
    pub blaxel: mcp_onboard::sandbox::blaxel::BlaxelSandboxHandle,
}

impl Cluster {
    /// `n` nodes' worlds, not started; `None`: PostgreSQL is not installed (SKIPPED).
    pub async fn new(n: usize, faults: mcp_onboard::sandbox::blaxel::BlaxelFaults) -> Option<Self> {
        let mut w = World::new().on(Backend::Postgres)?;
        w.demo = false;
        let nodes: Vec<Node> = (0..n)
            .map(|i| Node {
                dir: w.tmp.path().join(format!("node-{i}")),
                port: free_port(),
                serve: None,
            })
            .collect();
        let forwarded = Arc::new(Forwarded {
            by_node: (0..n).map(|_| AtomicUsize::new(0)).collect(),
        });
        let ports: Vec<u16> = nodes.iter().map(|n| n.port).collect();
        let proxy = round_robin(ports, forwarded.clone()).await;
        let public = format!("http://{proxy}");
        let google = google_standin(&mut w, &public).await;
        let blaxel = blaxel_standin(faults).await;
        for (k, v) in [
            ("MCP_ONBOARD_PUBLIC_URL", public),
            ("BL_API_URL", blaxel.base_url().to_string()),
            ("BL_WORKSPACE", "ws".to_owned()),
            ("BL_API_KEY", "bl_key".to_owned()),
            ("MCP_ONBOARD_KEY", random_key()),
            // Every customer reaches the nodes from the proxy's one loopback address.
            ("MCP_ONBOARD_RATE_LIMIT_PER_MINUTE", "100000".to_owned()),
            ("MCP_ONBOARD_RATE_LIMIT_BURST", "10000".to_owned()),
        ] {
            w.env.push((k.into(), v));
        }
        Some(Self {
            w,
            nodes,
            proxy,
            forwarded,
            google,
            blaxel,
        })
    }

    /// The world pointed at node `i` (its data dir and port) for the commands run next.
    pub fn at(&mut self, i: usize) -> &World {
        self.w.other_data_dir = Some(self.nodes[i].dir.clone());
        self.w.port = self.nodes[i].port;
        &self.w
    }

    /// Start `serve` on node `i` and wait until it is ready.
    pub fn start(&mut self, i: usize) {
        let serve = {
            self.at(i);
            self.w.serve()
        };
        // `serve` may have moved to another port when the chosen one was taken.
        self.nodes[i].port = self.w.port;
        self.nodes[i].serve = Some(serve);
    }

    /// The process id of node `i`'s `serve`.
    pub fn pid(&self, i: usize) -> u32 {
        self.nodes[i]
            .serve
            .as_ref()
            .map(Serve::pid)
            .expect("node runs")
    }

    /// Send `signal` (e.g. `"KILL"`, `"STOP"`, `"CONT"`) to node `i`'s `serve`.
    pub fn signal(&self, i: usize, signal: &str) {
        let ok = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid(i).to_string())
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill -{signal} node {i}");
    }

    /// The public link of a new consent link for `slug`, issued through node `i`.
    pub fn link(&mut self, i: usize, slug: &str) -> String {
        let v = self.at(i).json(&["link", slug]);
        v["url"]
            .as_str()
            .unwrap_or_else(|| panic!("no url in {v:#}"))
            .to_owned()
    }
}

/// A proxy that sends each request to the next node in turn (one that refuses the
/// connection is skipped, as a load balancer's health check would), counting them.
async fn round_robin(ports: Vec<u16>, forwarded: Arc<Forwarded>) -> SocketAddr {
    use axum::body::Body;
    use axum::extract::Request;
    use axum::response::{IntoResponse, Response};
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("proxy client");
    let next = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new().fallback(move |req: Request| {
        let (client, next, ports, forwarded) = (
            client.clone(),
            next.clone(),
            ports.clone(),
            forwarded.clone(),
        );
        async move {
            let path = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            let method =
                reqwest::Method::from_bytes(req.method().as_str().as_bytes()).expect("a method");
            let headers = req.headers().clone();
            let body = axum::body::to_bytes(req.into_body(), 1 << 20)
                .await
                .unwrap_or_default();
            let first = next.fetch_add(1, Ordering::Relaxed);
            for k in 0..ports.len() {
                let i = (first + k) % ports.len();
                let mut out = client.request(
                    method.clone(),
                    format!("http://127.0.0.1:{}{path}", ports[i]),
                );
                for (name, v) in &headers {
                    if name != "host" {
                        out = out.header(name.as_str(), v.as_bytes());
                    }
                }
                let res = match out.body(body.clone()).send().await {
                    Ok(r) => r,
                    Err(e) if e.is_connect() => continue,
                    Err(e) => {
                        return (axum::http::StatusCode::BAD_GATEWAY, e.to_string())
                            .into_response();
                    }
                };
                forwarded.by_node[i].fetch_add(1, Ordering::Relaxed);
                let mut back = Response::builder().status(res.status().as_u16());
                for (name, v) in res.headers() {
                    back = back.header(name.as_str(), v.as_bytes());
                }
                let bytes = res.bytes().await.unwrap_or_default();
                return back.body(Body::from(bytes)).expect("a response");
            }
            (axum::http::StatusCode::BAD_GATEWAY, "no node answers").into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("proxy port");
    let addr = listener.local_addr().expect("proxy address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}
