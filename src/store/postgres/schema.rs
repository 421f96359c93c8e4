//! The schema and its numbered migrations (`migrations/NNNN_*.sql`), applied when the store
//! opens, in one transaction under an advisory lock: nodes starting at once apply each
//! once. Each is recorded in `schema_migrations` with the oldest release that can still run
//! on the schema it makes: a migration that only adds (a table, a column with a default, an
//! index) keeps the release before, so nodes of both can run side by side during a rolling
//! upgrade; one that changes what an older release reads names this release.

use super::db::{Conn, store_error};
use crate::store::StoreError;

struct Migration {
    version: u32,
    /// The oldest release that can run on the schema this migration makes.
    min_release: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        min_release: "0.1.0",
        sql: include_str!("migrations/0001_schema.sql"),
    },
    Migration {
        version: 2,
        min_release: "0.1.0",
        sql: include_str!("migrations/0002_leader_lease.sql"),
    },
    Migration {
        version: 3,
        min_release: "0.1.0",
        sql: include_str!("migrations/0003_nodes.sql"),
    },
    Migration {
        version: 4,
        min_release: "0.1.0",
        sql: include_str!("migrations/0004_change_log.sql"),
    },
    // Tenants' records gain the identifiers of their tokens (computed by `mark_tokens`),
    // which a release before would drop on its next write.
    Migration {
        version: 5,
        min_release: RELEASE,
        sql: include_str!("migrations/0005_risc.sql"),
    },
];

/// The schema version this release makes.
pub const PG_SCHEMA_VERSION: u32 = 5;

/// The advisory lock migrations run under ("mcp-onb" and 1).
pub(super) const MIGRATION_LOCK: i64 = 0x6d63_702d_6f6e_6201;

/// This release.
const RELEASE: &str = env!("CARGO_PKG_VERSION");

fn release(v: &str) -> Vec<u64> {
    v.split('.')
        .map(|p| p.trim().parse::<u64>().unwrap_or(0))
        .collect()
}

/// Bring the schema up to this release's, or refuse a database that needs a later one;
/// returns the version found (0: a new database).
pub(super) fn migrate(conn: &Conn) -> Result<u32, StoreError> {
    let res = run(conn);
    let end = if res.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = conn.batch(end).map_err(|e| store_error(&e));
    let schema = res?;
    ended?;
    Ok(schema)
}

fn run(conn: &Conn) -> Result<u32, StoreError> {
    let sql = |s: &str| conn.batch(s).map(|_| ()).map_err(|e| store_error(&e));
    sql(&format!(
        "BEGIN; SELECT pg_advisory_xact_lock({MIGRATION_LOCK}); \
         CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, \
         min_release text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
    ))?;
    let last = conn
        .query(
            "SELECT version, min_release FROM schema_migrations ORDER BY version DESC LIMIT 1",
            &[],
        )
        .map_err(|e| store_error(&e))?;
    let (found, needs) = match last.first() {
        Some(r) => (
            u32::try_from(r.get::<_, i32>(0)).unwrap_or(0),
            r.get::<_, String>(1),
        ),
        None => (0, RELEASE.to_owned()),
    };
    if found > PG_SCHEMA_VERSION {
        if release(&needs) > release(RELEASE) {
            return Err(StoreError::SchemaTooNew {
                found,
                needs,
                ours: RELEASE.to_owned(),
            });
        }
        // A later release only added to it: this one runs on it as it is.
        return Ok(found);
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > found) {
        sql(m.sql)?;
        conn.execute(
            "INSERT INTO schema_migrations (version, min_release) VALUES ($1, $2)",
            &[
                &i32::try_from(m.version).unwrap_or(i32::MAX),
                &m.min_release,
            ],
        )
        .map_err(|e| store_error(&e))?;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_compare_by_number_and_migrations_are_numbered_in_order() {
        assert!(release("0.10.0") > release("0.9.3"));
        assert!(release("1.0.0") > release("0.99.99"));
        assert_eq!(release(RELEASE), release(env!("CARGO_PKG_VERSION")));
        let versions: Vec<u32> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert_eq!(versions, (1..=PG_SCHEMA_VERSION).collect::<Vec<_>>());
        assert!(
            MIGRATIONS
                .iter()
                .all(|m| release(m.min_release) <= release(RELEASE))
        );
        // The lease and the nodes' table only add: the release before runs on them.
        let min = |v: u32| {
            MIGRATIONS
                .iter()
                .find(|m| m.version == v)
                .map(|m| m.min_release)
        };
        assert_eq!(min(3), min(2));
        assert_eq!(min(2), min(1));
    }
}
