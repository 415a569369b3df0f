//! PostgreSQL: for many server processes over one database. Times are
//! TIMESTAMPTZ. The exclusion constraint `bookings_no_overlap` makes double
//! booking impossible for every writer; a per-room advisory lock orders the
//! writers so the rule check sees the committed state.

use async_trait::async_trait;
use booking_core::domain::{Booking, RoomId};
use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgArguments, PgPoolOptions, PgRow};
use sqlx::types::Json;
use sqlx::{Arguments, PgConnection, PgPool, Row as _, SqlSafeStr, SqlStr, Transaction};

use super::{Arg, SqlBackend};
use crate::error::{StoreError, db, migrate};
use crate::{SqlStore, StoreOptions};

/// A pooled connection idle for longer than this is pinged before use.
const IDLE_CHECK_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// The PostgreSQL backend.
#[derive(Debug, Clone)]
pub struct Postgres {
    pool: PgPool,
}

fn arguments(args: Vec<Arg>) -> Result<PgArguments, sqlx::Error> {
    let mut out = PgArguments::default();
    for a in args {
        match a {
            Arg::Int(v) => out.add(v),
            Arg::Int4(v) => out.add(v),
            Arg::Text(v) => out.add(v),
            Arg::Uuid(v) => out.add(v),
            Arg::Bool(v) => out.add(v),
            Arg::Time(v) => out.add(v),
            Arg::Json(v) => out.add(v.map(Json)),
            Arg::Bytes(v) => out.add(v),
        }
        .map_err(sqlx::Error::Encode)?;
    }
    Ok(out)
}

impl SqlStore<Postgres> {
    /// Connect to `url` (e.g. `postgres://postgres@127.0.0.1/booking`).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, &StoreOptions::default()).await
    }

    /// [`SqlStore::connect`] with pool options.
    pub async fn connect_with(url: &str, opts: &StoreOptions) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(opts.acquire_timeout)
            // A ping before every acquire doubled the round trips of every
            // statement; a connection that sat idle for a while (the server
            // may have restarted meanwhile) is still checked before use.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > IDLE_CHECK_AFTER {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect(url)
            .await
            .map_err(db("open database"))?;
        Ok(Self::over(Postgres { pool }))
    }
}

#[async_trait]
impl SqlBackend for Postgres {
    type Db = sqlx::Postgres;
    type Writer = PoolConnection<sqlx::Postgres>;
    type Tx = Transaction<'static, sqlx::Postgres>;

    const INSERTION_ORDER: &'static str = "seq";
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";
    // Served by the unique index on lower(email).
    const EMAIL_IS_PARAM: &'static str = "lower(email) = lower($1)";
    // Delivered to every listening process when the transaction commits.
    const NOTIFY: Option<&'static str> = Some("SELECT pg_notify('booking_events', '')");
    // The extended protocol prepares one statement at a time.
    const ONE_ROUND_TRIP: bool = false;
    const LOCK_BOOKINGS: Option<&'static str> =
        Some("LOCK TABLE bookings IN SHARE ROW EXCLUSIVE MODE");
    const LOCK_ROOM: Option<&'static str> = Some("SELECT pg_advisory_xact_lock($1)");

    fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(migrate)
    }

    fn migrator() -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }

    async fn writer(&self) -> Result<Self::Writer, sqlx::Error> {
        self.pool.acquire().await
    }

    async fn begin_write(&self, room: Option<RoomId>) -> Result<Self::Tx, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        if let Some(room) = room {
            // Serialise writers of one room so the rule check (including the
            // per-user limit) sees committed state; the exclusion constraint
            // stays the guarantee against any writer that skips this lock.
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(super::room_lock_key(room))
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    async fn commit(tx: Self::Tx) -> Result<(), sqlx::Error> {
        tx.commit().await
    }

    super::plain_methods!(PgConnection, PgRow);

    fn time(row: &PgRow, col: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        row.try_get(col)
    }

    fn is_overlap(e: &sqlx::Error) -> bool {
        matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("23P01"))
    }

    fn epoch(expr: &str) -> String {
        format!("CAST(EXTRACT(EPOCH FROM {expr}) AS BIGINT)")
    }

    fn weekday_hour(col: &str) -> (String, String) {
        (
            format!("(CAST(EXTRACT(ISODOW FROM {col} AT TIME ZONE 'UTC') AS BIGINT) - 1)"),
            format!("CAST(EXTRACT(HOUR FROM {col} AT TIME ZONE 'UTC') AS BIGINT)"),
        )
    }

    fn json_rows(items: &[&str], order: &str) -> String {
        format!(
            "json_agg(json_build_array({}) ORDER BY {order})",
            items.join(", ")
        )
    }

    fn in_json_list(col: &str, param: &str) -> String {
        format!("{col} IN (SELECT jsonb_array_elements_text({param}))")
    }

    fn series_probe(
        room: RoomId,
        occurrences: &[Booking],
    ) -> Result<(SqlStr, Vec<Arg>), StoreError> {
        let intervals: Vec<[DateTime<Utc>; 2]> = occurrences
            .iter()
            .map(|b| [b.held_start, b.held_end])
            .collect();
        let sql = "SELECT CAST(o.idx - 1 AS BIGINT) AS idx, b.id AS id, b.held_start AS held_start, \
             b.held_end AS held_end \
             FROM jsonb_array_elements($2) WITH ORDINALITY AS o(pair, idx) \
             LEFT JOIN LATERAL ( \
               SELECT id, held_start, held_end FROM bookings \
               WHERE room_id = $1 AND status IN ('pending', 'approved') \
                 AND held_start < CAST(o.pair->>1 AS timestamptz) \
               ORDER BY held_start DESC LIMIT 1) b ON true";
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
        crate::bookings::list_rows(self, tail, args).await
    }

    async fn remote_events(&self) -> Result<Option<tokio::sync::mpsc::Receiver<()>>, StoreError> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool)
            .await
            .map_err(db("listen for events"))?;
        listener
            .listen("booking_events")
            .await
            .map_err(db("listen for events"))?;
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(_) => {
                        // A full channel already holds a wake-up: coalesce.
                        if let Err(tokio::sync::mpsc::error::TrySendError::Closed(())) =
                            tx.try_send(())
                        {
                            return;
                        }
                    }
                    // PgListener reconnects by itself; wake the reader so it
                    // re-reads anything announced while the link was down.
                    Err(_) => {
                        if tx.is_closed() {
                            return;
                        }
                        let _ = tx.try_send(());
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    }
                }
            }
        });
        Ok(Some(rx))
    }
}
