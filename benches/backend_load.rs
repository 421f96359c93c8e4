//! Load driver: sled against PostgreSQL, side by side in one run, on this machine.
//!
//! - durable callbacks per second with 1 and 64 customers going through the whole flow
//!   against the Google stand-in, on an owner over sled and one over a throwaway
//!   PostgreSQL server started as the tests start theirs, but with `fsync=on` (each
//!   callback is acknowledged only once its commit is on disk);
//! - where the time goes on PostgreSQL: the store's own counters (durable commits, the
//!   time spent in them, operations per transaction) and a probe of the server alone (a
//!   round trip, a commit that waits for the log and one that does not);
//! - consent start (`POST /c/{code}/continue`, what a customer's browser sends: the consent
//!   cookie and the form token) at a steady offered rate, on each owner and on a bare axum
//!   handler that returns a fixed 303: 64 keep-alive connections, each on a link of its
//!   own, each sending on a fixed schedule; the latency of a request is counted from when
//!   the schedule said to send it (so a server that falls behind is not hidden by the
//!   driver waiting for it), and the rate really offered is printed.
//!
//! Run with `cargo bench --bench backend_load` (about a minute). `BACKEND_LOAD=full` runs
//! each step for 30 seconds instead of 4 (`-- --quick`: 1 second); `BACKEND_LOAD_RATE`
//! sets the offered rate of Continues (default 1000 per second). Needs PostgreSQL's
//! `initdb` and `pg_ctl` (Debian's `postgresql`).

mod support_load;
#[path = "../tests/support_pg/mod.rs"]
mod support_pg;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use support_load::paced::{Paced, paced};
use support_load::{Callbacks, Setup, bare, browser, callbacks, connect, percentile, start_owner};
use support_pg::PgServer;

/// Connections of the steady load (each a customer's browser on a link of its own).
const CONNS: usize = 64;

/// One owner's figures.
struct Side {
    one: Callbacks,
    many: Callbacks,
    cont: Paced,
    /// The requests, to send the same to the bare handler.
    browser: support_load::Browser,
    addr: SocketAddr,
}

async fn side(s: &Setup, secs: f64, rate: f64) -> Side {
    let one = callbacks(s, 1, secs).await;
    let many = callbacks(s, CONNS, secs).await;
    let probe = connect(s).await;
    let mut posts = Vec::new();
    let mut first = None;
    for i in 0..CONNS {
        let b = browser(s, &probe, &format!("start-{i}")).await;
        posts.push((s.addr, b.post.clone()));
        first.get_or_insert(b);
    }
    let addr = s.addr;
    let cont = tokio::task::spawn_blocking(move || paced(&posts, 303, rate, secs))
        .await
        .expect("load");
    Side {
        one,
        many,
        cont,
        browser: first.expect("a browser"),
        addr,
    }
}

/// The server alone, on a connection of its own: median of a round trip (`SELECT 1`), of
/// a one-row commit that waits for the log to be on disk, and of one that does not.
async fn probe_server(pg: &PgServer, rounds: usize) -> (Duration, Duration, Duration) {
    pg.sql("CREATE DATABASE bench_probe").await;
    let (c, conn) = tokio_postgres::connect(&pg.url_of("bench_probe"), tokio_postgres::NoTls)
        .await
        .expect("connect to the probe database");
    let task = tokio::spawn(conn);
    c.batch_execute("CREATE TABLE p (id int PRIMARY KEY, n bigint); INSERT INTO p VALUES (1, 0)")
        .await
        .expect("probe table");
    let client = &c;
    let timed = move |sql: &'static str| async move {
        let mut v = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let t = Instant::now();
            client.batch_execute(sql).await.expect("probe");
            v.push(t.elapsed());
        }
        v.sort();
        percentile(&v, 0.5)
    };
    let trip = timed("SELECT 1").await;
    let on = timed("BEGIN; UPDATE p SET n = n + 1 WHERE id = 1; COMMIT").await;
    let off = timed(
        "BEGIN; SET LOCAL synchronous_commit = off; UPDATE p SET n = n + 1 WHERE id = 1; COMMIT",
    )
    .await;
    drop(c);
    let _ = task.await;
    (trip, on, off)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let (secs, rate) = support_load::settings("BACKEND_LOAD");
    let Some(pg) = PgServer::start_durable() else {
        eprintln!("backend_load needs PostgreSQL: apt-get install postgresql");
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let started = Instant::now();
        let s = start_owner(&[]).await;
        let sled = side(&s, secs, rate).await;
        s.owner
            .shutdown(Duration::from_secs(30))
            .await
            .expect("shutdown");
        let p = start_owner(&pg.env()).await;
        let post = side(&p, secs, rate).await;
        p.owner
            .shutdown(Duration::from_secs(30))
            .await
            .expect("shutdown");
        let b = &post.browser;
        let bare_addr = bare(b.page_len, b.location.clone()).await;
        let posts: Vec<_> =
            std::iter::repeat_n((bare_addr, b.to(post.addr, bare_addr).1), CONNS).collect();
        let bare_cont = tokio::task::spawn_blocking(move || paced(&posts, 303, rate, secs))
            .await
            .expect("load");
        let (trip, on, off) = probe_server(&pg, 200).await;

        println!("## durable callbacks per second (whole flow, {secs} s each)");
        println!(
            "{:>9}  {:>10}  {:>10}  {:>8}",
            "customers", "sled", "postgres", "pg/sled"
        );
        for (n, a, b) in [(1, &sled.one, &post.one), (CONNS, &sled.many, &post.many)] {
            println!(
                "{n:>9}  {:>10.1}  {:>10.1}  {:>7.2}x",
                a.rate,
                b.rate,
                b.rate / a.rate
            );
        }
        println!();
        println!("## where the time goes, {CONNS} customers");
        println!("{:>34}  {:>10}  {:>10}", "", "sled", "postgres");
        let per_s = |c: &Callbacks, x: u64| x as f64 / c.secs;
        let row = |name: &str, f: &dyn Fn(&Callbacks) -> f64| {
            println!("{name:>34}  {:>10.2}  {:>10.2}", f(&sled.many), f(&post.many));
        };
        row("durable writes acked /s", &|c| per_s(c, c.store.durable_ops));
        row("durable commits (flushes) /s", &|c| per_s(c, c.store.flushes));
        row("acks per durable commit", &|c| {
            c.store.durable_ops as f64 / c.store.flushes.max(1) as f64
        });
        row("operations per transaction", &|c| {
            c.store.ops as f64 / c.store.batches.max(1) as f64
        });
        row("writer busy (% of the time)", &|c| {
            c.store.busy_micros as f64 / 1e4 / c.secs
        });
        row("mean transaction (ms)", &|c| {
            c.store.busy_micros as f64 / 1000.0 / c.store.batches.max(1) as f64
        });
        row("  of it in durable commits (ms)", &|c| {
            c.store.flush_micros as f64 / 1000.0 / c.store.batches.max(1) as f64
        });
        row("mean durable commit/flush (ms)", &|c| {
            c.store.flush_micros as f64 / 1000.0 / c.store.flushes.max(1) as f64
        });
        row("round trips per operation", &|c| {
            c.store.round_trips as f64 / c.store.ops.max(1) as f64
        });
        let rest = &post.many.store;
        let before_commit =
            (rest.busy_micros - rest.flush_micros.min(rest.busy_micros)) as f64 / 1000.0;
        println!(
            "postgres, before the durable commit: {:.2} ms per transaction, {:.3} ms per operation = {:.0} bare round trips",
            before_commit / rest.batches.max(1) as f64,
            before_commit / rest.ops.max(1) as f64,
            before_commit / rest.ops.max(1) as f64 / ms(trip).max(1e-9)
        );
        println!(
            "server alone (median of 200): round trip {:.3} ms, commit waiting for the log {:.3} ms, not waiting {:.3} ms",
            ms(trip),
            ms(on),
            ms(off)
        );
        println!();
        println!(
            "## consent start (POST continue), {CONNS} connections, {rate} per second asked, {secs} s"
        );
        println!(
            "{:>14}  {:>9}  {:>9}  {:>9}  {:>9}  {:>6}",
            "", "offered/s", "p50", "p99", "max", "errors"
        );
        for (name, r) in [
            ("bare axum", &bare_cont),
            ("sled node", &sled.cont),
            ("postgres node", &post.cont),
        ] {
            println!(
                "{name:>14}  {:>9.0}  {:>9.2?}  {:>9.2?}  {:>9.2?}  {:>6}",
                r.offered, r.p50, r.p99, r.max, r.errors
            );
        }
        println!(
            "postgres p99 / bare p99: {:.1}x; took {:.0} s",
            post.cont.p99.as_secs_f64() / bare_cont.p99.as_secs_f64().max(1e-9),
            started.elapsed().as_secs_f64()
        );
    });
}
