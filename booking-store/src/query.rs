//! Running statements: on the pool (reads, single writes) or on a
//! connection or transaction; every failure names its operation. Public so
//! that programs can keep tables of their own in the same database.

use sqlx::SqlSafeStr;

use crate::SqlStore;
use crate::backend::{Arg, Conn, Row, SqlBackend, read_conn};
use crate::error::{StoreError, db};

impl<B: SqlBackend> SqlStore<B> {
    /// All rows of a read.
    pub async fn rows(
        &self,
        op: &'static str,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<Vec<Row<B>>, StoreError> {
        let sql = sql.into_sql_str();
        let mut conn = read_conn(&self.b, op).await?;
        B::fetch_all(&mut conn, sql, args).await.map_err(db(op))
    }

    /// The row of a read, if any.
    pub async fn row(
        &self,
        op: &'static str,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<Option<Row<B>>, StoreError> {
        let sql = sql.into_sql_str();
        let mut conn = read_conn(&self.b, op).await?;
        B::fetch_optional(&mut conn, sql, args)
            .await
            .map_err(db(op))
    }

    /// The one row an aggregate read returns.
    pub async fn one(
        &self,
        op: &'static str,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<Row<B>, StoreError> {
        self.row(op, sql, args)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("{op}: no row")))
    }

    /// The record a read finds, if any, made by `read`.
    pub async fn find<T>(
        &self,
        op: &'static str,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
        read: impl Fn(&Row<B>) -> Result<T, StoreError> + Send,
    ) -> Result<Option<T>, StoreError> {
        self.row(op, sql, args)
            .await?
            .as_ref()
            .map(read)
            .transpose()
    }

    /// Every record a read finds, made by `read`.
    pub async fn all<T>(
        &self,
        op: &'static str,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
        read: impl Fn(&Row<B>) -> Result<T, StoreError> + Send,
    ) -> Result<Vec<T>, StoreError> {
        self.rows(op, sql, args).await?.iter().map(read).collect()
    }

    /// One write statement on its own, whatever it changed.
    pub async fn run(
        &self,
        op: &'static str,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<(), StoreError> {
        self.write(op, sql, args).await.map(|_| ())
    }

    /// One write statement that should change exactly one row: did it?
    pub async fn changed_one(
        &self,
        op: &'static str,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<bool, StoreError> {
        Ok(self.write(op, sql, args).await? == 1)
    }

    /// One write statement on its own; the number of rows it changed.
    pub async fn write(
        &self,
        op: &'static str,
        sql: impl SqlSafeStr,
        args: Vec<Arg>,
    ) -> Result<u64, StoreError> {
        let sql = sql.into_sql_str();
        let mut conn = self.b.writer().await.map_err(db(op))?;
        B::execute(&mut conn, sql, args).await.map_err(db(op))
    }

    /// A write transaction; writers of `room` are serialised.
    pub async fn begin(
        &self,
        op: &'static str,
        room: Option<booking_core::RoomId>,
    ) -> Result<B::Tx, StoreError> {
        self.b.begin_write(room).await.map_err(db(op))
    }
}

/// Commit a write transaction.
pub async fn commit<B: SqlBackend>(op: &'static str, tx: B::Tx) -> Result<(), StoreError> {
    B::commit(tx).await.map_err(db(op))
}

/// A write statement on a connection (usually a transaction's).
pub async fn exec<B: SqlBackend>(
    conn: &mut Conn<B>,
    op: &'static str,
    sql: impl SqlSafeStr,
    args: Vec<Arg>,
) -> Result<u64, StoreError> {
    B::execute(conn, sql.into_sql_str(), args)
        .await
        .map_err(db(op))
}

/// All rows of a read on a connection.
pub async fn fetch<B: SqlBackend>(
    conn: &mut Conn<B>,
    op: &'static str,
    sql: impl SqlSafeStr,
    args: Vec<Arg>,
) -> Result<Vec<Row<B>>, StoreError> {
    B::fetch_all(conn, sql.into_sql_str(), args)
        .await
        .map_err(db(op))
}

/// The row of a read on a connection, if any.
pub async fn fetch_opt<B: SqlBackend>(
    conn: &mut Conn<B>,
    op: &'static str,
    sql: impl SqlSafeStr,
    args: Vec<Arg>,
) -> Result<Option<Row<B>>, StoreError> {
    B::fetch_optional(conn, sql.into_sql_str(), args)
        .await
        .map_err(db(op))
}
