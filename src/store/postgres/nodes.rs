//! The nodes sharing the database (table `nodes`, see `migrations/0003_nodes.sql`): what
//! the lease keeper writes of its own node each round, what the leader tidies, and what
//! `status` reads ([`Cluster`]). Times are the database's (`clock_timestamp()`), never
//! a node's own clock.

use std::time::Duration;

use super::read::PgReader;
use crate::store::{Cluster, NodeView, StoreError};

/// This node is there (a new row at start, `seen_at` at every round), its listener at `$3`
/// once known.
pub(super) const SEEN: &str = "INSERT INTO nodes (id, release, started_at, seen_at, listener) \
     VALUES ($1, $2, clock_timestamp(), clock_timestamp(), $3) \
     ON CONFLICT (id) DO UPDATE SET seen_at = clock_timestamp(), stopped_at = NULL, \
       listener = coalesce(EXCLUDED.listener, nodes.listener)";
/// This node's store stopped.
pub(super) const STOPPED: &str =
    "UPDATE nodes SET stopped_at = clock_timestamp(), seen_at = clock_timestamp() WHERE id = $1";
/// The leader ends the sessions of nodes not seen for longer than the lease's timeout
/// (`$1`, ms). A node stopped with SIGSTOP keeps its sessions open, and its LISTEN
/// connection would hold the shared notification queue: once that queue fills, every
/// transaction that notifies fails, on every node. A node that wakes up opens new ones.
pub(super) const END_UNSEEN: &str = "SELECT count(pg_terminate_backend(a.pid)) \
     FROM pg_stat_activity a JOIN nodes n ON a.application_name = n.id \
     WHERE n.stopped_at IS NULL \
       AND n.seen_at < clock_timestamp() - $1::bigint * interval '1 millisecond' \
       AND a.pid <> pg_backend_pid()";
/// The leader forgets nodes stopped, or unseen, for more than a day.
pub(super) const FORGET: &str = "DELETE FROM nodes \
     WHERE seen_at < clock_timestamp() - interval '1 day' \
        OR stopped_at < clock_timestamp() - interval '1 day'";

const LIST: &str = "SELECT id, release, listener, \
       (extract(epoch FROM clock_timestamp() - seen_at) * 1000)::bigint, \
       stopped_at IS NOT NULL, \
       stopped_at IS NULL AND seen_at > clock_timestamp() - $1::bigint * interval '1 millisecond' \
     FROM nodes ORDER BY started_at, id";
const LEADER: &str = "SELECT holder, epoch FROM leader_lease \
     WHERE id = 1 AND holder IS NOT NULL AND expires_at > clock_timestamp()";

/// The nodes and the leader as the database has them now (blocks: a blocking thread).
pub(super) fn read(
    reader: &PgReader,
    this: &str,
    timeout: Duration,
    database: &str,
) -> Result<Cluster, StoreError> {
    let ms = i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX);
    let nodes = reader
        .rows(LIST, &[&ms])?
        .iter()
        .map(|r| {
            let id: String = r.get(0);
            NodeView {
                this: id == this,
                id,
                release: r.get(1),
                listener: r.get(2),
                seen_ago_ms: r.get::<_, i64>(3).max(0),
                stopped: r.get(4),
                alive: r.get(5),
            }
        })
        .collect();
    let leader = reader.rows(LEADER, &[])?;
    let leader = leader.first();
    Ok(Cluster {
        database: database.to_owned(),
        nodes,
        leader: leader.and_then(|r| r.get::<_, Option<String>>(0)),
        epoch: leader.and_then(|r| u64::try_from(r.get::<_, i64>(1)).ok()),
        error: None,
    })
}
