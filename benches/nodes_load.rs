//! Load driver: one node against two nodes sharing the load, side by side in one run, on
//! one throwaway PostgreSQL server (`fsync=on`, as `backend_load` starts it), each setup on
//! a database of its own. A node is an owner with its own data dir on the shared database
//! and the same master key; both run in this process.
//!
//! - durable callbacks per second with 1 and 64 customers going through the whole flow
//!   against the Google stand-in: with two nodes, customer i's whole flow (its tenant,
//!   links, pages, callbacks) is on node i mod 2, so the single customer is on the first
//!   node and the second only follows its commits;
//! - consent start (`POST /c/{code}/continue`) at a steady offered rate from 64 keep-alive
//!   connections, each on a link of its own; with two nodes connection i goes to node
//!   i mod 2; latencies counted from when the schedule said to send;
//! - where the time goes, over the 64-customer run: each node's store counters (its
//!   writer's transactions, round trips, durable commits, busy time), the server's
//!   counters (commits, rollbacks: a serialization failure or deadlock the writer ran
//!   again, scans of the change log and the rows they read: the followers catching up on
//!   the other node's commits) and what each node's sessions were doing, sampled from
//!   `pg_stat_activity` every 10 ms (running, waiting for a lock, e.g. the change
//!   sequence's table lock every writing transaction takes first, for the log's flush to
//!   disk, or inside a transaction waiting for the node's next statement).
//!
//! Run with `cargo bench --bench nodes_load` (about a minute). `NODES_LOAD=full` runs each
//! step for 30 seconds instead of 4 (`-- --quick`: 1 second); `NODES_LOAD_RATE` sets the
//! offered rate of Continues (default 1000 per second). Needs PostgreSQL's `initdb` and
//! `pg_ctl` (Debian's `postgresql`).

mod support_load;
#[path = "../tests/support_pg/mod.rs"]
mod support_pg;

use std::time::{Duration, Instant};

use support_load::paced::{Paced, paced};
use support_load::waits::{self, Server, Waits};
use support_load::{
    Setup, Split, add_customers, browser, callbacks_on, connect, run_customers, start_owner,
};
use support_pg::PgServer;

/// Customers of the busy run, and connections of the steady load.
const CONNS: usize = 64;

/// What one setup (one node, or two) measured.
struct Phase {
    one: Split,
    many: Split,
    cont: Paced,
    waits: Waits,
    /// What the sessions did during the Continues.
    cont_waits: Waits,
    server: Server,
    /// Change log rows (transactions) and changes each node wrote in the busy run.
    log: Vec<(String, i64, i64)>,
    /// The nodes' ids, in start order.
    ids: Vec<String>,
}

async fn phase(pg: &PgServer, db: &str, n: usize, secs: f64, rate: f64) -> Phase {
    pg.sql(&format!("CREATE DATABASE {db}")).await;
    let url = pg.url_of(db);
    let env = [
        ("MCP_ONBOARD_STORE_BACKEND", "postgres".to_owned()),
        ("MCP_ONBOARD_DATABASE_URL", url.clone()),
    ];
    let c = waits::client(&url).await;
    let mut nodes = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..n {
        nodes.push(start_owner(&env).await);
        let now = waits::node_ids(&c).await;
        let id = now
            .into_iter()
            .find(|i| !ids.contains(i))
            .unwrap_or_default();
        ids.push(id);
    }
    let refs: Vec<&Setup> = nodes.iter().collect();
    let one = callbacks_on(&refs, 1, secs).await;
    // The server publishes a session's counts a moment after its transactions.
    tokio::time::sleep(Duration::from_secs(2)).await;
    add_customers(&refs, CONNS).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (before, seq) = (waits::server(&c).await, waits::last_seq(&c).await);
    let sampler = waits::sample(&url, Duration::from_millis(10)).await;
    let many = run_customers(&refs, CONNS, secs).await;
    let waits = sampler.stop().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut server = waits::server(&c).await.since(before);
    // The sampler's own queries and this connection's are not the nodes'.
    server.commits -= waits.samples as i64 + 3;
    let log = waits::log_by_node(&c, seq).await;

    let mut probes = Vec::new();
    for s in &nodes {
        probes.push(connect(s).await);
    }
    let mut posts = Vec::new();
    for i in 0..CONNS {
        let s = &nodes[i % n];
        let b = browser(s, &probes[i % n], &format!("start-{i}")).await;
        posts.push((s.addr, b.post));
    }
    let sampler = waits::sample(&url, Duration::from_millis(10)).await;
    let cont = tokio::task::spawn_blocking(move || paced(&posts, 303, rate, secs))
        .await
        .expect("load");
    let cont_waits = sampler.stop().await;
    while let Some(s) = nodes.pop() {
        s.owner
            .shutdown(Duration::from_secs(30))
            .await
            .expect("shutdown");
    }
    Phase {
        one,
        many,
        cont,
        waits,
        cont_waits,
        server,
        log,
        ids,
    }
}

/// A row of figures: one node, then each of the two nodes, then the two together.
fn row(name: &str, v: [f64; 4]) {
    println!(
        "{name:>40}  {:>9.2}  {:>9.2}  {:>9.2}  {:>9.2}",
        v[0], v[1], v[2], v[3]
    );
}

/// What each node's sessions were doing, on average over the samples `of` picks.
fn sessions(a: &Phase, b: &Phase, of: fn(&Phase) -> &Waits) {
    let (wa, wb) = (of(a), of(b));
    let mut kinds = wa.kinds();
    for k in wb.kinds() {
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    let none = String::new();
    let id = |p: &Phase, i: usize| p.ids.get(i).unwrap_or(&none).clone();
    for k in kinds {
        let (x, y) = (wb.mean(&id(b, 0), &k), wb.mean(&id(b, 1), &k));
        row(&k, [wa.mean(&id(a, 0), &k), x, y, x + y]);
    }
    println!("({} and {} samples)", wa.samples, wb.samples);
}

fn main() {
    let (secs, rate) = support_load::settings("NODES_LOAD");
    let Some(pg) = PgServer::start_durable() else {
        eprintln!("nodes_load needs PostgreSQL: apt-get install postgresql");
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let started = Instant::now();
        let a = phase(&pg, "one_node", 1, secs, rate).await;
        let b = phase(&pg, "two_nodes", 2, secs, rate).await;

        println!("## durable callbacks per second (whole flow, {secs} s each)");
        println!(
            "{:>9}  {:>9}  {:>9}  {:>8}",
            "customers", "one node", "two nodes", "two/one"
        );
        for (n, x, y) in [(1, &a.one, &b.one), (CONNS, &a.many, &b.many)] {
            println!(
                "{n:>9}  {:>9.1}  {:>9.1}  {:>7.2}x",
                x.rate,
                y.rate,
                y.rate / x.rate
            );
        }
        println!();
        println!(
            "## consent start (POST continue), {CONNS} connections, {rate} per second asked, {secs} s"
        );
        println!(
            "{:>10}  {:>9}  {:>9}  {:>9}  {:>9}  {:>6}",
            "", "offered/s", "p50", "p99", "max", "errors"
        );
        for (name, r) in [("one node", &a.cont), ("two nodes", &b.cont)] {
            println!(
                "{name:>10}  {:>9.0}  {:>9.2?}  {:>9.2?}  {:>9.2?}  {:>6}",
                r.offered, r.p50, r.p99, r.max, r.errors
            );
        }
        println!();
        println!("## where the time goes, {CONNS} customers' callbacks");
        println!(
            "{:>40}  {:>9}  {:>9}  {:>9}  {:>9}",
            "", "one node", "2: node 0", "2: node 1", "2: both"
        );
        let (s1, s2) = (&a.many.stores[0], &b.many.stores);
        let (t1, t2) = (a.many.secs, b.many.secs);
        let each = |f: &dyn Fn(&mcp_onboard::store::StoreStats, f64) -> f64, sum: bool| {
            let (x, y) = (f(&s2[0], t2), f(&s2[1], t2));
            [f(s1, t1), x, y, if sum { x + y } else { (x + y) / 2.0 }]
        };
        row(
            "writer transactions /s",
            each(&|s, t| s.batches as f64 / t, true),
        );
        row(
            "durable commits /s",
            each(&|s, t| s.flushes as f64 / t, true),
        );
        row(
            "operations per transaction",
            each(&|s, _| s.ops as f64 / s.batches.max(1) as f64, false),
        );
        row(
            "round trips per transaction",
            each(&|s, _| s.round_trips as f64 / s.batches.max(1) as f64, false),
        );
        row(
            "writer busy (% of the time)",
            each(&|s, t| s.busy_micros as f64 / 1e4 / t, true),
        );
        row(
            "mean transaction (ms)",
            each(
                &|s, _| s.busy_micros as f64 / 1000.0 / s.batches.max(1) as f64,
                false,
            ),
        );
        row(
            "  of it in the durable commit (ms)",
            each(
                &|s, _| s.flush_micros as f64 / 1000.0 / s.batches.max(1) as f64,
                false,
            ),
        );
        let logged = |p: &Phase, i: usize| {
            p.ids
                .get(i)
                .and_then(|id| p.log.iter().find(|l| &l.0 == id))
                .map_or(0.0, |l| l.1 as f64)
        };
        let (l0, l1) = (logged(&b, 0), logged(&b, 1));
        row(
            "change log rows written /s",
            [logged(&a, 0) / t1, l0 / t2, l1 / t2, (l0 + l1) / t2],
        );
        println!("server, whole database:");
        let srv = |name: &str, f: &dyn Fn(&Server) -> i64| {
            let (x, y) = (f(&a.server) as f64, f(&b.server) as f64);
            println!(
                "{name:>40}  {:>9.2}  {:>9}  {:>9}  {:>9.2}",
                x / t1,
                "",
                "",
                y / t2
            );
        };
        srv("transactions committed /s", &|s| s.commits);
        srv("rolled back (ran again) /s", &|s| s.rollbacks);
        srv("change log scans /s", &|s| s.log_scans);
        srv("change log rows read /s", &|s| s.log_rows_read);
        println!("the nodes' sessions, on average (sampled every 10 ms):");
        sessions(&a, &b, |p| &p.waits);
        println!();
        println!("## what the nodes' sessions did during the Continues, on average");
        sessions(&a, &b, |p| &p.cont_waits);
        println!("took {:.0} s", started.elapsed().as_secs_f64());
    });
}
