//! Where a PostgreSQL database's sessions spend their time while a load runs: what each
//! node's sessions are doing, sampled from `pg_stat_activity` on a connection of the
//! driver's own, and the server's counters for the database (commits, rollbacks, reads of
//! the change log).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio_postgres::{Client, NoTls};

/// Sessions of the database doing something (running, waiting for a lock, for the disk, or
/// inside a transaction waiting for their node's next statement), with their node id.
const ACTIVE: &str = "SELECT application_name, state, \
     coalesce(wait_event_type || ':' || wait_event, '') FROM pg_stat_activity \
     WHERE datname = current_database() AND pid <> pg_backend_pid() \
     AND state IN ('active', 'idle in transaction')";

/// The server's counters for the database: transactions committed and rolled back, scans
/// of the change log and rows they read.
const COUNTERS: &str = "SELECT d.xact_commit, d.xact_rollback, \
     coalesce(t.idx_scan, 0) + coalesce(t.seq_scan, 0), \
     coalesce(t.idx_tup_fetch, 0) + coalesce(t.seq_tup_read, 0) \
     FROM pg_stat_database d LEFT JOIN pg_stat_user_tables t ON t.relname = 'change_log' \
     WHERE d.datname = current_database()";

pub async fn client(url: &str) -> Client {
    let (c, conn) = tokio_postgres::connect(url, NoTls)
        .await
        .expect("connect to the database");
    tokio::spawn(conn);
    c
}

/// The node ids of the sessions open on the database now.
pub async fn node_ids(c: &Client) -> Vec<String> {
    c.query(
        "SELECT DISTINCT application_name FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name <> '' \
         AND pid <> pg_backend_pid()",
        &[],
    )
    .await
    .expect("node ids")
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// What a session was doing: its wait event, or running, or waiting for its node.
fn what(state: &str, wait: &str) -> String {
    match (state, wait) {
        ("idle in transaction", _) => "in a transaction, waiting for its node".into(),
        (_, "") => "running (CPU)".into(),
        (_, w) => format!("waiting {w}"),
    }
}

/// Samples taken: for each (node id, what), in how many samples a session was doing it.
#[derive(Default)]
pub struct Waits {
    pub samples: u64,
    pub seen: BTreeMap<(String, String), u64>,
}

impl Waits {
    /// Sessions of `node` doing `what`, on average over the samples.
    pub fn mean(&self, node: &str, what: &str) -> f64 {
        let n = self
            .seen
            .get(&(node.to_owned(), what.to_owned()))
            .copied()
            .unwrap_or(0);
        n as f64 / self.samples.max(1) as f64
    }

    /// Everything any session was seen doing, most seen first.
    pub fn kinds(&self) -> Vec<String> {
        let mut by: BTreeMap<String, u64> = BTreeMap::new();
        for ((_, w), n) in &self.seen {
            *by.entry(w.clone()).or_default() += n;
        }
        let mut v: Vec<_> = by.into_iter().collect();
        v.sort_by_key(|k| std::cmp::Reverse(k.1));
        v.into_iter().map(|(w, _)| w).collect()
    }
}

/// A sampler running until [`Sampler::stop`].
pub struct Sampler {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Waits>,
}

/// Sample the database `url` names every `every`.
pub async fn sample(url: &str, every: Duration) -> Sampler {
    let c = client(url).await;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let task = tokio::spawn(async move {
        let mut w = Waits::default();
        while !flag.load(Ordering::Relaxed) {
            for r in c.query(ACTIVE, &[]).await.expect("pg_stat_activity") {
                let node: String = r.get(0);
                let state: Option<String> = r.get(1);
                let wait: String = r.get(2);
                let key = (node, what(state.as_deref().unwrap_or(""), &wait));
                *w.seen.entry(key).or_default() += 1;
            }
            w.samples += 1;
            tokio::time::sleep(every).await;
        }
        w
    });
    Sampler { stop, task }
}

impl Sampler {
    pub async fn stop(self) -> Waits {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("sampler")
    }
}

/// The server's counters for one database (see [`COUNTERS`]).
#[derive(Clone, Copy, Default)]
pub struct Server {
    pub commits: i64,
    pub rollbacks: i64,
    pub log_scans: i64,
    pub log_rows_read: i64,
}

/// The counters now. The server publishes a session's counts up to a second or so after
/// its transactions end: read them once the load has been quiet for a moment.
pub async fn server(c: &Client) -> Server {
    c.batch_execute("SELECT pg_stat_clear_snapshot()")
        .await
        .expect("clear the statistics snapshot");
    let r = c.query_one(COUNTERS, &[]).await.expect("counters");
    Server {
        commits: r.get(0),
        rollbacks: r.get(1),
        log_scans: r.get(2),
        log_rows_read: r.get(3),
    }
}

impl Server {
    pub fn since(self, a: Server) -> Server {
        Server {
            commits: self.commits - a.commits,
            rollbacks: self.rollbacks - a.rollbacks,
            log_scans: self.log_scans - a.log_scans,
            log_rows_read: self.log_rows_read - a.log_rows_read,
        }
    }
}

/// Rows of the change log each node wrote after change `after`: (node id, rows, changes).
pub async fn log_by_node(c: &Client, after: i64) -> Vec<(String, i64, i64)> {
    c.query(
        "SELECT node, count(*), sum(seq - first + 1)::bigint FROM change_log \
         WHERE seq > $1 GROUP BY node ORDER BY node",
        &[&after],
    )
    .await
    .expect("change log by node")
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

/// The change log's last sequence number.
pub async fn last_seq(c: &Client) -> i64 {
    c.query_one("SELECT coalesce(max(seq), 0) FROM change_log", &[])
        .await
        .expect("last seq")
        .get(0)
}
