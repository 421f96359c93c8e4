//! Load driver for the owner: writes through the control socket, durable callbacks, and
//! the consent pages against a bare axum handler, side by side in one run.
//!
//! - acknowledged `tenant add`s per second over the socket with 1, 8 and 64 clients, and
//!   how many flushes each acknowledged write cost (group commit);
//! - durable callbacks per second with 1 and 64 customers going through the whole flow
//!   against the Google stand-in (each acknowledged only after its flush);
//! - `GET /c/{code}` and `POST /c/{code}/continue` against a bare handler that returns a
//!   fixed 1.5 KB page or a fixed 303: same load tool, same connections, keep-alive, rate
//!   limit lifted; requests per second and latency percentiles. Each request is what a
//!   customer's browser sends after the first open: the consent cookie, and for Continue
//!   the form token.
//!
//! Everything runs in this one process (owner, stand-ins, load), so each pair shares the
//! machine alike. Run with `cargo bench --bench owner_load` (`-- --quick` for short runs).

mod support_load;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_onboard::control::Client;
use mcp_onboard::engine::api::Command;
use mcp_onboard::engine::lifecycle::NewTenant;
use support_load::{
    Setup, bare, browser, callbacks, connect, percentile, read_response, start_owner,
};

/// `clients` connections, each adding tenants one after another for `secs`.
async fn adds(s: &Setup, clients: usize, secs: f64, tag: &str) -> (f64, f64) {
    let probe = connect(s).await;
    let before = support_load::stats(&probe).await;
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|i| {
            let data = s.data.clone();
            let tag = tag.to_owned();
            tokio::spawn(async move {
                let c = Client::connect(&data)
                    .await
                    .expect("connect")
                    .expect("owner");
                let mut n = 0u64;
                while Instant::now() < until {
                    c.call(Command::AddTenant(NewTenant {
                        slug: format!("{tag}-{i}-{n}"),
                        ..Default::default()
                    }))
                    .await
                    .expect("add");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("client");
    }
    let took = started.elapsed().as_secs_f64();
    let g = support_load::grown(before, support_load::stats(&probe).await);
    let per_ack = g.flushes as f64 / g.durable_ops.max(1) as f64;
    (total as f64 / took, per_ack)
}

// ---- the HTTP load tool: keep-alive connections, one request at a time each ----

struct Load {
    rps: f64,
    p50: Duration,
    p99: Duration,
    errors: u64,
}

/// `conns` threads, each with one keep-alive connection, sending `request` for `secs`.
fn load(addr: SocketAddr, request: &[u8], want: u16, conns: usize, secs: f64) -> Load {
    let request = Arc::new(request.to_vec());
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let threads: Vec<_> = (0..conns)
        .map(|_| {
            let request = request.clone();
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                let mut errors = 0u64;
                let mut buf = Vec::new();
                let mut s = TcpStream::connect(addr).expect("connect");
                s.set_nodelay(true).ok();
                while Instant::now() < until {
                    let t = Instant::now();
                    let ok = s
                        .write_all(&request)
                        .and_then(|()| read_response(&mut s, &mut buf));
                    match ok {
                        Ok(st) if st == want => lat.push(t.elapsed()),
                        Ok(_) => errors += 1,
                        Err(_) => {
                            errors += 1;
                            s = TcpStream::connect(addr).expect("reconnect");
                        }
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in threads {
        let (l, e) = t.join().expect("load thread");
        all.extend(l);
        errors += e;
    }
    let took = started.elapsed().as_secs_f64();
    all.sort();
    Load {
        rps: all.len() as f64 / took,
        p50: percentile(&all, 0.50),
        p99: percentile(&all, 0.99),
        errors,
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let secs = if quick { 1.0 } else { 5.0 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let s = start_owner(&[]).await;
        // `OWNER_LOAD_ONLY=consent` skips to the consent pages (for profiling them).
        let only_consent = std::env::var("OWNER_LOAD_ONLY").as_deref() == Ok("consent");
        if !only_consent {
            println!("## writes over the control socket (tenant add, durable)");
            println!("{:>8}  {:>12}  {:>16}", "clients", "adds/s", "flushes/ack");
            for clients in [1usize, 8, 64] {
                let (rate, per) = adds(&s, clients, secs, &format!("a{clients}")).await;
                println!("{clients:>8}  {rate:>12.0}  {per:>16.3}");
            }
            println!();
            println!("## durable callbacks (whole flow against the Google stand-in)");
            println!(
                "{:>9}  {:>12}  {:>16}",
                "customers", "callbacks/s", "flushes/ack"
            );
            for customers in [1usize, 64] {
                let c = callbacks(&s, customers, secs).await;
                println!(
                    "{customers:>9}  {:>12.1}  {:>16.3}",
                    c.rate,
                    c.flushes_per_ack()
                );
            }
            println!();
        }

        // Consent start: one link, opened and continued again and again.
        let probe = connect(&s).await;
        let b = browser(&s, &probe, "load").await;
        let bare_addr = bare(b.page_len, b.location.clone()).await;
        let (bare_get, bare_post) = b.to(s.addr, bare_addr);
        let (get_req, post_req, page_len, location) = (b.get, b.post, b.page_len, b.location);
        println!(
            "## consent start: ours vs a bare handler (page {page_len} bytes, redirect {} bytes)",
            location.len()
        );
        println!(
            "{:>22}  {:>5}  {:>10}  {:>9}  {:>9}  {:>6}",
            "", "conns", "req/s", "p50", "p99", "errors"
        );
        for conns in [8usize, 64] {
            for (name, addr, req, want) in [
                ("bare GET /c/{code}", bare_addr, bare_get.as_bytes(), 200u16),
                ("ours GET /c/{code}", s.addr, get_req.as_bytes(), 200),
                ("bare POST continue", bare_addr, bare_post.as_bytes(), 303),
                ("ours POST continue", s.addr, post_req.as_bytes(), 303),
            ] {
                if let Ok(only) = std::env::var("OWNER_LOAD_SCENARIO")
                    && !name.starts_with(&only)
                {
                    continue;
                }
                let r = tokio::task::block_in_place(|| load(addr, req, want, conns, secs));
                println!(
                    "{name:>22}  {conns:>5}  {:>10.0}  {:>9.2?}  {:>9.2?}  {:>6}",
                    r.rps, r.p50, r.p99, r.errors
                );
            }
        }
        s.owner
            .shutdown(Duration::from_secs(30))
            .await
            .expect("shutdown");
    });
}
