//! Connections: the writer's own (its statements prepared once), the readers' pool, and
//! what a driver error means for the store (retry the transaction, reconnect, or give up).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement};

use super::rt::Rt;
use super::tls::Tls;
use crate::config::postgres_url::PostgresUrl;
use crate::store::StoreError;

/// Connections the readers share at most.
const POOL_SIZE: usize = 8;
/// How long a reader waits for a connection, and a new connection for the server.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// What a failed statement means for the transaction it ran in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Failure {
    /// The database refused the transaction (a serialization failure or a deadlock): run
    /// it again from the start.
    Retry,
    /// The connection is gone: connect again and run the transaction again.
    Connection,
    /// Anything else: the statement is wrong for this data.
    Other,
}

pub(super) fn failure(e: &tokio_postgres::Error) -> Failure {
    match e.code() {
        Some(c)
            if *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED =>
        {
            Failure::Retry
        }
        // The server ends the session (a shutdown, a failover, a terminated backend, an
        // idle transaction's timeout) or the connection failed: not the statement's fault.
        Some(c)
            if c.code().starts_with("08")
                || c.code().starts_with("57P")
                || *c == SqlState::IDLE_IN_TRANSACTION_SESSION_TIMEOUT =>
        {
            Failure::Connection
        }
        Some(_) => Failure::Other,
        None if e.is_closed() => Failure::Connection,
        // An IO error or a failed connect: no SQLSTATE.
        None => Failure::Connection,
    }
}

/// The error as the store says it: the server's message and SQLSTATE, never the URL.
pub(super) fn store_error(e: &tokio_postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) => StoreError::Database(format!(
            "PostgreSQL: {} (SQLSTATE {})",
            db.message(),
            db.code().code()
        )),
        None => StoreError::Database(format!("PostgreSQL: {e}")),
    }
}

/// A connection's driver (its socket, TLS or not).
type Connection = tokio_postgres::Connection<
    tokio_postgres::Socket,
    <Tls as tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>>::Stream,
>;

/// The database's address, its TLS and the runtime its connections live on.
#[derive(Clone)]
pub(super) struct Target {
    pub url: PostgresUrl,
    pub tls: Tls,
    pub rt: Arc<Rt>,
}

impl Target {
    /// A connection of its own, its driver task on the backend's runtime.
    pub fn connect(&self) -> Result<Client, StoreError> {
        self.connect_on(&self.rt)
    }

    /// A connection of its own, its driver task on `rt`.
    pub fn connect_on(&self, rt: &Rt) -> Result<Client, StoreError> {
        let (client, connection) = self.open_on(rt)?;
        rt.spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "a database connection ended");
            }
        });
        Ok(client)
    }

    /// A connection of its own, its driver task on `rt`, the notifications it receives
    /// (the notifying server process, the payload) sent on the channel returned (closed
    /// with the connection).
    pub fn listen_on(
        &self,
        rt: &Rt,
    ) -> Result<(Client, tokio::sync::mpsc::UnboundedReceiver<(i32, String)>), StoreError> {
        let (client, mut connection) = self.open_on(rt)?;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        rt.spawn(async move {
            let messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
            let mut messages = std::pin::pin!(messages);
            while let Some(m) = futures_util::StreamExt::next(&mut messages).await {
                match m {
                    Ok(tokio_postgres::AsyncMessage::Notification(n)) => {
                        let _ = tx.send((n.process_id(), n.payload().to_owned()));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "a database connection ended");
                        break;
                    }
                }
            }
        });
        Ok((client, rx))
    }

    fn open_on(&self, rt: &Rt) -> Result<(Client, Connection), StoreError> {
        rt.wait(async {
            tokio::time::timeout(CONNECT_TIMEOUT, self.url.connect.connect(self.tls.clone())).await
        })
        .map_err(|_| {
            StoreError::Database(format!(
                "PostgreSQL at {} did not answer within {}s",
                self.url.shown(),
                CONNECT_TIMEOUT.as_secs()
            ))
        })?
        .map_err(|e| match store_error(&e) {
            StoreError::Database(why) => {
                StoreError::Database(format!("connecting to {}: {why}", self.url.shown()))
            }
            other => other,
        })
    }

    /// The readers' pool.
    pub fn pool(&self) -> Result<Pool, StoreError> {
        let manager = Manager::from_config(
            self.url.connect.clone(),
            self.tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Database(format!("the database's connection pool: {e}")))
    }
}

/// The writer's connection: statements prepared once and kept.
pub(super) struct Conn {
    pub client: Client,
    rt: Arc<Rt>,
    prepared: RefCell<HashMap<&'static str, Statement>>,
}

pub(super) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl Conn {
    pub fn new(client: Client, rt: Arc<Rt>) -> Self {
        Self {
            client,
            rt,
            prepared: RefCell::default(),
        }
    }

    pub fn statement(&self, sql: &'static str) -> Result<Statement, tokio_postgres::Error> {
        if let Some(s) = self.prepared.borrow().get(sql) {
            return Ok(s.clone());
        }
        let s = self.rt.wait(self.client.prepare(sql))?;
        self.prepared.borrow_mut().insert(sql, s.clone());
        Ok(s)
    }

    pub fn query(
        &self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        let s = self.statement(sql)?;
        self.rt.wait(self.client.query(&s, params))
    }

    pub fn execute(
        &self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<u64, tokio_postgres::Error> {
        let s = self.statement(sql)?;
        self.rt.wait(self.client.execute(&s, params))
    }

    /// Statements without parameters, in one round trip.
    pub fn batch(
        &self,
        sql: &str,
    ) -> Result<Vec<tokio_postgres::SimpleQueryMessage>, tokio_postgres::Error> {
        self.rt.wait(self.client.simple_query(sql))
    }

    pub fn rt(&self) -> &Rt {
        &self.rt
    }

    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}
