//! What `config check` says of a PostgreSQL store: the server reached (its version), the
//! schema version and the tenants found there. Nothing is changed (no migration, no key
//! check written).

use super::db::{Conn, Target, store_error};
use super::rt::Rt;
use super::tls;
use crate::config::postgres_url::PostgresUrl;
use crate::store::StoreError;

/// What was found in the database.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Probe {
    pub server_version: String,
    /// `None`: no schema yet (the first start makes it).
    pub schema_version: Option<u32>,
    pub tenants: u64,
}

impl std::fmt::Display for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PostgreSQL {}, ", self.server_version)?;
        match self.schema_version {
            Some(v) => write!(
                f,
                "schema version {v}, {} tenant{}",
                self.tenants,
                if self.tenants == 1 { "" } else { "s" }
            ),
            None => write!(f, "empty (the first start creates the schema)"),
        }
    }
}

/// Reach the database `url` names and say what is there. Blocks: call it from a blocking
/// thread.
pub fn probe(url: &PostgresUrl) -> Result<Probe, StoreError> {
    let rt = Rt::start()?;
    let target = Target {
        url: url.clone(),
        tls: tls::connector(url)?,
        rt: rt.clone(),
    };
    let conn = Conn::new(target.connect()?, rt);
    let text = |sql: &str| -> Result<Option<String>, StoreError> {
        let rows = conn.batch(sql).map_err(|e| store_error(&e))?;
        Ok(rows.iter().find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
            _ => None,
        }))
    };
    let server_version = text("SHOW server_version")?.unwrap_or_default();
    let has_schema =
        text("SELECT to_regclass('schema_migrations') IS NOT NULL")?.as_deref() == Some("t");
    if !has_schema {
        return Ok(Probe {
            server_version,
            schema_version: None,
            tenants: 0,
        });
    }
    let schema_version =
        text("SELECT max(version) FROM schema_migrations")?.and_then(|v| v.parse().ok());
    let tenants = match text("SELECT to_regclass('tenants') IS NOT NULL")?.as_deref() {
        Some("t") => text("SELECT count(*) FROM tenants")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        _ => 0,
    };
    Ok(Probe {
        server_version,
        schema_version,
        tenants,
    })
}
