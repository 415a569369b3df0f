//! SQLite: the zero-setup default. Times are INTEGER Unix seconds (UTC).
//! Writers queue in this process (fair, FIFO) and share `BEGIN IMMEDIATE`
//! transactions, one savepoint each (group commit), so checks and inserts are
//! serialised; a trigger refuses overlaps as a backstop.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use booking_core::domain::{Booking, BookingId, RoomId, SeriesId, UserId};
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::types::Json;
use sqlx::{Arguments, Row as _, SqlSafeStr, SqlStr, SqliteConnection, SqlitePool};
use uuid::Uuid;

use super::commit_mark::CommitProbe;
use super::group_commit::GroupWriter;
pub use super::group_commit::{SqliteTx, SqliteWriter};
use super::{Arg, SqlBackend};
use crate::error::{StoreError, corrupt, db, migrate};
use crate::{SqlStore, StoreOptions};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

/// The SQLite backend.
#[derive(Debug, Clone)]
pub struct Sqlite {
    pool: SqlitePool,
    /// SQLite has one writer at a time. Queueing this process's writers here
    /// instead of in SQLite's busy handler, which sleeps and retries, keeps
    /// write latency flat under load, and lets writers share commits (see
    /// [`group_commit`](super::group_commit)). Other processes are still
    /// kept out by the database lock itself.
    writer: GroupWriter,
    /// Held by every clone of the store; the checkpointer stops when the
    /// last one is gone.
    _checkpoints: Option<Arc<()>>,
    /// Tells whether anyone committed since the last look (none for an
    /// in-memory database, which only this store's connection sees).
    probe: Option<Arc<CommitProbe>>,
}

fn arguments(args: Vec<Arg>) -> Result<SqliteArguments, sqlx::Error> {
    let mut out = SqliteArguments::default();
    for a in args {
        match a {
            Arg::Int(v) => out.add(v),
            Arg::Int4(v) => out.add(v),
            Arg::Text(v) => out.add(v),
            Arg::Uuid(v) => out.add(v),
            Arg::Bool(v) => out.add(v),
            Arg::Time(v) => out.add(v.map(|t| t.timestamp())),
            Arg::Json(v) => out.add(v.map(Json)),
            Arg::Bytes(v) => out.add(v),
        }
        .map_err(sqlx::Error::Encode)?;
    }
    Ok(out)
}

fn from_ts(col: &str, s: i64) -> Result<DateTime<Utc>, sqlx::Error> {
    DateTime::from_timestamp(s, 0)
        .ok_or_else(|| sqlx::Error::Decode(format!("{col}: bad timestamp {s}").into()))
}

/// The size the write-ahead log file is cut back to by the first commit
/// after the log was copied into the database whole.
const WAL_SIZE_LIMIT: u64 = 32 << 20;

/// How often the log is copied into the database.
const CHECKPOINT_EVERY: StdDuration = StdDuration::from_millis(500);

/// Copy the write-ahead log into the database file now and then, on a
/// connection of its own, without waiting for readers or the writer
/// (`PASSIVE`): writers then never pay for it. The returned token is held
/// by the store; once every clone of the store is gone, the task ends.
fn checkpointer(pool: SqlitePool) -> Arc<()> {
    let alive = Arc::new(());
    let watch = Arc::downgrade(&alive);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if watch.strong_count() == 0 || pool.is_closed() {
                break;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                tracing::warn!(error = %e, "SQLite checkpoint failed; will retry");
            }
        }
    });
    alive
}

impl SqlStore<Sqlite> {
    /// Connect to `url` (e.g. `sqlite://booking.db?mode=rwc`, `sqlite::memory:`).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, &StoreOptions::default()).await
    }

    /// [`SqlStore::connect`] with pool options.
    pub async fn connect_with(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(db("open database"))?
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL: every commit survives a crash of the process; a power
            // failure can lose the last commits but never corrupts the database.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(StdDuration::from_secs(30));
        // An in-memory database lives in one connection.
        let memory = url.contains(":memory:");
        let file = opts.get_filename().to_path_buf();
        let max = if memory { 1 } else { 8 };
        // The writer never copies the log into the database itself (the
        // automatic checkpoint made the write that crossed 1,000 pages wait
        // for it, and for the disk); a task of the store does, beside it.
        // SQLite reuses the log from its start once it is copied, but never
        // shrinks the file: without a limit it kept the size of the busiest
        // burst (76 MB after 1,100 bookings, beside a 2.5 MB database).
        let opts = if memory {
            opts
        } else {
            opts.pragma("wal_autocheckpoint", "0")
                .pragma("journal_size_limit", WAL_SIZE_LIMIT.to_string())
        };
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            // A connection to a file cannot be cut off by a peer; pinging it
            // on every acquire cost a hand-off to its thread per statement.
            .test_before_acquire(false)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(opts)
            .await
            .map_err(db("open database"))?;
        let checkpoints = (!memory).then(|| checkpointer(pool.clone()));
        let probe = (!memory).then(|| Arc::new(CommitProbe::new(&file)));
        Ok(Self::over(Sqlite {
            writer: GroupWriter::new(pool.clone()),
            pool,
            _checkpoints: checkpoints,
            probe,
        }))
    }

    /// Write a consistent copy of the database to `path` (`VACUUM INTO`),
    /// safe while the server runs. The file must not exist yet.
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError> {
        if path.exists() {
            return Err(StoreError::Corrupt(format!(
                "{} exists already; choose a new file",
                path.display()
            )));
        }
        self.rows(
            "backup",
            "VACUUM INTO $1",
            super::args![path.display().to_string()],
        )
        .await
        .map(|_| ())
    }
}

#[async_trait]
impl SqlBackend for Sqlite {
    type Db = sqlx::Sqlite;
    type Writer = SqliteWriter;
    type Tx = SqliteTx;

    const INSERTION_ORDER: &'static str = "rowid";
    const SKIP_LOCKED: &'static str = "";
    // The column is declared COLLATE NOCASE, so its index serves this.
    const EMAIL_IS_PARAM: &'static str = "email = $1";
    // One process owns a SQLite file: there is nobody else to tell.
    const NOTIFY: Option<&'static str> = None;
    // SQLite runs a script's statements in one call.
    const ONE_ROUND_TRIP: bool = true;
    const LOCK_BOOKINGS: Option<&'static str> = None;
    const LOCK_ROOM: Option<&'static str> = None;

    fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    fn commit_mark(&self) -> Option<u128> {
        self.probe.as_ref()?.mark()
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(migrate)
    }

    fn migrator() -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }

    async fn writer(&self) -> Result<SqliteWriter, sqlx::Error> {
        self.writer.writer().await
    }

    async fn begin_write(&self, _room: Option<RoomId>) -> Result<SqliteTx, sqlx::Error> {
        self.writer.begin().await
    }

    async fn commit(tx: SqliteTx) -> Result<(), sqlx::Error> {
        GroupWriter::commit(tx).await
    }

    const END_TURN: Option<&'static str> = Some(GroupWriter::END_TURN);

    fn turn_ended(tx: &mut SqliteTx) {
        GroupWriter::turn_ended(tx);
    }

    super::plain_methods!(SqliteConnection, SqliteRow);

    fn time(row: &SqliteRow, col: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        row.try_get::<Option<i64>, _>(col)?
            .map(|s| from_ts(col, s))
            .transpose()
    }

    fn is_overlap(e: &sqlx::Error) -> bool {
        matches!(e, sqlx::Error::Database(d) if d.message().contains("booking_conflict"))
    }

    fn epoch(expr: &str) -> String {
        format!("({expr})")
    }

    fn weekday_hour(col: &str) -> (String, String) {
        (
            format!("((CAST(strftime('%w', {col}, 'unixepoch') AS INTEGER) + 6) % 7)"),
            format!("CAST(strftime('%H', {col}, 'unixepoch') AS INTEGER)"),
        )
    }

    fn json_rows(items: &[&str], _order: &str) -> String {
        // json_group_array keeps the order of its input; callers feed it
        // rows sorted by a subquery.
        format!("json_group_array(json_array({}))", items.join(", "))
    }

    fn in_json_list(col: &str, param: &str) -> String {
        format!("{col} IN (SELECT value FROM json_each({param}))")
    }

    fn series_probe(
        room: RoomId,
        occurrences: &[Booking],
    ) -> Result<(SqlStr, Vec<Arg>), StoreError> {
        // For each interval the latest blocking booking starting before its
        // end, found through the (room, held_start) index: O(log n) each.
        let intervals: Vec<[i64; 2]> = occurrences
            .iter()
            .map(|b| [b.held_start.timestamp(), b.held_end.timestamp()])
            .collect();
        let sql = "SELECT CAST(j.key AS INTEGER) AS idx, b.id AS id, b.held_start AS held_start, \
             b.held_end AS held_end \
             FROM json_each($2) j LEFT JOIN bookings b ON b.rowid = ( \
               SELECT b2.rowid FROM bookings b2 \
               WHERE b2.room_id = $1 AND b2.status IN ('pending', 'approved') \
                 AND b2.held_start < json_extract(j.value, '$[1]') \
               ORDER BY b2.held_start DESC LIMIT 1)";
        Ok((
            sql.into_sql_str(),
            vec![Arg::from(room), Arg::json(&intervals)?],
        ))
    }

    async fn list_bookings(
        &self,
        tail: String,
        args: Vec<Arg>,
    ) -> Result<Vec<Booking>, StoreError> {
        // All rows come back as one JSON array in one row (UUIDs as hex, which
        // Uuid::parse_str reads in either case): sqlx hands SQLite rows over
        // one at a time between threads, which cost ~15 µs a row (75 ms for a
        // 5,000-booking feed); one row costs one hand-over.
        let sql = format!(
            "SELECT json_group_array(json_array(hex(id), hex(room_id), \
             hex(organizer_id), title, purpose, attendees, start_at, end_at, held_start, \
             held_end, status, hex(approver_id), decision_reason, sequence, created_at, \
             updated_at, hex(series_id), occurrence_start, checked_in_at, no_show, \
             hex(booked_by), hex(group_id))) AS list \
             FROM (SELECT * FROM bookings {tail})"
        );
        const OP: &str = "list bookings";
        let mut conn = super::read_conn(self, OP).await?;
        let row = Self::fetch_optional(&mut conn, sqlx::AssertSqlSafe(sql).into_sql_str(), args)
            .await
            .map_err(db(OP))?;
        let json: String = match row {
            Some(r) => r.try_get("list").map_err(|e| corrupt("list", e))?,
            None => return Ok(Vec::new()),
        };
        let rows: Vec<ListedRow<'_>> =
            serde_json::from_str(&json).map_err(|e| corrupt("booking list", e))?;
        rows.into_iter().map(ListedRow::booking).collect()
    }

    async fn remote_events(&self) -> Result<Option<tokio::sync::mpsc::Receiver<()>>, StoreError> {
        Ok(None)
    }
}

/// One booking of the JSON array `list_bookings` builds, in the column
/// order of its SELECT: UUIDs as hex (`""` for NULL), times as Unix
/// seconds. Read straight from the text, borrowing what needs no unescaping.
#[derive(serde::Deserialize)]
struct ListedRow<'a>(
    &'a str,
    &'a str,
    &'a str,
    String,
    Option<String>,
    i64,
    i64,
    i64,
    i64,
    i64,
    &'a str,
    &'a str,
    Option<String>,
    i64,
    i64,
    i64,
    &'a str,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    &'a str,
    &'a str,
);

impl ListedRow<'_> {
    fn booking(self) -> Result<Booking, StoreError> {
        let bad = |what: &str| StoreError::Corrupt(format!("booking list: bad {what}"));
        let uuid = |s: &str, what: &str| Uuid::parse_str(s).map_err(|_| bad(what));
        let opt_uuid = |s: &str, what: &str| match s {
            "" => Ok(None),
            s => uuid(s, what).map(Some),
        };
        let num = |v: i64, what: &str| u32::try_from(v).map_err(|_| bad(what));
        let time = |v: i64, what: &str| DateTime::from_timestamp(v, 0).ok_or_else(|| bad(what));
        let opt_time = |v: Option<i64>, what: &str| v.map(|v| time(v, what)).transpose();
        let r = self;
        Ok(Booking {
            id: BookingId(uuid(r.0, "id")?),
            room_id: RoomId(uuid(r.1, "room_id")?),
            organizer_id: UserId(uuid(r.2, "organizer_id")?),
            title: r.3,
            purpose: r.4.unwrap_or_default(),
            attendees: num(r.5, "attendees")?,
            start: time(r.6, "start_at")?,
            end: time(r.7, "end_at")?,
            held_start: time(r.8, "held_start")?,
            held_end: time(r.9, "held_end")?,
            status: r.10.parse().map_err(|_| bad("status"))?,
            approver_id: opt_uuid(r.11, "approver_id")?.map(UserId),
            decision_reason: r.12,
            sequence: num(r.13, "sequence")?,
            created_at: time(r.14, "created_at")?,
            updated_at: time(r.15, "updated_at")?,
            series_id: opt_uuid(r.16, "series_id")?.map(SeriesId),
            occurrence_start: opt_time(r.17, "occurrence_start")?,
            checked_in_at: opt_time(r.18, "checked_in_at")?,
            no_show: r.19.is_some_and(|v| v != 0),
            booked_by: opt_uuid(r.20, "booked_by")?.map(UserId),
            group_id: opt_uuid(r.21, "group_id")?.map(BookingId),
        })
    }
}
