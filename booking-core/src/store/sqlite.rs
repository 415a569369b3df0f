//! SQLite store: the zero-setup default. Times are INTEGER Unix seconds (UTC).
//! Writers that check and insert bookings take `BEGIN IMMEDIATE`, so checks and
//! inserts are serialised; a trigger refuses overlaps as a backstop.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::types::Json;
use sqlx::{Row, SqliteConnection, SqlitePool};
use tokio::sync::Mutex;
use uuid::Uuid;

use super::{
    AuditEntry, AuditFilter, BookingFilter, ChangeLog, CheckFn, Credentials, SeriesCheckFn,
    Snapshot, Store, StoredEvent, conflict_from, parse_enum, to_u32,
};
use super::{
    BookingsVersion, Bucket, ChangeStamp, HeatCell, InviteLink, NewMail, OutboxCounts, QueuedMail,
    RoomStats, StoreOptions, UsageRow, VersionScope,
};
use crate::domain::{
    Booking, BookingId, BookingStatus, MAX_HELD_MINUTES, Occupancy, Room, RoomId, Series, SeriesId,
    User, UserId, WaitlistEntry, WaitlistId,
};
use crate::error::{CoreError, StoreError};
use crate::procurement::{Order, OrderStatus};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

/// [`super::Store`] on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// SQLite has one writer at a time. Queueing this process's writers here
    /// (fair, FIFO) instead of in SQLite's busy handler, which sleeps and
    /// retries, keeps write latency flat under load. Other processes are still
    /// kept out by the database lock itself.
    writer: Arc<Mutex<()>>,
}

fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn from_ts(s: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp(s, 0).ok_or_else(|| StoreError::Corrupt(format!("bad timestamp {s}")))
}

fn opt_ts(s: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    s.map(from_ts).transpose()
}

fn map_write_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        return StoreError::Duplicate(db.message().to_string());
    }
    StoreError::Database(e)
}

fn is_conflict_trigger(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.message().contains("booking_conflict"))
}

macro_rules! room_cols {
    () => {
        "SELECT id, name, category, capacity, floor, location, amenities, time_zone, active, deleted_at, policy, created_at, updated_at FROM rooms"
    };
}

fn room_from_row(r: &SqliteRow) -> Result<Room, StoreError> {
    let Json(amenities) = r.try_get("amenities")?;
    let Json(policy) = r.try_get("policy")?;
    let tz: String = r.try_get("time_zone")?;
    Ok(Room {
        id: RoomId(r.try_get("id")?),
        name: r.try_get("name")?,
        category: parse_enum(r.try_get::<&str, _>("category")?, "category")?,
        capacity: to_u32(r.try_get("capacity")?, "capacity")?,
        floor: r.try_get("floor")?,
        location: r.try_get("location")?,
        amenities,
        time_zone: parse_enum(&tz, "time zone")?,
        active: r.try_get("active")?,
        deleted_at: opt_ts(r.try_get("deleted_at")?)?,
        policy,
        created_at: from_ts(r.try_get("created_at")?)?,
        updated_at: from_ts(r.try_get("updated_at")?)?,
    })
}

macro_rules! user_cols {
    () => {
        "SELECT id, email, display_name, role, assigned_rooms, active, created_at FROM users"
    };
}

fn user_from_row(r: &SqliteRow) -> Result<User, StoreError> {
    let Json(assigned_rooms) = r.try_get("assigned_rooms")?;
    Ok(User {
        id: UserId(r.try_get("id")?),
        email: r.try_get("email")?,
        display_name: r.try_get("display_name")?,
        role: parse_enum(r.try_get::<&str, _>("role")?, "role")?,
        assigned_rooms,
        active: r.try_get("active")?,
        created_at: from_ts(r.try_get("created_at")?)?,
    })
}

macro_rules! booking_cols {
    () => {
        "SELECT id, room_id, organizer_id, title, purpose, attendees, start_at, end_at, held_start, held_end, status, approver_id, decision_reason, sequence, created_at, updated_at, series_id, occurrence_start, checked_in_at, no_show FROM bookings"
    };
}

fn booking_from_row(r: &SqliteRow) -> Result<Booking, StoreError> {
    Ok(Booking {
        id: BookingId(r.try_get("id")?),
        room_id: RoomId(r.try_get("room_id")?),
        organizer_id: UserId(r.try_get("organizer_id")?),
        title: r.try_get("title")?,
        purpose: r.try_get("purpose")?,
        attendees: to_u32(r.try_get("attendees")?, "attendees")?,
        start: from_ts(r.try_get("start_at")?)?,
        end: from_ts(r.try_get("end_at")?)?,
        held_start: from_ts(r.try_get("held_start")?)?,
        held_end: from_ts(r.try_get("held_end")?)?,
        status: parse_enum(r.try_get::<&str, _>("status")?, "status")?,
        approver_id: r.try_get::<Option<Uuid>, _>("approver_id")?.map(UserId),
        decision_reason: r.try_get("decision_reason")?,
        sequence: to_u32(r.try_get("sequence")?, "sequence")?,
        created_at: from_ts(r.try_get("created_at")?)?,
        updated_at: from_ts(r.try_get("updated_at")?)?,
        series_id: r.try_get::<Option<Uuid>, _>("series_id")?.map(SeriesId),
        occurrence_start: opt_ts(r.try_get("occurrence_start")?)?,
        checked_in_at: opt_ts(r.try_get("checked_in_at")?)?,
        no_show: r.try_get("no_show")?,
    })
}

/// A booking from the JSON array `list_bookings` builds (column order of
/// `booking_cols!`, UUIDs as hex).
fn booking_from_json(r: &[serde_json::Value]) -> Result<Booking, StoreError> {
    use serde_json::Value;
    let bad = |what: &str| StoreError::Corrupt(format!("booking list: bad {what}"));
    let get = |i: usize| r.get(i).unwrap_or(&Value::Null);
    let uuid = |i: usize, what: &str| -> Result<Uuid, StoreError> {
        get(i)
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok())
            .ok_or_else(|| bad(what))
    };
    let opt_uuid = |i: usize, what: &str| -> Result<Option<Uuid>, StoreError> {
        match get(i).as_str() {
            None | Some("") => Ok(None),
            Some(s) => Uuid::parse_str(s).map(Some).map_err(|_| bad(what)),
        }
    };
    let int = |i: usize, what: &str| get(i).as_i64().ok_or_else(|| bad(what));
    let opt_int = |i: usize| get(i).as_i64();
    let text = |i: usize| get(i).as_str().map(str::to_string);
    Ok(Booking {
        id: BookingId(uuid(0, "id")?),
        room_id: RoomId(uuid(1, "room_id")?),
        organizer_id: UserId(uuid(2, "organizer_id")?),
        title: text(3).ok_or_else(|| bad("title"))?,
        purpose: text(4).unwrap_or_default(),
        attendees: to_u32(int(5, "attendees")?, "attendees")?,
        start: from_ts(int(6, "start_at")?)?,
        end: from_ts(int(7, "end_at")?)?,
        held_start: from_ts(int(8, "held_start")?)?,
        held_end: from_ts(int(9, "held_end")?)?,
        status: parse_enum(get(10).as_str().unwrap_or(""), "status")?,
        approver_id: opt_uuid(11, "approver_id")?.map(UserId),
        decision_reason: text(12),
        sequence: to_u32(int(13, "sequence")?, "sequence")?,
        created_at: from_ts(int(14, "created_at")?)?,
        updated_at: from_ts(int(15, "updated_at")?)?,
        series_id: opt_uuid(16, "series_id")?.map(SeriesId),
        occurrence_start: opt_ts(opt_int(17))?,
        checked_in_at: opt_ts(opt_int(18))?,
        no_show: opt_int(19).is_some_and(|v| v != 0) || get(19).as_bool() == Some(true),
    })
}

async fn insert_booking(
    conn: &mut SqliteConnection,
    b: &Booking,
) -> Result<sqlx::sqlite::SqliteQueryResult, sqlx::Error> {
    sqlx::query(
        "INSERT INTO bookings (id, room_id, organizer_id, title, purpose, attendees, start_at, end_at, \
         held_start, held_end, status, approver_id, decision_reason, sequence, created_at, updated_at, \
         series_id, occurrence_start, checked_in_at, no_show) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(b.id.0)
    .bind(b.room_id.0)
    .bind(b.organizer_id.0)
    .bind(&b.title)
    .bind(&b.purpose)
    .bind(i64::from(b.attendees))
    .bind(ts(b.start))
    .bind(ts(b.end))
    .bind(ts(b.held_start))
    .bind(ts(b.held_end))
    .bind(b.status.as_str())
    .bind(b.approver_id.map(|u| u.0))
    .bind(&b.decision_reason)
    .bind(i64::from(b.sequence))
    .bind(ts(b.created_at))
    .bind(ts(b.updated_at))
    .bind(b.series_id.map(|x| x.0))
    .bind(b.occurrence_start.map(ts))
    .bind(b.checked_in_at.map(ts))
    .bind(b.no_show)
    .execute(conn)
    .await
}

/// Wall-clock local times (series starts) are stored as ISO text.
const LOCAL_FMT: &str = "%Y-%m-%dT%H:%M:%S";

macro_rules! waitlist_cols {
    () => {
        "SELECT id, room_id, user_id, title, purpose, attendees, start_at, end_at, created_at, booking_id, active FROM waitlist"
    };
}

fn waitlist_from_row(r: &SqliteRow) -> Result<WaitlistEntry, StoreError> {
    Ok(WaitlistEntry {
        id: WaitlistId(r.try_get("id")?),
        room_id: RoomId(r.try_get("room_id")?),
        user_id: UserId(r.try_get("user_id")?),
        title: r.try_get("title")?,
        purpose: r.try_get("purpose")?,
        attendees: to_u32(r.try_get("attendees")?, "attendees")?,
        start: from_ts(r.try_get("start_at")?)?,
        end: from_ts(r.try_get("end_at")?)?,
        created_at: from_ts(r.try_get("created_at")?)?,
        booking_id: r.try_get::<Option<Uuid>, _>("booking_id")?.map(BookingId),
        active: r.try_get("active")?,
    })
}

/// One snapshot per occurrence, in one statement: for each held interval the
/// latest blocking booking starting before its end (O(log n) each).
async fn series_snapshots(
    conn: &mut SqliteConnection,
    occurrences: &[Booking],
) -> Result<Vec<Snapshot>, StoreError> {
    const IDX_BASE: i64 = 0;
    let Some(room) = occurrences.first().map(|b| b.room_id) else {
        return Ok(Vec::new());
    };
    let intervals: Vec<[i64; 2]> = occurrences
        .iter()
        .map(|b| [ts(b.held_start), ts(b.held_end)])
        .collect();
    let rows = sqlx::query(
        "SELECT CAST(j.key AS INTEGER) AS idx, b.id AS id, b.held_start AS held_start, b.held_end AS held_end \
         FROM json_each(?2) j LEFT JOIN bookings b ON b.rowid = ( \
           SELECT b2.rowid FROM bookings b2 \
           WHERE b2.room_id = ?1 AND b2.status IN ('pending', 'approved') \
             AND b2.held_start < json_extract(j.value, '$[1]') \
           ORDER BY b2.held_start DESC LIMIT 1)",
    )
    .bind(room.0)
    .bind(Json(&intervals))
    .fetch_all(&mut *conn)
    .await?;
    let mut snaps: Vec<Snapshot> = vec![Snapshot::default(); occurrences.len()];
    for r in &rows {
        let idx: i64 = r.try_get("idx")?;
        let Some(snap) = usize::try_from(idx - IDX_BASE)
            .ok()
            .and_then(|i| snaps.get_mut(i))
        else {
            continue;
        };
        let Some(id) = r.try_get::<Option<Uuid>, _>("id")? else {
            continue;
        };
        let (Some(start), Some(end)) = (r.try_get("held_start")?, r.try_get("held_end")?) else {
            continue;
        };
        let o = Occupancy {
            booking_id: BookingId(id),
            start: from_ts(start)?,
            end: from_ts(end)?,
        };
        let own = &occurrences[(idx - IDX_BASE) as usize];
        if o.end > own.held_start {
            snap.conflicting.push(o);
        }
    }
    // The per-user count is the same for every occurrence.
    if let Some(first) = occurrences.first() {
        let n = snapshot(conn, first).await?.user_active_in_room;
        for s in &mut snaps {
            s.user_active_in_room = n;
        }
    }
    Ok(snaps)
}

macro_rules! order_cols {
    () => {
        "SELECT id, booking_id, requested_by, kind, items, priority, status, cost_centre, notes, needs_review, notice, created_at, updated_at FROM orders"
    };
}

fn order_from_row(r: &SqliteRow) -> Result<Order, StoreError> {
    let Json(items) = r.try_get("items")?;
    Ok(Order {
        id: r.try_get("id")?,
        booking_id: BookingId(r.try_get("booking_id")?),
        requested_by: UserId(r.try_get("requested_by")?),
        kind: parse_enum(r.try_get::<&str, _>("kind")?, "kind")?,
        items,
        priority: parse_enum(r.try_get::<&str, _>("priority")?, "priority")?,
        status: parse_enum(r.try_get::<&str, _>("status")?, "status")?,
        cost_centre: r.try_get("cost_centre")?,
        notes: r.try_get("notes")?,
        needs_review: r.try_get("needs_review")?,
        notice: r.try_get("notice")?,
        created_at: from_ts(r.try_get("created_at")?)?,
        updated_at: from_ts(r.try_get("updated_at")?)?,
    })
}

/// The only blocking occupancy of `room` that can overlap `[start, end)`:
/// the latest one starting before `end` (blocking occupancies never overlap).
const LATEST_BEFORE: &str = "SELECT id, held_start, held_end FROM bookings \
     WHERE room_id = ? AND status IN ('pending', 'approved') AND id <> ? AND held_start < ? \
     ORDER BY held_start DESC LIMIT 1";

async fn snapshot(conn: &mut SqliteConnection, b: &Booking) -> Result<Snapshot, StoreError> {
    let row = sqlx::query(LATEST_BEFORE)
        .bind(b.room_id.0)
        .bind(b.id.0)
        .bind(ts(b.held_end))
        .fetch_optional(&mut *conn)
        .await?;
    let mut conflicting = Vec::new();
    if let Some(r) = row {
        let o = Occupancy {
            booking_id: BookingId(r.try_get("id")?),
            start: from_ts(r.try_get("held_start")?)?,
            end: from_ts(r.try_get("held_end")?)?,
        };
        if o.end > b.held_start {
            conflicting.push(o);
        }
    }
    let active: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM bookings WHERE room_id = ? AND organizer_id = ? AND id <> ? \
         AND status IN ('pending', 'approved') AND end_at > ?",
    )
    .bind(b.room_id.0)
    .bind(b.organizer_id.0)
    .bind(b.id.0)
    .bind(ts(b.updated_at))
    .fetch_one(&mut *conn)
    .await?;
    Ok(Snapshot {
        conflicting,
        user_active_in_room: to_u32(active, "count")?,
    })
}

/// Write live-update events inside the caller's transaction.
async fn insert_events(
    conn: &mut SqliteConnection,
    events: &[StoredEvent],
) -> Result<(), StoreError> {
    for e in events {
        sqlx::query(
            "INSERT INTO events (at, kind, room_id, organizer_id, booking_id, payload) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(ts(e.at))
        .bind(&e.kind)
        .bind(e.room_id.0)
        .bind(e.organizer_id.0)
        .bind(e.booking_id.0)
        .bind(Json(&e.payload))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn insert_audit(conn: &mut SqliteConnection, e: &AuditEntry) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, actor_ip, action, entity, entity_id, before, after) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(ts(e.at))
    .bind(e.actor_id.map(|u| u.0))
    .bind(&e.actor_ip)
    .bind(&e.action)
    .bind(&e.entity)
    .bind(&e.entity_id)
    .bind(e.before.as_ref().map(Json))
    .bind(e.after.as_ref().map(Json))
    .execute(conn)
    .await?;
    Ok(())
}

impl SqliteStore {
    /// Connect to `url` (e.g. `sqlite://booking.db?mode=rwc`, `sqlite::memory:`).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, &StoreOptions::default()).await
    }

    /// [`SqliteStore::connect`] with pool options.
    pub async fn connect_with(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL: every commit survives a crash of the process; a power
            // failure can lose the last commits but never corrupts the database.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(StdDuration::from_secs(30));
        // An in-memory database lives in one connection.
        let max = if url.contains(":memory:") { 1 } else { 8 };
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(opts)
            .await?;
        Ok(Self {
            pool,
            writer: Arc::new(Mutex::new(())),
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
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
        sqlx::query("VACUUM INTO ?")
            .bind(path.display().to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn write_booking(
        &self,
        b: &Booking,
        check: &CheckFn<'_>,
        update: bool,
        log: &ChangeLog,
    ) -> Result<(), CoreError> {
        let _writer = self.writer.lock().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(StoreError::from)?;
        let snap = snapshot(&mut tx, b).await?;
        check(&snap)?;
        let result = if update {
            sqlx::query(
                "UPDATE bookings SET title = ?, purpose = ?, attendees = ?, start_at = ?, end_at = ?, \
                 held_start = ?, held_end = ?, status = ?, sequence = ?, updated_at = ? \
                 WHERE id = ? AND sequence = ?",
            )
            .bind(&b.title)
            .bind(&b.purpose)
            .bind(i64::from(b.attendees))
            .bind(ts(b.start))
            .bind(ts(b.end))
            .bind(ts(b.held_start))
            .bind(ts(b.held_end))
            .bind(b.status.as_str())
            .bind(i64::from(b.sequence))
            .bind(ts(b.updated_at))
            .bind(b.id.0)
            .bind(i64::from(b.sequence) - 1)
            .execute(&mut *tx)
            .await
        } else {
            insert_booking(&mut tx, b).await
        };
        match result {
            Ok(done) if update && done.rows_affected() == 0 => {
                return Err(CoreError::Forbidden(format!(
                    "booking {} was changed by someone else; reload and retry",
                    b.id
                )));
            }
            Ok(_) => {}
            Err(e) if is_conflict_trigger(&e) => {
                // Cannot happen while every writer goes through BEGIN IMMEDIATE,
                // but a writer that bypasses the service still gets a clear answer.
                let snap = snapshot(&mut tx, b).await?;
                return Err(snap
                    .conflicting
                    .first()
                    .map(conflict_from)
                    .unwrap_or_else(|| StoreError::Database(e).into()));
            }
            Err(e) => return Err(StoreError::Database(e).into()),
        }
        insert_audit(&mut tx, &log.audit).await?;
        insert_events(&mut tx, &log.events).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn pending_migrations(&self) -> Result<Vec<String>, StoreError> {
        // A database never migrated has no table yet: everything is pending.
        let applied: Vec<i64> =
            match sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.pool)
                .await
            {
                Ok(v) => v,
                Err(sqlx::Error::Database(_)) => Vec::new(),
                Err(e) => return Err(e.into()),
            };
        Ok(super::pending(&MIGRATOR, &applied))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn insert_room(&self, room: &Room) -> Result<(), StoreError> {
        let _writer = self.writer.lock().await;
        sqlx::query(
            "INSERT INTO rooms (id, name, category, capacity, floor, location, amenities, time_zone, active, \
             deleted_at, policy, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(room.id.0)
        .bind(&room.name)
        .bind(room.category.as_str())
        .bind(i64::from(room.capacity))
        .bind(room.floor)
        .bind(&room.location)
        .bind(Json(&room.amenities))
        .bind(room.time_zone.name())
        .bind(room.active)
        .bind(room.deleted_at.map(ts))
        .bind(Json(&room.policy))
        .bind(ts(room.created_at))
        .bind(ts(room.updated_at))
        .execute(&self.pool)
        .await
        .map_err(map_write_err)?;
        Ok(())
    }

    async fn update_room(&self, room: &Room) -> Result<bool, StoreError> {
        let _writer = self.writer.lock().await;
        let done = sqlx::query(
            "UPDATE rooms SET name = ?, category = ?, capacity = ?, floor = ?, location = ?, amenities = ?, \
             time_zone = ?, active = ?, deleted_at = ?, policy = ?, updated_at = ? WHERE id = ?",
        )
        .bind(&room.name)
        .bind(room.category.as_str())
        .bind(i64::from(room.capacity))
        .bind(room.floor)
        .bind(&room.location)
        .bind(Json(&room.amenities))
        .bind(room.time_zone.name())
        .bind(room.active)
        .bind(room.deleted_at.map(ts))
        .bind(Json(&room.policy))
        .bind(ts(room.updated_at))
        .bind(room.id.0)
        .execute(&self.pool)
        .await
        .map_err(map_write_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn get_room(&self, id: RoomId) -> Result<Option<Room>, StoreError> {
        const Q: &str = concat!(room_cols!(), " WHERE id = ?");
        sqlx::query(Q)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(room_from_row)
            .transpose()
    }

    async fn list_rooms(&self, include_deleted: bool) -> Result<Vec<Room>, StoreError> {
        const Q: &str = concat!(
            room_cols!(),
            " WHERE (? OR deleted_at IS NULL) ORDER BY name"
        );
        sqlx::query(Q)
            .bind(include_deleted)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(room_from_row)
            .collect()
    }

    async fn insert_user(
        &self,
        user: &User,
        password_hash: Option<&str>,
    ) -> Result<(), StoreError> {
        let _writer = self.writer.lock().await;
        sqlx::query(
            "INSERT INTO users (id, email, display_name, role, assigned_rooms, active, created_at, password_hash) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(user.id.0)
        .bind(&user.email)
        .bind(&user.display_name)
        .bind(user.role.as_str())
        .bind(Json(&user.assigned_rooms))
        .bind(user.active)
        .bind(ts(user.created_at))
        .bind(password_hash)
        .execute(&self.pool)
        .await
        .map_err(map_write_err)?;
        Ok(())
    }

    async fn update_user(&self, user: &User) -> Result<bool, StoreError> {
        let _writer = self.writer.lock().await;
        let done = sqlx::query(
            "UPDATE users SET email = ?, display_name = ?, role = ?, assigned_rooms = ?, active = ? WHERE id = ?",
        )
        .bind(&user.email)
        .bind(&user.display_name)
        .bind(user.role.as_str())
        .bind(Json(&user.assigned_rooms))
        .bind(user.active)
        .bind(user.id.0)
        .execute(&self.pool)
        .await
        .map_err(map_write_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        const Q: &str = concat!(user_cols!(), " WHERE id = ?");
        sqlx::query(Q)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    async fn get_user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        const Q: &str = concat!(user_cols!(), " WHERE email = ?");
        sqlx::query(Q)
            .bind(email)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        const Q: &str = concat!(user_cols!(), " ORDER BY email");
        sqlx::query(Q)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(user_from_row)
            .collect()
    }

    async fn get_credentials(&self, id: UserId) -> Result<Option<Credentials>, StoreError> {
        let row = sqlx::query(
            "SELECT password_hash, failed_logins, locked_until FROM users WHERE id = ?",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(Credentials {
                password_hash: r.try_get("password_hash")?,
                failed_logins: to_u32(r.try_get("failed_logins")?, "failed_logins")?,
                locked_until: opt_ts(r.try_get("locked_until")?)?,
            })
        })
        .transpose()
    }

    async fn set_credentials(&self, id: UserId, c: &Credentials) -> Result<(), StoreError> {
        let _writer = self.writer.lock().await;
        sqlx::query(
            "UPDATE users SET password_hash = ?, failed_logins = ?, locked_until = ? WHERE id = ?",
        )
        .bind(&c.password_hash)
        .bind(i64::from(c.failed_logins))
        .bind(c.locked_until.map(ts))
        .bind(id.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn create_booking(
        &self,
        b: &Booking,
        check: &CheckFn<'_>,
        log: &ChangeLog,
    ) -> Result<(), CoreError> {
        self.write_booking(b, check, false, log).await
    }

    async fn update_booking(
        &self,
        b: &Booking,
        check: &CheckFn<'_>,
        log: &ChangeLog,
    ) -> Result<(), CoreError> {
        self.write_booking(b, check, true, log).await
    }

    async fn set_booking_status(
        &self,
        b: &Booking,
        expected: BookingStatus,
        log: &ChangeLog,
    ) -> Result<bool, StoreError> {
        let _writer = self.writer.lock().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query(
            "UPDATE bookings SET status = ?, approver_id = ?, decision_reason = ?, sequence = ?, updated_at = ?, \
             no_show = ? WHERE id = ? AND status = ?",
        )
        .bind(b.status.as_str())
        .bind(b.approver_id.map(|u| u.0))
        .bind(&b.decision_reason)
        .bind(i64::from(b.sequence))
        .bind(ts(b.updated_at))
        .bind(b.no_show)
        .bind(b.id.0)
        .bind(expected.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        insert_audit(&mut tx, &log.audit).await?;
        insert_events(&mut tx, &log.events).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn get_booking(&self, id: BookingId) -> Result<Option<Booking>, StoreError> {
        const Q: &str = concat!(booking_cols!(), " WHERE id = ?");
        sqlx::query(Q)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(booking_from_row)
            .transpose()
    }

    async fn list_bookings(&self, f: &BookingFilter) -> Result<Vec<Booking>, StoreError> {
        // All rows come back as one JSON array in one row (UUIDs as hex, which
        // Uuid::parse_str reads in either case): sqlx hands SQLite
        // rows over one at a time between threads, which cost ~15 µs a row
        // (75 ms for a 5,000-booking feed); one row costs one hand-over.
        // Filters that are set become plain terms SQLite can use an index
        // for; unset ones stay `?N IS NULL` (true) so every parameter is
        // still referenced.
        let term = |set: bool, on: &'static str, off: &'static str| if set { on } else { off };
        let sql = format!(
            "SELECT json_group_array(json_array(hex(id), hex(room_id), \
             hex(organizer_id), title, purpose, attendees, start_at, end_at, held_start, \
             held_end, status, hex(approver_id), decision_reason, sequence, created_at, \
             updated_at, hex(series_id), occurrence_start, checked_in_at, no_show)) \
             FROM (SELECT * FROM bookings WHERE {} AND {} AND {} AND {} \
               AND (?5 IS NULL OR status IN (SELECT value FROM json_each(?5))) \
               AND {} AND {} \
             ORDER BY start_at, id LIMIT ?6)",
            term(f.room_id.is_some(), "room_id = ?1", "?1 IS NULL"),
            term(f.organizer_id.is_some(), "organizer_id = ?2", "?2 IS NULL"),
            term(f.from.is_some(), "end_at > ?3", "?3 IS NULL"),
            term(f.to.is_some(), "start_at < ?4", "?4 IS NULL"),
            term(f.series_id.is_some(), "series_id = ?7", "?7 IS NULL"),
            term(f.changed_since.is_some(), "updated_at >= ?8", "?8 IS NULL"),
        );
        let statuses = (!f.statuses.is_empty())
            .then(|| Json(f.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>()));
        // Built only from the constant fragments above.
        let json: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(f.room_id.map(|r| r.0))
            .bind(f.organizer_id.map(|u| u.0))
            .bind(f.from.map(ts))
            .bind(f.to.map(ts))
            .bind(statuses)
            .bind(i64::from(f.limit.unwrap_or(1000)))
            .bind(f.series_id.map(|x| x.0))
            .bind(f.changed_since.map(ts))
            .fetch_one(&self.pool)
            .await?;
        let rows: Vec<Vec<serde_json::Value>> = serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("booking list: {e}")))?;
        rows.iter().map(|r| booking_from_json(r)).collect()
    }

    async fn bookings_version(
        &self,
        scope: VersionScope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<BookingsVersion, StoreError> {
        // One statement per scope, so each uses its index.
        const AGG: &str = "SELECT COUNT(*), CAST(COALESCE(SUM(sequence), 0) AS BIGINT), MAX(updated_at), \
             (SELECT MAX(updated_at) FROM rooms), (SELECT COUNT(*) FROM rooms) FROM bookings ";
        let (sql, id) = match scope {
            VersionScope::Room(r) => (
                format!("{AGG} WHERE room_id = ?1 AND start_at < ?2 AND end_at > ?3"),
                Some(r.0),
            ),
            VersionScope::Organizer(u) => (
                format!("{AGG} WHERE organizer_id = ?1 AND start_at < ?2 AND end_at > ?3"),
                Some(u.0),
            ),
            VersionScope::All => (
                format!("{AGG} WHERE start_at < ?2 AND end_at > ?3 AND ?1 IS NULL"),
                None,
            ),
        };
        // Built only from the constant fragments above.
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(ts(to))
            .bind(ts(from))
            .fetch_one(&self.pool)
            .await?;
        Ok(BookingsVersion {
            count: row.try_get(0)?,
            sequence_sum: row.try_get(1)?,
            last_change: opt_ts(row.try_get(2)?)?,
            rooms_change: opt_ts(row.try_get(3)?)?,
            rooms: row.try_get(4)?,
        })
    }

    async fn change_stamp(&self, scope: VersionScope) -> Result<ChangeStamp, StoreError> {
        const ROOMS: &str = "COALESCE((SELECT n FROM feed_changes WHERE kind = 'rooms'), 0)";
        let (kind, id) = match scope {
            VersionScope::Room(r) => ("room", Some(r.0)),
            VersionScope::Organizer(u) => ("organizer", Some(u.0)),
            VersionScope::All => ("room", None),
        };
        // One key lookup for a room or organizer; a sum over the rooms' rows for all.
        let sql = if id.is_some() {
            format!(
                "SELECT COALESCE((SELECT n FROM feed_changes WHERE kind = ?1 AND id = ?2), 0), {ROOMS}"
            )
        } else {
            format!(
                "SELECT COALESCE((SELECT CAST(SUM(n) AS BIGINT) FROM feed_changes WHERE kind = ?1 AND ?2 IS NULL), 0), {ROOMS}"
            )
        };
        // Built only from the constant fragments above.
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(kind)
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(ChangeStamp {
            writes: row.try_get(0)?,
            room_writes: row.try_get(1)?,
        })
    }

    async fn room_versions(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(RoomId, BookingsVersion)>, StoreError> {
        let rows = sqlx::query(
            "SELECT room_id, COUNT(*), CAST(COALESCE(SUM(sequence), 0) AS BIGINT), MAX(updated_at), \
             (SELECT MAX(updated_at) FROM rooms), (SELECT COUNT(*) FROM rooms) FROM bookings \
             WHERE start_at < ?1 AND end_at > ?2 GROUP BY room_id",
        )
        .bind(ts(to))
        .bind(ts(from))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    RoomId(row.try_get(0)?),
                    BookingsVersion {
                        count: row.try_get(1)?,
                        sequence_sum: row.try_get(2)?,
                        last_change: opt_ts(row.try_get(3)?)?,
                        rooms_change: opt_ts(row.try_get(4)?)?,
                        rooms: row.try_get(5)?,
                    },
                ))
            })
            .collect()
    }

    async fn occupancies(
        &self,
        room: Option<RoomId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(RoomId, Occupancy)>, StoreError> {
        // Held intervals are at most MAX_HELD_MINUTES long, which bounds the scan.
        // Two statements so each can use its own index.
        let query = match room {
            Some(room) => sqlx::query(
                "SELECT id, room_id, held_start, held_end FROM bookings \
                 WHERE room_id = ?1 AND status IN ('pending', 'approved') \
                 AND held_start < ?2 AND held_start > ?3 AND held_end > ?4 ORDER BY held_start",
            )
            .bind(room.0),
            None => sqlx::query(
                "SELECT id, room_id, held_start, held_end FROM bookings \
                 WHERE status IN ('pending', 'approved') AND ?1 IS NULL \
                 AND held_start < ?2 AND held_start > ?3 AND held_end > ?4 ORDER BY held_start",
            )
            .bind(None::<uuid::Uuid>),
        };
        let rows = query
            .bind(ts(to))
            .bind(ts(from - Duration::minutes(MAX_HELD_MINUTES)))
            .bind(ts(from))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    RoomId(r.try_get("room_id")?),
                    Occupancy {
                        booking_id: BookingId(r.try_get("id")?),
                        start: from_ts(r.try_get("held_start")?)?,
                        end: from_ts(r.try_get("held_end")?)?,
                    },
                ))
            })
            .collect()
    }

    async fn count_bookings_by_status(&self) -> Result<Vec<(BookingStatus, i64)>, StoreError> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM bookings GROUP BY status")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse_enum(r.try_get::<&str, _>("status")?, "status")?,
                    r.try_get("n")?,
                ))
            })
            .collect()
    }

    async fn create_series(
        &self,
        series: &Series,
        occurrences: &[Booking],
        check: &SeriesCheckFn<'_>,
        log: &ChangeLog,
    ) -> Result<Vec<usize>, CoreError> {
        let _writer = self.writer.lock().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(StoreError::from)?;
        let snaps = series_snapshots(&mut tx, occurrences).await?;
        let chosen = check(&snaps)?;
        sqlx::query(
            "INSERT INTO series (id, room_id, organizer_id, title, purpose, attendees, local_start, \
             duration_minutes, rrule, trimmed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(series.id.0)
        .bind(series.room_id.0)
        .bind(series.organizer_id.0)
        .bind(&series.title)
        .bind(&series.purpose)
        .bind(i64::from(series.attendees))
        .bind(series.local_start.format(LOCAL_FMT).to_string())
        .bind(i64::from(series.duration_minutes))
        .bind(&series.rrule)
        .bind(series.trimmed)
        .bind(ts(series.created_at))
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        for &i in &chosen {
            if let Some(b) = occurrences.get(i) {
                insert_booking(&mut tx, b).await.map_err(StoreError::from)?;
            }
        }
        insert_audit(&mut tx, &log.audit).await?;
        let events: Vec<StoredEvent> = chosen
            .iter()
            .filter_map(|&i| log.events.get(i).cloned())
            .collect();
        insert_events(&mut tx, &events).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(chosen)
    }

    async fn get_series(&self, id: SeriesId) -> Result<Option<Series>, StoreError> {
        let row = sqlx::query(
            "SELECT id, room_id, organizer_id, title, purpose, attendees, local_start, duration_minutes, \
             rrule, trimmed, created_at FROM series WHERE id = ?",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let local: String = r.try_get("local_start")?;
            Ok(Series {
                id: SeriesId(r.try_get("id")?),
                room_id: RoomId(r.try_get("room_id")?),
                organizer_id: UserId(r.try_get("organizer_id")?),
                title: r.try_get("title")?,
                purpose: r.try_get("purpose")?,
                attendees: to_u32(r.try_get("attendees")?, "attendees")?,
                local_start: chrono::NaiveDateTime::parse_from_str(&local, LOCAL_FMT)
                    .map_err(|_| StoreError::Corrupt(format!("bad local_start {local:?}")))?,
                duration_minutes: to_u32(r.try_get("duration_minutes")?, "duration")?,
                rrule: r.try_get("rrule")?,
                trimmed: r.try_get("trimmed")?,
                created_at: from_ts(r.try_get("created_at")?)?,
            })
        })
        .transpose()
    }

    async fn check_in(&self, id: BookingId, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let _writer = self.writer.lock().await;
        let done = sqlx::query(
            "UPDATE bookings SET checked_in_at = ? WHERE id = ? AND status = 'approved' AND checked_in_at IS NULL",
        )
        .bind(ts(at))
        .bind(id.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn awaiting_check_in(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Booking>, StoreError> {
        const Q: &str = concat!(
            booking_cols!(),
            " WHERE status = 'approved' AND checked_in_at IS NULL AND start_at >= ? AND start_at < ? \
              ORDER BY start_at"
        );
        sqlx::query(Q)
            .bind(ts(from))
            .bind(ts(to))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(booking_from_row)
            .collect()
    }

    async fn usage(
        &self,
        user: UserId,
        room: Option<RoomId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<(u32, i64), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, COALESCE(SUM(end_at - start_at), 0) AS secs FROM bookings \
             WHERE organizer_id = ?1 AND (?2 IS NULL OR room_id = ?2) \
             AND status IN ('pending', 'approved') AND start_at >= ?3 AND start_at < ?4",
        )
        .bind(user.0)
        .bind(room.map(|r| r.0))
        .bind(ts(from))
        .bind(ts(to))
        .fetch_one(&self.pool)
        .await?;
        let secs: i64 = row.try_get("secs")?;
        Ok((to_u32(row.try_get("n")?, "count")?, secs / 60))
    }

    async fn insert_waitlist(&self, e: &WaitlistEntry) -> Result<(), StoreError> {
        let _writer = self.writer.lock().await;
        sqlx::query(
            "INSERT INTO waitlist (id, room_id, user_id, title, purpose, attendees, start_at, end_at, \
             created_at, booking_id, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(e.id.0)
        .bind(e.room_id.0)
        .bind(e.user_id.0)
        .bind(&e.title)
        .bind(&e.purpose)
        .bind(i64::from(e.attendees))
        .bind(ts(e.start))
        .bind(ts(e.end))
        .bind(ts(e.created_at))
        .bind(e.booking_id.map(|b| b.0))
        .bind(e.active)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn update_waitlist(&self, e: &WaitlistEntry) -> Result<bool, StoreError> {
        let _writer = self.writer.lock().await;
        let done = sqlx::query("UPDATE waitlist SET booking_id = ?, active = ? WHERE id = ?")
            .bind(e.booking_id.map(|b| b.0))
            .bind(e.active)
            .bind(e.id.0)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn get_waitlist(&self, id: WaitlistId) -> Result<Option<WaitlistEntry>, StoreError> {
        const Q: &str = concat!(waitlist_cols!(), " WHERE id = ?");
        sqlx::query(Q)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(waitlist_from_row)
            .transpose()
    }

    async fn waiting_for(
        &self,
        room: RoomId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<WaitlistEntry>, StoreError> {
        const Q: &str = concat!(
            waitlist_cols!(),
            " WHERE room_id = ? AND active = 1 AND start_at < ? AND end_at > ? ORDER BY created_at, rowid"
        );
        sqlx::query(Q)
            .bind(room.0)
            .bind(ts(to))
            .bind(ts(from))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(waitlist_from_row)
            .collect()
    }

    async fn waitlist_of(&self, user: UserId) -> Result<Vec<WaitlistEntry>, StoreError> {
        const Q: &str = concat!(
            waitlist_cols!(),
            " WHERE user_id = ? ORDER BY created_at DESC, id LIMIT 1000"
        );
        sqlx::query(Q)
            .bind(user.0)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(waitlist_from_row)
            .collect()
    }

    async fn create_link_code(
        &self,
        code: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _writer = self.writer.lock().await;
        sqlx::query("INSERT INTO chat_link_codes (code, user_id, expires_at) VALUES (?, ?, ?)")
            .bind(code)
            .bind(user.0)
            .bind(ts(expires_at))
            .execute(&self.pool)
            .await
            .map_err(map_write_err)?;
        Ok(())
    }

    async fn redeem_link_code(
        &self,
        code: &str,
        platform: &str,
        external_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserId>, StoreError> {
        let _writer = self.writer.lock().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let user: Option<Uuid> = sqlx::query_scalar(
            "DELETE FROM chat_link_codes WHERE code = ? AND expires_at > ? RETURNING user_id",
        )
        .bind(code)
        .bind(ts(now))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(user) = user else {
            return Ok(None);
        };
        sqlx::query(
            "INSERT INTO chat_links (platform, external_id, user_id, created_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (platform, external_id) DO UPDATE SET user_id = excluded.user_id, created_at = excluded.created_at",
        )
        .bind(platform)
        .bind(external_id)
        .bind(user)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(UserId(user)))
    }

    async fn first_sighting(
        &self,
        key: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let _writer = self.writer.lock().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM chat_requests WHERE seen_at < ?")
            .bind(ts(forget_before))
            .execute(&mut *tx)
            .await?;
        let new = sqlx::query(
            "INSERT INTO chat_requests (key, seen_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(new)
    }

    async fn chat_user(
        &self,
        platform: &str,
        external_id: &str,
    ) -> Result<Option<UserId>, StoreError> {
        let user: Option<Uuid> = sqlx::query_scalar(
            "SELECT user_id FROM chat_links WHERE platform = ? AND external_id = ?",
        )
        .bind(platform)
        .bind(external_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(user.map(UserId))
    }

    async fn enqueue_mail(&self, mails: &[NewMail], now: DateTime<Utc>) -> Result<(), StoreError> {
        if mails.is_empty() {
            return Ok(());
        }
        let _writer = self.writer.lock().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        insert_mails(&mut tx, mails, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn mail_cursor(&self) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT event_id FROM mail_cursor WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn advance_mail_cursor(
        &self,
        from: Option<i64>,
        to: i64,
        mails: &[NewMail],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let _writer = self.writer.lock().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let moved = match from {
            None => sqlx::query(
                "INSERT INTO mail_cursor (id, event_id) VALUES (1, ?1) ON CONFLICT (id) DO NOTHING",
            )
            .bind(to)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
            Some(from) => {
                sqlx::query("UPDATE mail_cursor SET event_id = ?1 WHERE id = 1 AND event_id = ?2")
                    .bind(to)
                    .bind(from)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
            }
        };
        if moved == 0 {
            return Ok(false);
        }
        insert_mails(&mut tx, mails, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn claim_mail(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<QueuedMail>, StoreError> {
        let _writer = self.writer.lock().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let rows = sqlx::query(
            "SELECT id, sender, recipient, message, attempts FROM outbox \
             WHERE sent_at IS NULL AND next_attempt_at <= ?1 ORDER BY id LIMIT ?2",
        )
        .bind(ts(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            sqlx::query(
                "UPDATE outbox SET next_attempt_at = ?1, attempts = attempts + 1 WHERE id = ?2",
            )
            .bind(ts(lease_until))
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let attempts: i64 = r.try_get("attempts")?;
            out.push(QueuedMail {
                id,
                sender: r.try_get("sender")?,
                recipient: r.try_get("recipient")?,
                message: r.try_get("message")?,
                attempts: u32::try_from(attempts).unwrap_or(0) + 1,
            });
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn mail_sent(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        let _writer = self.writer.lock().await;
        sqlx::query("UPDATE outbox SET sent_at = ?1, last_error = NULL WHERE id = ?2")
            .bind(ts(at))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn mail_failed(
        &self,
        id: i64,
        next_attempt: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        let _writer = self.writer.lock().await;
        sqlx::query("UPDATE outbox SET next_attempt_at = ?1, last_error = ?2 WHERE id = ?3")
            .bind(ts(next_attempt))
            .bind(error)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) FILTER (WHERE sent_at IS NULL), COUNT(*) FILTER (WHERE sent_at IS NOT NULL) FROM outbox",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(OutboxCounts {
            pending: row.try_get(0)?,
            sent: row.try_get(1)?,
        })
    }

    async fn outbox_messages(&self, limit: u32) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let rows = sqlx::query("SELECT kind, message FROM outbox ORDER BY id DESC LIMIT ?1")
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("kind")?, r.try_get("message")?)))
            .collect()
    }

    async fn invite_link(&self, uid: &str, room: RoomId) -> Result<Option<InviteLink>, StoreError> {
        let row = sqlx::query(
            "SELECT uid, room_id, organizer, sequence, booking_id, series_id, updated_at FROM invites \
             WHERE uid = ?1 AND room_id = ?2",
        )
        .bind(uid)
        .bind(room.0)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(invite_from_row).transpose()
    }

    async fn invite_link_for(
        &self,
        booking: BookingId,
        series: Option<SeriesId>,
    ) -> Result<Option<InviteLink>, StoreError> {
        let row = sqlx::query(
            "SELECT uid, room_id, organizer, sequence, booking_id, series_id, updated_at FROM invites \
             WHERE booking_id = ?1 OR (?2 IS NOT NULL AND series_id = ?2) LIMIT 1",
        )
        .bind(booking.0)
        .bind(series.map(|s| s.0))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(invite_from_row).transpose()
    }

    async fn save_invite_link(&self, l: &InviteLink) -> Result<(), StoreError> {
        let _writer = self.writer.lock().await;
        sqlx::query(
            "INSERT INTO invites (uid, room_id, organizer, sequence, booking_id, series_id, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (uid, room_id) DO UPDATE SET \
             organizer = excluded.organizer, sequence = excluded.sequence, booking_id = excluded.booking_id, \
             series_id = excluded.series_id, updated_at = excluded.updated_at",
        )
        .bind(&l.uid)
        .bind(l.room_id.0)
        .bind(&l.organizer)
        .bind(l.sequence)
        .bind(l.booking_id.map(|b| b.0))
        .bind(l.series_id.map(|s| s.0))
        .bind(ts(l.updated_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn identity_user(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<UserId>, StoreError> {
        let user: Option<Uuid> =
            sqlx::query_scalar("SELECT user_id FROM identities WHERE issuer = ? AND subject = ?")
                .bind(issuer)
                .bind(subject)
                .fetch_optional(&self.pool)
                .await?;
        Ok(user.map(UserId))
    }

    async fn link_identity(
        &self,
        issuer: &str,
        subject: &str,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _writer = self.writer.lock().await;
        sqlx::query(
            "INSERT INTO identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (issuer, subject) DO UPDATE SET user_id = excluded.user_id",
        )
        .bind(issuer)
        .bind(subject)
        .bind(user.0)
        .bind(ts(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn append_events(&self, events: &[StoredEvent]) -> Result<(), StoreError> {
        let _writer = self.writer.lock().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn latest_event_id(&self) -> Result<i64, StoreError> {
        let id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM events")
            .fetch_one(&self.pool)
            .await?;
        Ok(id)
    }

    async fn events_since(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, kind, room_id, organizer_id, booking_id, payload FROM events \
             WHERE id > ? ORDER BY id LIMIT ?",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredEvent {
                    id: r.try_get("id")?,
                    at: from_ts(r.try_get("at")?)?,
                    kind: r.try_get("kind")?,
                    room_id: RoomId(r.try_get("room_id")?),
                    organizer_id: UserId(r.try_get("organizer_id")?),
                    booking_id: BookingId(r.try_get("booking_id")?),
                    payload: r.try_get::<Json<serde_json::Value>, _>("payload")?.0,
                })
            })
            .collect()
    }

    async fn prune_events(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let _writer = self.writer.lock().await;
        let done = sqlx::query("DELETE FROM events WHERE at < ?")
            .bind(ts(before))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn remote_events(&self) -> Result<Option<tokio::sync::mpsc::Receiver<()>>, StoreError> {
        // One process owns a SQLite file: there is nobody else to hear from.
        Ok(None)
    }

    async fn usage_by_bucket(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket: Bucket,
    ) -> Result<Vec<UsageRow>, StoreError> {
        let size: i64 = match bucket {
            Bucket::Hour => 3600,
            Bucket::Day => 86_400,
        };
        let rows = sqlx::query(
            "SELECT room_id, (start_at / ?3) * ?3 AS bucket, COUNT(*) AS n, \
             SUM(end_at - start_at) / 60 AS minutes \
             FROM bookings WHERE status IN ('pending', 'approved') AND start_at >= ?1 AND start_at < ?2 \
             GROUP BY room_id, bucket ORDER BY room_id, bucket",
        )
        .bind(ts(from))
        .bind(ts(to))
        .bind(size)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UsageRow {
                    room_id: RoomId(r.try_get("room_id")?),
                    bucket_start: from_ts(r.try_get("bucket")?)?,
                    bookings: r.try_get("n")?,
                    booked_minutes: r.try_get("minutes")?,
                })
            })
            .collect()
    }

    async fn heat_map(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<HeatCell>, StoreError> {
        let rows = sqlx::query(
            "SELECT (CAST(strftime('%w', start_at, 'unixepoch') AS INTEGER) + 6) % 7 AS weekday, \
             CAST(strftime('%H', start_at, 'unixepoch') AS INTEGER) AS hour, COUNT(*) AS n, \
             SUM(end_at - start_at) / 60 AS minutes \
             FROM bookings WHERE status IN ('pending', 'approved') AND start_at >= ? AND start_at < ? \
             GROUP BY weekday, hour ORDER BY weekday, hour",
        )
        .bind(ts(from))
        .bind(ts(to))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(HeatCell {
                    weekday: to_u32(r.try_get("weekday")?, "weekday")?,
                    hour: to_u32(r.try_get("hour")?, "hour")?,
                    bookings: r.try_get("n")?,
                    booked_minutes: r.try_get("minutes")?,
                })
            })
            .collect()
    }

    async fn room_stats(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<RoomStats>, StoreError> {
        let rows = sqlx::query(
            "SELECT room_id, COUNT(*) AS total, \
             SUM(status = 'approved') AS approved, SUM(status = 'pending') AS pending, \
             SUM(status = 'rejected') AS rejected, SUM(status = 'cancelled') AS cancelled, \
             SUM(no_show) AS no_shows, SUM(attendees) AS attendees, \
             COALESCE(SUM(CASE WHEN approver_id IS NOT NULL AND status IN ('approved', 'rejected') \
                 THEN updated_at - created_at END), 0) / 60 AS decision_minutes, \
             SUM(approver_id IS NOT NULL AND status IN ('approved', 'rejected')) AS decided \
             FROM bookings WHERE start_at >= ? AND start_at < ? GROUP BY room_id ORDER BY room_id",
        )
        .bind(ts(from))
        .bind(ts(to))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RoomStats {
                    room_id: RoomId(r.try_get("room_id")?),
                    total: r.try_get("total")?,
                    approved: r.try_get("approved")?,
                    pending: r.try_get("pending")?,
                    rejected: r.try_get("rejected")?,
                    cancelled: r.try_get("cancelled")?,
                    no_shows: r.try_get("no_shows")?,
                    attendees: r.try_get("attendees")?,
                    decision_minutes: r.try_get("decision_minutes")?,
                    decided: r.try_get("decided")?,
                })
            })
            .collect()
    }

    async fn insert_order(&self, o: &Order) -> Result<(), StoreError> {
        let _writer = self.writer.lock().await;
        sqlx::query(
            "INSERT INTO orders (id, booking_id, requested_by, kind, items, priority, status, cost_centre, notes, \
             needs_review, notice, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(o.id)
        .bind(o.booking_id.0)
        .bind(o.requested_by.0)
        .bind(o.kind.as_str())
        .bind(Json(&o.items))
        .bind(o.priority.as_str())
        .bind(o.status.as_str())
        .bind(&o.cost_centre)
        .bind(&o.notes)
        .bind(o.needs_review)
        .bind(&o.notice)
        .bind(ts(o.created_at))
        .bind(ts(o.updated_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn update_order(&self, o: &Order, expected: OrderStatus) -> Result<bool, StoreError> {
        let _writer = self.writer.lock().await;
        let done = sqlx::query(
            "UPDATE orders SET status = ?, needs_review = ?, notice = ?, updated_at = ? WHERE id = ? AND status = ?",
        )
        .bind(o.status.as_str())
        .bind(o.needs_review)
        .bind(&o.notice)
        .bind(ts(o.updated_at))
        .bind(o.id)
        .bind(expected.as_str())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn get_order(&self, id: uuid::Uuid) -> Result<Option<Order>, StoreError> {
        const Q: &str = concat!(order_cols!(), " WHERE id = ?");
        sqlx::query(Q)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(order_from_row)
            .transpose()
    }

    async fn list_orders(
        &self,
        status: Option<OrderStatus>,
        booking: Option<BookingId>,
    ) -> Result<Vec<Order>, StoreError> {
        const Q: &str = concat!(
            order_cols!(),
            " WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR booking_id = ?2) ORDER BY created_at LIMIT 5000"
        );
        sqlx::query(Q)
            .bind(status.map(|s| s.as_str()))
            .bind(booking.map(|b| b.0))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(order_from_row)
            .collect()
    }

    async fn set_feed_token(&self, user: UserId, token: &str) -> Result<(), StoreError> {
        let _writer = self.writer.lock().await;
        sqlx::query("UPDATE users SET feed_token = ? WHERE id = ?")
            .bind(token)
            .bind(user.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn feed_token(&self, user: UserId) -> Result<Option<String>, StoreError> {
        let t: Option<Option<String>> =
            sqlx::query_scalar("SELECT feed_token FROM users WHERE id = ?")
                .bind(user.0)
                .fetch_optional(&self.pool)
                .await?;
        Ok(t.flatten())
    }

    async fn user_by_feed_token(&self, token: &str) -> Result<Option<User>, StoreError> {
        const Q: &str = concat!(user_cols!(), " WHERE feed_token = ? AND active");
        sqlx::query(Q)
            .bind(token)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    async fn revoke_token(&self, jti: &str, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        let _writer = self.writer.lock().await;
        sqlx::query("INSERT OR IGNORE INTO revoked_tokens (jti, expires_at) VALUES (?, ?)")
            .bind(jti)
            .bind(ts(expires_at))
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM revoked_tokens WHERE expires_at < ?")
            .bind(ts(Utc::now()))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn is_token_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM revoked_tokens WHERE jti = ?")
            .bind(jti)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    async fn append_audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
        let _writer = self.writer.lock().await;
        let mut conn = self.pool.acquire().await?;
        insert_audit(&mut conn, e).await
    }

    async fn list_audit(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, actor_id, actor_ip, action, entity, entity_id, before, after FROM audit_log \
             WHERE (?1 IS NULL OR actor_id = ?1) AND (?2 IS NULL OR entity = ?2) \
             AND (?3 IS NULL OR entity_id = ?3) AND (?4 IS NULL OR at >= ?4) AND (?5 IS NULL OR at < ?5) \
             ORDER BY id DESC LIMIT ?6",
        )
        .bind(f.actor_id.map(|u| u.0))
        .bind(&f.entity)
        .bind(&f.entity_id)
        .bind(f.from.map(ts))
        .bind(f.to.map(ts))
        .bind(i64::from(f.limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: from_ts(r.try_get("at")?)?,
                    actor_id: r.try_get::<Option<Uuid>, _>("actor_id")?.map(UserId),
                    actor_ip: r.try_get("actor_ip")?,
                    action: r.try_get("action")?,
                    entity: r.try_get("entity")?,
                    entity_id: r.try_get("entity_id")?,
                    before: r
                        .try_get::<Option<Json<serde_json::Value>>, _>("before")?
                        .map(|j| j.0),
                    after: r
                        .try_get::<Option<Json<serde_json::Value>>, _>("after")?
                        .map(|j| j.0),
                })
            })
            .collect()
    }
}

async fn insert_mails(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    mails: &[NewMail],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for m in mails {
        sqlx::query(
            "INSERT OR IGNORE INTO outbox (dedupe_key, kind, sender, recipient, subject, message, created_at, next_attempt_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        )
        .bind(&m.dedupe_key)
        .bind(&m.kind)
        .bind(&m.sender)
        .bind(&m.recipient)
        .bind(&m.subject)
        .bind(&m.message)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn invite_from_row(r: &SqliteRow) -> Result<InviteLink, StoreError> {
    Ok(InviteLink {
        uid: r.try_get("uid")?,
        room_id: RoomId(r.try_get("room_id")?),
        organizer: r.try_get("organizer")?,
        sequence: r.try_get("sequence")?,
        booking_id: r.try_get::<Option<Uuid>, _>("booking_id")?.map(BookingId),
        series_id: r.try_get::<Option<Uuid>, _>("series_id")?.map(SeriesId),
        updated_at: from_ts(r.try_get("updated_at")?)?,
    })
}
