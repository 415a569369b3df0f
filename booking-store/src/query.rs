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

/// Write statements that run together inside a transaction. Where the
/// backend runs `;`-separated statements with one argument list
/// ([`SqlBackend::ONE_ROUND_TRIP`], SQLite) they go to the database in one
/// round trip, which matters inside SQLite's single writer; elsewhere one by
/// one. Each statement numbers its parameters from `$1`.
#[derive(Debug, Default)]
pub struct Script {
    parts: Vec<(&'static str, Vec<Arg>)>,
}

impl Script {
    /// Add a statement.
    pub fn push(&mut self, sql: &'static str, args: Vec<Arg>) {
        self.parts.push((sql, args));
    }

    /// Run the statements in order; the rows each changed. A failing
    /// statement stops the script and its error is returned as is, so the
    /// caller can recognise it.
    pub async fn run<B: SqlBackend>(self, conn: &mut Conn<B>) -> Result<Vec<u64>, sqlx::Error> {
        if !B::ONE_ROUND_TRIP || self.parts.len() < 2 {
            let mut changed = Vec::with_capacity(self.parts.len());
            for (sql, args) in self.parts {
                changed.push(B::execute(conn, sql.into_sql_str(), args).await?);
            }
            return Ok(changed);
        }
        let mut sql = String::new();
        let mut all = Vec::new();
        for (part, args) in self.parts {
            sql.push_str(&renumber(part, all.len()));
            sql.push_str(";\n");
            all.extend(args);
        }
        // One total: the caller learns only whether every statement changed
        // what it should (see `changed_each`).
        let total = B::execute(conn, sqlx::AssertSqlSafe(sql).into_sql_str(), all).await?;
        Ok(vec![total])
    }
}

/// `sql` with every parameter `$n` (outside quoted text) made `$n+offset`.
fn renumber(sql: &str, offset: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        out.push(c);
        match c {
            '\'' => quoted = !quoted,
            '$' if !quoted => {
                let mut n = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    n.push(*d);
                    chars.next();
                }
                match n.parse::<usize>() {
                    Ok(n) => out.push_str(&(n + offset).to_string()),
                    Err(_) => out.push_str(&n),
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::renumber;

    #[test]
    fn parameters_are_renumbered_outside_quotes() {
        assert_eq!(
            renumber("INSERT INTO t VALUES ($1, $2, '$1', $10)", 3),
            "INSERT INTO t VALUES ($4, $5, '$1', $13)"
        );
        assert_eq!(renumber("SELECT $1", 0), "SELECT $1");
    }
}
