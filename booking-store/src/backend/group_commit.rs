//! Group commit for SQLite.
//!
//! SQLite has one writer at a time, and a commit costs more than the
//! statements of a booking. Writers of this process therefore queue here
//! (fair, FIFO) and run one after another inside one shared `BEGIN
//! IMMEDIATE` transaction, each in its own savepoint: a writer whose rules
//! refuse it, or whose statement fails, rolls back its savepoint alone. The
//! batch is committed once, by a task queued behind the writers that were
//! waiting when it opened, and only then is every writer of the batch told
//! it succeeded — nothing is acknowledged before its commit.
//!
//! Every writer still judges its rules against everything written before it
//! (committed, or earlier in its batch), so the guarantees of one transaction
//! per write are kept. If the commit fails, every writer of the batch gets
//! the error and nothing of the batch is written.
//!
//! Each statement is a hand-off to the connection's thread and back, and a
//! writer's statements are every writer's critical section, so a turn runs
//! as few as it can: the savepoint a writer works in is already open when
//! its turn starts (opened with the batch, and reopened by each writer as it
//! releases its own), a writer may release it in its own last statement
//! ([`GroupWriter::END_TURN`]), and the work of a writer that gave up is
//! rolled back by the next turn (SQLite keeps a savepoint open after
//! `ROLLBACK TO`).

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::pool::PoolConnection;
use sqlx::sqlite::SqliteTransactionManager as Tm;
use sqlx::{AssertSqlSafe, SqlSafeStr, SqliteConnection, SqlitePool};
use sqlx_core::transaction::TransactionManager;
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

/// How many writers one batch takes at most: bounds the latency of the
/// first writer of a batch under a long queue.
const MAX_BATCH: usize = 64;

/// The writer queue and the batch being filled.
#[derive(Debug, Clone)]
pub(crate) struct GroupWriter {
    pool: SqlitePool,
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    open: Option<Batch>,
    batches: u64,
}

/// The savepoint every writer works in.
const SAVEPOINT: &str = "SAVEPOINT writer";
/// Keep a writer's work and open the next writer's savepoint.
const RELEASE: &str = "RELEASE writer; SAVEPOINT writer";
/// Undo the work of a writer that gave up; the savepoint stays open.
const ROLL_BACK: &str = "ROLLBACK TO writer";

/// A transaction shared by the writers of one batch; between turns the
/// savepoint `writer` is open in it.
#[derive(Debug)]
struct Batch {
    conn: PoolConnection<sqlx::Sqlite>,
    id: u64,
    writers: usize,
    /// A writer gave up inside the savepoint: roll back to it before
    /// anything else runs in the batch.
    dirty: bool,
    /// The writers whose savepoint was released, waiting for the commit.
    waiting: Vec<oneshot::Sender<Result<(), String>>>,
}

/// One writer's turn: a savepoint in the open batch, holding the queue.
/// Dropped without `GroupWriter::commit`, it rolls its savepoint back and
/// leaves the batch to the others.
pub struct SqliteTx {
    /// Some from the start of the turn until it commits or drops.
    batch: Option<Batch>,
    turn: OwnedMutexGuard<State>,
    /// The writer's last statement released its savepoint.
    released: bool,
}

/// An autocommit connection for one statement, holding the queue; any open
/// batch was committed before it was handed out.
pub struct SqliteWriter {
    conn: PoolConnection<sqlx::Sqlite>,
    _turn: OwnedMutexGuard<State>,
}

impl Deref for SqliteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self
            .batch
            .as_ref()
            .expect("a turn holds its batch until it ends")
            .conn
    }
}

impl DerefMut for SqliteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self
            .batch
            .as_mut()
            .expect("a turn holds its batch until it ends")
            .conn
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if let Some(mut batch) = self.batch.take() {
            // Whatever ran of the turn is undone before the next writer's
            // statements or the batch's commit, unless the turn already
            // kept it.
            batch.dirty = !self.released;
            self.turn.open = Some(batch);
        }
    }
}

impl Deref for SqliteWriter {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.conn
    }
}

impl DerefMut for SqliteWriter {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }
}

impl GroupWriter {
    pub(crate) fn new(pool: SqlitePool) -> Self {
        Self {
            pool,
            state: Arc::new(Mutex::new(State::default())),
        }
    }

    /// Wait for this writer's turn and open its savepoint.
    pub(crate) async fn begin(&self) -> Result<SqliteTx, sqlx::Error> {
        let mut turn = self.state.clone().lock_owned().await;
        let mut batch = match turn.open.take() {
            Some(b) if b.writers < MAX_BATCH => b,
            full => {
                if let Some(b) = full {
                    finish(b).await;
                }
                self.open(&mut turn).await?
            }
        };
        if let Err(e) = restore(&mut batch).await {
            // The connection cannot roll back: end the batch (its commit
            // fails too) rather than leave its writers waiting.
            finish(batch).await;
            return Err(e);
        }
        batch.writers += 1;
        Ok(SqliteTx {
            batch: Some(batch),
            turn,
            released: false,
        })
    }

    /// The statement a writer may end its work with, in the same round
    /// trip as its last statements: it keeps the writer's work, so
    /// [`GroupWriter::commit`] has no statement left to run once
    /// [`GroupWriter::turn_ended`] says it ran.
    pub(crate) const END_TURN: &'static str = RELEASE;

    /// The writer's [`GroupWriter::END_TURN`] ran: its work is kept.
    pub(crate) fn turn_ended(tx: &mut SqliteTx) {
        tx.released = true;
    }

    /// Release the writer's savepoint and wait until its batch is committed.
    pub(crate) async fn commit(mut tx: SqliteTx) -> Result<(), sqlx::Error> {
        let Some(mut batch) = tx.batch.take() else {
            return Ok(());
        };
        if !tx.released
            && let Err(e) = sqlx::raw_sql(RELEASE.into_sql_str())
                .execute(&mut *batch.conn)
                .await
        {
            batch.dirty = true;
            tx.turn.open = Some(batch);
            return Err(e);
        }
        let (told, outcome) = oneshot::channel();
        batch.waiting.push(told);
        tx.turn.open = Some(batch);
        drop(tx);
        match outcome.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(sqlx::Error::Protocol(format!(
                "the write was not committed: {e}"
            ))),
            Err(_) => Err(sqlx::Error::Protocol(
                "the write was not committed: its batch was abandoned".into(),
            )),
        }
    }

    /// A connection for one autocommit statement, after committing any
    /// open batch (SQLite would make it wait for that transaction anyway).
    pub(crate) async fn writer(&self) -> Result<SqliteWriter, sqlx::Error> {
        let mut turn = self.state.clone().lock_owned().await;
        if let Some(b) = turn.open.take() {
            finish(b).await;
        }
        let conn = self.pool.acquire().await?;
        Ok(SqliteWriter { conn, _turn: turn })
    }

    /// Start a batch, and the task that will commit it once the writers
    /// queued now had their turn.
    async fn open(&self, turn: &mut OwnedMutexGuard<State>) -> Result<Batch, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        let begin = AssertSqlSafe(format!("BEGIN IMMEDIATE; {SAVEPOINT}"));
        Tm::begin(&mut conn, Some(begin.into_sql_str())).await?;
        turn.batches += 1;
        let id = turn.batches;
        let state = self.state.clone();
        tokio::spawn(async move {
            let mut turn = state.lock_owned().await;
            if turn.open.as_ref().is_some_and(|b| b.id == id)
                && let Some(b) = turn.open.take()
            {
                finish(b).await;
            }
        });
        Ok(Batch {
            conn,
            id,
            writers: 0,
            dirty: false,
            waiting: Vec::new(),
        })
    }
}

/// Undo the work of a writer that gave up in `batch`, if one did.
async fn restore(batch: &mut Batch) -> Result<(), sqlx::Error> {
    if batch.dirty {
        sqlx::raw_sql(ROLL_BACK.into_sql_str())
            .execute(&mut *batch.conn)
            .await?;
        batch.dirty = false;
    }
    Ok(())
}

/// Commit a batch and tell its writers how it went.
async fn finish(mut batch: Batch) {
    let outcome = match restore(&mut batch).await {
        Ok(()) => Tm::commit(&mut batch.conn).await,
        Err(e) => Err(e),
    }
    .map_err(|e| e.to_string());
    if outcome.is_err() {
        // Leave nothing half-done on a connection that goes back to the pool.
        if Tm::rollback(&mut batch.conn).await.is_err() {
            batch.conn.close_on_drop();
        }
    }
    for told in batch.waiting {
        // A writer that stopped waiting (its request was dropped) is fine.
        let _ = told.send(outcome.clone());
    }
}
