//! The writer's statements, pipelined: a write is queued (its parameters encoded at once)
//! and sent with the next read, or when the batch ends, all in one round trip; the server
//! runs them in order. When an operation's writes reach the server before it ends (a read
//! after a write), a savepoint of its own goes first (when the batch holds several), so
//! that one that fails leaves nothing of it; until then, undoing it is dropping its queue.
//!
//! A statement that fails aborts the transaction: every statement after it fails too. The
//! first failure is kept with the operation it belongs to, for the writer to run the batch
//! again without that operation (or again whole, for a serialization failure).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use bytes::BytesMut;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres::{Row, Statement};

use super::db::{Conn, Failure, Params, failure, store_error};
use super::shared::Effect;
use crate::store::StoreError;

/// What a queued statement's rows mean here, once they come (an effect each).
pub(super) type OnRow = fn(&Row) -> Effect;

/// A parameter encoded when its statement was queued (binary format, as the driver would).
#[derive(Debug)]
pub(super) struct Encoded(Option<Vec<u8>>);

impl ToSql for Encoded {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match &self.0 {
            None => Ok(IsNull::Yes),
            Some(b) => {
                out.extend_from_slice(b);
                Ok(IsNull::No)
            }
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

struct Item {
    statement: Statement,
    params: Vec<Encoded>,
    /// The operation it belongs to (its index in the batch).
    op: usize,
    /// A savepoint's own statement, not an operation's.
    control: bool,
    /// Its rows are wanted: each is an effect of its operation.
    rows: Option<OnRow>,
}

/// The first statement of the run that failed.
#[derive(Debug, Clone)]
pub(super) struct Failed {
    pub op: usize,
    pub kind: Failure,
    pub why: String,
    pub control: bool,
}

pub(super) struct Pipe<'c> {
    conn: &'c Conn,
    several: bool,
    items: RefCell<Vec<Item>>,
    op: Cell<usize>,
    /// Where the current operation's queued items begin.
    op_start: Cell<usize>,
    /// The current operation has a savepoint (queued or sent).
    savepoint: Cell<bool>,
    failed: RefCell<Option<Failed>>,
    round_trips: Cell<u64>,
    /// Effects of queued statements' rows, with the operation each is of.
    late: RefCell<Vec<(usize, Effect)>>,
}

type Write<'a> = Pin<Box<dyn Future<Output = Result<Vec<Row>, tokio_postgres::Error>> + 'a>>;
type Done = Option<Result<Vec<Row>, tokio_postgres::Error>>;

/// Run `writes` then `read` on one connection, sent in this order without waiting.
async fn in_order<R: Future>(mut writes: Vec<Write<'_>>, read: R) -> (Vec<Done>, R::Output) {
    let mut read = std::pin::pin!(read);
    let mut done: Vec<Done> = std::iter::repeat_with(|| None).take(writes.len()).collect();
    let mut read_done = None;
    let mut first_pass = true;
    let mut next = 0;
    let read_out = std::future::poll_fn(|cx| {
        // The first pass sends every statement; after it, answers come in order, so
        // polling stops at the first that is still waiting.
        for (i, f) in writes.iter_mut().enumerate().skip(next) {
            if done[i].is_some() {
                continue;
            }
            match f.as_mut().poll(cx) {
                Poll::Ready(v) => done[i] = Some(v),
                Poll::Pending if first_pass => {}
                Poll::Pending => break,
            }
        }
        while next < done.len() && done[next].is_some() {
            next += 1;
        }
        if read_done.is_none()
            && let Poll::Ready(v) = read.as_mut().poll(cx)
        {
            read_done = Some(v);
        }
        first_pass = false;
        if next == done.len()
            && let Some(v) = read_done.take()
        {
            return Poll::Ready(v);
        }
        Poll::Pending
    })
    .await;
    (done, read_out)
}

fn aborted(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::IN_FAILED_SQL_TRANSACTION)
}

impl<'c> Pipe<'c> {
    pub fn new(conn: &'c Conn, several: bool) -> Self {
        Self {
            conn,
            several,
            items: RefCell::default(),
            op: Cell::new(0),
            op_start: Cell::new(0),
            savepoint: Cell::new(false),
            failed: RefCell::default(),
            round_trips: Cell::new(0),
            late: RefCell::default(),
        }
    }

    pub fn failed(&self) -> Option<Failed> {
        self.failed.borrow().clone()
    }

    pub fn round_trips(&self) -> u64 {
        self.round_trips.get()
    }

    /// The effects of queued statements' rows, with the operation each is of.
    pub fn late_effects(&self) -> Vec<(usize, Effect)> {
        std::mem::take(&mut *self.late.borrow_mut())
    }

    fn note(&self, op: usize, control: bool, e: &tokio_postgres::Error) {
        let mut f = self.failed.borrow_mut();
        if f.is_none() {
            *f = Some(Failed {
                op,
                kind: failure(e),
                why: store_error(e).to_string(),
                control,
            });
        }
    }

    fn doomed(&self) -> Result<(), StoreError> {
        match &*self.failed.borrow() {
            Some(f) => Err(StoreError::Database(f.why.clone())),
            None => Ok(()),
        }
    }

    /// The prepared statement; a failure to prepare is its operation's (`control`: the
    /// batch's own).
    fn statement_for(&self, sql: &'static str, control: bool) -> Result<Statement, StoreError> {
        self.conn.statement(sql).map_err(|e| {
            self.note(self.op.get(), control, &e);
            store_error(&e)
        })
    }

    fn statement(&self, sql: &'static str) -> Result<Statement, StoreError> {
        self.statement_for(sql, false)
    }

    fn push(&self, sql: &'static str, params: Params<'_>, control: bool) -> Result<(), StoreError> {
        self.push_with(sql, params, control, None)
    }

    fn push_with(
        &self,
        sql: &'static str,
        params: Params<'_>,
        control: bool,
        rows: Option<OnRow>,
    ) -> Result<(), StoreError> {
        let statement = self.statement_for(sql, control)?;
        let types = statement.params();
        let refuse = |why: String| {
            let mut f = self.failed.borrow_mut();
            if f.is_none() {
                *f = Some(Failed {
                    op: self.op.get(),
                    kind: Failure::Other,
                    why: why.clone(),
                    control,
                });
            }
            StoreError::Database(why)
        };
        if types.len() != params.len() {
            return Err(refuse(format!(
                "a statement takes {} parameters, {} given",
                types.len(),
                params.len()
            )));
        }
        let mut encoded = Vec::with_capacity(params.len());
        for (p, ty) in params.iter().zip(types) {
            let mut buf = BytesMut::new();
            match p.to_sql_checked(ty, &mut buf) {
                Ok(IsNull::Yes) => encoded.push(Encoded(None)),
                Ok(IsNull::No) => encoded.push(Encoded(Some(buf.to_vec()))),
                Err(e) => return Err(refuse(format!("a parameter cannot be written: {e}"))),
            }
        }
        self.items.borrow_mut().push(Item {
            statement,
            params: encoded,
            op: self.op.get(),
            control,
            rows,
        });
        Ok(())
    }

    /// Before the operation's writes first reach the server (those queued, or `sql` when it
    /// writes): its savepoint, when the batch holds several. Until then an undone
    /// operation's writes are only dropped from the queue.
    fn savepoint(&self, sql: &str) -> Result<(), StoreError> {
        self.doomed()?;
        let start = self.op_start.get();
        let writes = self.items.borrow().len() > start || !sql.starts_with("SELECT");
        if self.several && !self.savepoint.get() && writes {
            self.push("SAVEPOINT op", &[], true)?;
            // Before the operation's queued writes.
            let mut items = self.items.borrow_mut();
            if let Some(sp) = items.pop() {
                items.insert(start, sp);
            }
            self.savepoint.set(true);
        }
        Ok(())
    }

    /// Queue a write of the current operation.
    pub fn queue(&self, sql: &'static str, params: Params<'_>) -> Result<(), StoreError> {
        self.doomed()?;
        self.push(sql, params, false)
    }

    /// Queue a write of the current operation whose rows, when they come, are effects of
    /// it (`on_row` of each).
    pub fn queue_rows(
        &self,
        sql: &'static str,
        params: Params<'_>,
        on_row: OnRow,
    ) -> Result<(), StoreError> {
        self.doomed()?;
        self.push_with(sql, params, false, Some(on_row))
    }

    /// Send what is queued and `read` after it, in one round trip.
    fn send<T>(
        &self,
        read: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, StoreError> {
        let items = std::mem::take(&mut *self.items.borrow_mut());
        self.op_start.set(0);
        self.round_trips.set(self.round_trips.get() + 1);
        let client = &self.conn.client;
        let writes = items
            .iter()
            .map(|i| {
                let params: Vec<&(dyn ToSql + Sync)> =
                    i.params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
                let statement = &i.statement;
                match i.rows {
                    Some(_) => {
                        Box::pin(async move { client.query(statement, &params).await }) as Write<'_>
                    }
                    None => Box::pin(async move {
                        client.execute(statement, &params).await.map(|_| Vec::new())
                    }),
                }
            })
            .collect();
        let (done, read) = self.conn.rt().wait(in_order(writes, read));
        let mut errors: Vec<(&Item, tokio_postgres::Error)> = Vec::new();
        for (item, r) in items.iter().zip(done) {
            match (r, item.rows) {
                (Some(Err(e)), _) => errors.push((item, e)),
                (Some(Ok(rows)), Some(on_row)) => self
                    .late
                    .borrow_mut()
                    .extend(rows.iter().map(|r| (item.op, on_row(r)))),
                _ => {}
            }
        }
        // The one that failed first for a reason of its own; those after it only say
        // that the transaction was aborted.
        if let Some((item, e)) = errors
            .iter()
            .find(|(_, e)| !aborted(e))
            .or_else(|| errors.first())
        {
            self.note(item.op, item.control, e);
        }
        read.map_err(|e| {
            self.note(self.op.get(), false, &e);
            store_error(&e)
        })
    }

    /// Rows of `sql`, after what is queued.
    pub fn query(&self, sql: &'static str, params: Params<'_>) -> Result<Vec<Row>, StoreError> {
        self.savepoint(sql)?;
        let statement = self.statement(sql)?;
        let rows = self.send(self.conn.client.query(&statement, params))?;
        self.doomed()?;
        Ok(rows)
    }

    /// Rows of three reads, after what is queued, in one round trip.
    pub fn query3(
        &self,
        reads: [(&'static str, Params<'_>); 3],
    ) -> Result<[Vec<Row>; 3], StoreError> {
        self.savepoint("SELECT")?;
        let [(a, pa), (b, pb), (c, pc)] = reads;
        let (a, b, c) = (self.statement(a)?, self.statement(b)?, self.statement(c)?);
        let client = &self.conn.client;
        let rows = self.send(async {
            let (a, b, c) = futures_util::future::join3(
                client.query(&a, pa),
                client.query(&b, pb),
                client.query(&c, pc),
            )
            .await;
            Ok([a?, b?, c?])
        })?;
        self.doomed()?;
        Ok(rows)
    }

    /// The rows `sql` changed, after what is queued.
    pub fn execute(&self, sql: &'static str, params: Params<'_>) -> Result<u64, StoreError> {
        self.savepoint(sql)?;
        let statement = self.statement(sql)?;
        let n = self.send(self.conn.client.execute(&statement, params))?;
        self.doomed()?;
        Ok(n)
    }

    /// Queue the batch's own last statement (after every operation's).
    pub fn close(&self, sql: &'static str, params: Params<'_>) -> Result<(), StoreError> {
        self.op.set(usize::MAX);
        self.push(sql, params, true)
    }

    /// Send what is queued (at the end of a batch).
    pub fn flush(&self) -> Result<(), StoreError> {
        if self.items.borrow().is_empty() {
            return self.doomed();
        }
        self.send(std::future::ready(Ok(())))?;
        self.doomed()
    }

    /// Operation `op` begins.
    pub fn begin(&self, op: usize) {
        self.op.set(op);
        self.op_start.set(self.items.borrow().len());
        self.savepoint.set(false);
    }

    /// The current operation ended: what it wrote is kept, or undone.
    pub fn end(&self, keep: bool) -> Result<(), StoreError> {
        if !self.savepoint.get() {
            if !keep {
                // What was sent stays (a batch of one: the writer rolls back the whole).
                self.items.borrow_mut().truncate(self.op_start.get());
            }
            return Ok(());
        }
        if keep {
            return self.push("RELEASE SAVEPOINT op", &[], true);
        }
        let start = self.op_start.get();
        let unsent = self
            .items
            .borrow()
            .get(start)
            .is_some_and(|i| i.control && i.op == self.op.get());
        if unsent {
            self.items.borrow_mut().truncate(start);
            return Ok(());
        }
        self.push("ROLLBACK TO SAVEPOINT op", &[], true)?;
        self.push("RELEASE SAVEPOINT op", &[], true)
    }
}
