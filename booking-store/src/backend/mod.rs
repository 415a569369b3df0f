//! What differs between SQLite and PostgreSQL, and nothing else: how values
//! are bound and read (SQLite keeps times as Unix seconds, PostgreSQL as
//! TIMESTAMPTZ), how a write transaction starts (`BEGIN IMMEDIATE` behind a
//! writer queue vs a per-room advisory lock), how an overlap is recognised,
//! a few SQL fragments (epoch seconds, weekday, case-insensitive e-mail), the
//! series snapshot, announcing events, telling whether anything was committed, and migrations.
//!
//! Every statement of the store is written once, with `$1`-style
//! placeholders, which both databases read. Values travel as [`Arg`]s so the
//! shared code needs no sqlx trait bounds.

#[cfg(feature = "sqlite")]
mod commit_mark;
#[cfg(feature = "sqlite")]
mod group_commit;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use std::ops::DerefMut;

use async_trait::async_trait;
use booking_core::domain::{Booking, BookingId, ClosureId, RoomId, SeriesId, UserId, WaitlistId};
use booking_core::procurement::OrderId;
use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{Database, SqlStr};
use uuid::Uuid;

use crate::error::StoreError;

/// A connection of backend `B`.
pub type Conn<B> = <<B as SqlBackend>::Db as Database>::Connection;
/// A result row of backend `B`.
pub type Row<B> = <<B as SqlBackend>::Db as Database>::Row;

/// A statement running on a connection borrowed for `'c`.
pub type Pending<'c, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, sqlx::Error>> + Send + 'c>>;

/// A value bound to a statement parameter; typed even when null, so
/// PostgreSQL knows every parameter's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Int(Option<i64>),
    /// PostgreSQL INTEGER columns (`floor`, `attempts`).
    Int4(Option<i32>),
    Text(Option<String>),
    Uuid(Option<Uuid>),
    Bool(Option<bool>),
    Time(Option<DateTime<Utc>>),
    Json(Option<serde_json::Value>),
    Bytes(Option<Vec<u8>>),
}

impl Arg {
    /// A value stored as JSON.
    pub fn json<T: serde::Serialize>(value: &T) -> Result<Arg, StoreError> {
        serde_json::to_value(value)
            .map(|v| Arg::Json(Some(v)))
            .map_err(|e| StoreError::Corrupt(format!("cannot encode JSON: {e}")))
    }
}

macro_rules! arg_from {
    ($variant:ident: $($t:ty => $f:expr),* $(,)?) => {$(
        impl From<$t> for Arg {
            fn from(v: $t) -> Arg {
                #[allow(clippy::redundant_closure_call)]
                Arg::$variant(($f)(v))
            }
        }
    )*};
}

arg_from!(Int: i64 => Some, Option<i64> => |v| v, u32 => |v| Some(i64::from(v)));
arg_from!(Int4: Option<i32> => |v| v);
arg_from!(Text:
    &str => |v: &str| Some(v.to_string()),
    String => Some,
    &String => |v: &String| Some(v.clone()),
    &booking_core::Email => |v: &booking_core::Email| Some(v.as_str().to_string()),
    Option<&str> => |v: Option<&str>| v.map(str::to_string),
    &Option<String> => |v: &Option<String>| v.clone(),
);
arg_from!(Uuid: Uuid => Some, Option<Uuid> => |v| v);
arg_from!(Bool: bool => Some);
arg_from!(Time: DateTime<Utc> => Some, Option<DateTime<Utc>> => |v| v);
arg_from!(Bytes: &Vec<u8> => |v: &Vec<u8>| Some(v.clone()));

macro_rules! id_args {
    ($($id:ty),*) => {$(
        impl From<$id> for Arg {
            fn from(v: $id) -> Arg {
                Arg::Uuid(Some(v.0))
            }
        }
        impl From<Option<$id>> for Arg {
            fn from(v: Option<$id>) -> Arg {
                Arg::Uuid(v.map(|v| v.0))
            }
        }
    )*};
}

id_args!(
    RoomId, BookingId, UserId, SeriesId, WaitlistId, OrderId, ClosureId
);

/// `args![a, b, c]`: the parameters `$1, $2, $3` of a statement.
#[macro_export]
macro_rules! args {
    ($($e:expr),* $(,)?) => { vec![$($crate::backend::Arg::from($e)),*] };
}
pub use crate::args;

/// The methods of [`SqlBackend`] that read the same on every backend: the
/// statements run with the backend's `arguments(Vec<Arg>)`, and the getters
/// that are one `try_get`.
macro_rules! plain_methods {
    ($conn:ty, $row:ty) => {
        fn execute<'c>(
            conn: &'c mut $conn,
            sql: sqlx::SqlStr,
            args: Vec<Arg>,
        ) -> $crate::backend::Pending<'c, u64> {
            Box::pin(async move {
                let done = sqlx::query_with(sql, arguments(args)?)
                    .execute(conn)
                    .await?;
                Ok(done.rows_affected())
            })
        }
        fn fetch_all<'c>(
            conn: &'c mut $conn,
            sql: sqlx::SqlStr,
            args: Vec<Arg>,
        ) -> $crate::backend::Pending<'c, Vec<$row>> {
            Box::pin(async move {
                sqlx::query_with(sql, arguments(args)?)
                    .fetch_all(conn)
                    .await
            })
        }
        fn fetch_optional<'c>(
            conn: &'c mut $conn,
            sql: sqlx::SqlStr,
            args: Vec<Arg>,
        ) -> $crate::backend::Pending<'c, Option<$row>> {
            Box::pin(async move {
                sqlx::query_with(sql, arguments(args)?)
                    .fetch_optional(conn)
                    .await
            })
        }
        fn int(row: &$row, col: &str) -> Result<Option<i64>, sqlx::Error> {
            sqlx::Row::try_get(row, col)
        }
        fn int4(row: &$row, col: &str) -> Result<Option<i32>, sqlx::Error> {
            sqlx::Row::try_get(row, col)
        }
        fn text(row: &$row, col: &str) -> Result<Option<String>, sqlx::Error> {
            sqlx::Row::try_get(row, col)
        }
        fn uuid(row: &$row, col: &str) -> Result<Option<uuid::Uuid>, sqlx::Error> {
            sqlx::Row::try_get(row, col)
        }
        fn boolean(row: &$row, col: &str) -> Result<Option<bool>, sqlx::Error> {
            sqlx::Row::try_get(row, col)
        }
        fn bytes(row: &$row, col: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
            sqlx::Row::try_get(row, col)
        }
        fn json(row: &$row, col: &str) -> Result<Option<serde_json::Value>, sqlx::Error> {
            Ok(
                sqlx::Row::try_get::<Option<sqlx::types::Json<serde_json::Value>>, _>(row, col)?
                    .map(|j| j.0),
            )
        }
    };
}
pub(crate) use plain_methods;

/// A database the store runs on.
#[async_trait]
pub trait SqlBackend: Send + Sync + Sized + 'static {
    type Db: Database;
    /// An autocommit connection for one write; on SQLite it also holds this
    /// process's writer queue.
    type Writer: DerefMut<Target = Conn<Self>> + Send;
    /// A write transaction (see [`SqlBackend::begin_write`]).
    type Tx: DerefMut<Target = Conn<Self>> + Send;

    /// The column that orders rows of the waitlist by insertion.
    const INSERTION_ORDER: &'static str;
    /// What `SELECT … FOR UPDATE` needs to let concurrent claimers skip
    /// each other's rows (empty where writers are serialised anyway).
    const SKIP_LOCKED: &'static str;
    /// Compare the `email` column with parameter `$1`, case-insensitively.
    const EMAIL_IS_PARAM: &'static str;
    /// A statement that tells other processes events were appended.
    const NOTIFY: Option<&'static str>;
    /// Whether one `execute` runs several `;`-separated statements over
    /// one argument list (see [`crate::query::Script`]).
    const ONE_ROUND_TRIP: bool;
    /// The statement keeping every other writer from writing bookings until
    /// the transaction ends, where writers can run at once (PostgreSQL).
    const LOCK_BOOKINGS: Option<&'static str>;
    /// The statement taking the write lock of the room whose key
    /// (`room_lock_key`) is `$1`, where writers of one room take one.
    const LOCK_ROOM: Option<&'static str>;

    fn pool(&self) -> &sqlx::Pool<Self::Db>;
    async fn migrate(&self) -> Result<(), StoreError>;
    fn migrator() -> &'static sqlx::migrate::Migrator;

    async fn writer(&self) -> Result<Self::Writer, sqlx::Error>;
    /// Start a write transaction. Writers of the same `room` (all writers on
    /// SQLite) are serialised so a rule check sees the committed state.
    async fn begin_write(&self, room: Option<RoomId>) -> Result<Self::Tx, sqlx::Error>;
    async fn commit(tx: Self::Tx) -> Result<(), sqlx::Error>;
    /// A statement a writer may run last, in the round trip of its last
    /// statements, so that [`SqlBackend::commit`] has nothing left to run
    /// (SQLite's group commit: the release of the writer's savepoint).
    /// Append it only where every statement before it succeeding means the
    /// write is kept, and call [`SqlBackend::turn_ended`] once it ran.
    const END_TURN: Option<&'static str> = None;

    /// The [`SqlBackend::END_TURN`] statement ran in `tx`.
    fn turn_ended(_tx: &mut Self::Tx) {}

    fn execute<'c>(conn: &'c mut Conn<Self>, sql: SqlStr, args: Vec<Arg>) -> Pending<'c, u64>;
    fn fetch_all<'c>(
        conn: &'c mut Conn<Self>,
        sql: SqlStr,
        args: Vec<Arg>,
    ) -> Pending<'c, Vec<Row<Self>>>;
    fn fetch_optional<'c>(
        conn: &'c mut Conn<Self>,
        sql: SqlStr,
        args: Vec<Arg>,
    ) -> Pending<'c, Option<Row<Self>>>;

    fn int(row: &Row<Self>, col: &str) -> Result<Option<i64>, sqlx::Error>;
    fn int4(row: &Row<Self>, col: &str) -> Result<Option<i32>, sqlx::Error>;
    fn text(row: &Row<Self>, col: &str) -> Result<Option<String>, sqlx::Error>;
    fn uuid(row: &Row<Self>, col: &str) -> Result<Option<Uuid>, sqlx::Error>;
    fn boolean(row: &Row<Self>, col: &str) -> Result<Option<bool>, sqlx::Error>;
    fn time(row: &Row<Self>, col: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error>;
    fn json(row: &Row<Self>, col: &str) -> Result<Option<serde_json::Value>, sqlx::Error>;
    fn bytes(row: &Row<Self>, col: &str) -> Result<Option<Vec<u8>>, sqlx::Error>;

    /// The write failed because the database refused an overlapping
    /// blocking booking.
    fn is_overlap(e: &sqlx::Error) -> bool;
    /// Seconds since 1970 of a time expression, as BIGINT.
    fn epoch(expr: &str) -> String;
    /// Weekday (0 = Monday) and hour, in UTC, of a time column.
    fn weekday_hour(col: &str) -> (String, String);
    /// An aggregate of the group's rows as one JSON array of arrays
    /// `[[items…], …]` in `order`: one row per group is far cheaper to ship
    /// than thousands.
    fn json_rows(items: &[&str], order: &str) -> String;
    /// `status IN (…)` over a JSON array of strings bound as `param`.
    fn in_json_list(col: &str, param: &str) -> String;

    /// A statement returning, for each held interval of `occurrences`, the
    /// latest blocking booking of their room starting before its end:
    /// columns `idx` (0-based), `id`, `held_start`, `held_end`.
    fn series_probe(
        room: RoomId,
        occurrences: &[Booking],
    ) -> Result<(SqlStr, Vec<Arg>), StoreError>;

    /// Bookings matching `tail` (`WHERE … ORDER BY … LIMIT …` over `args`).
    /// Backends may fetch them faster than row by row.
    async fn list_bookings(&self, tail: String, args: Vec<Arg>)
    -> Result<Vec<Booking>, StoreError>;
    /// Announcements of events appended by other processes, if any.
    async fn remote_events(&self) -> Result<Option<tokio::sync::mpsc::Receiver<()>>, StoreError>;
    /// A number that changes whenever anyone commits to the database, told
    /// without a statement; `None` where the backend cannot tell so cheaply
    /// (answers are then read afresh every time; see
    /// [`SqlStore::unless_changed`](crate::SqlStore::unless_changed)).
    fn commit_mark(&self) -> Option<u128> {
        None
    }
}

/// A connection from the pool, for reads.
pub async fn read_conn<B: SqlBackend>(
    b: &B,
    op: &'static str,
) -> Result<PoolConnection<B::Db>, StoreError> {
    b.pool().acquire().await.map_err(crate::error::db(op))
}

/// The key of a room's write lock (PostgreSQL's advisory lock): the first
/// 8 bytes of its UUID.
pub(crate) fn room_lock_key(room: RoomId) -> i64 {
    let b = room.0.as_bytes();
    i64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}
