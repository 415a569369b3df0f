//! Bookings: the writes that must never double-book, and the reads.

use async_trait::async_trait;
use booking_core::CoreError;
use booking_core::domain::{
    Booking, BookingId, BookingStatus, MAX_HELD_MINUTES, Occupancy, RoomId, SeriesId, UserId,
};
use booking_core::store::{BookingFilter, BookingStore, ChangeLog, CheckFn, GroupCheckFn};
use chrono::{DateTime, Duration, Utc};

use crate::SqlStore;
use crate::backend::{Arg, Row, SqlBackend, args, read_conn};
use crate::error::{StoreError, db};
use crate::query::{commit, exec, fetch};
use crate::rec::Rec;

macro_rules! cols {
    () => {
        "SELECT id, room_id, organizer_id, title, purpose, attendees, start_at, end_at, held_start, \
         held_end, status, approver_id, decision_reason, sequence, created_at, updated_at, series_id, \
         occurrence_start, checked_in_at, no_show, booked_by, group_id FROM bookings"
    };
}

mod write;

pub(crate) use write::{insert, overlap_error, snapshot};

pub(crate) fn booking<B: SqlBackend>(row: &Row<B>) -> Result<Booking, StoreError> {
    let r = Rec::<B>::new(row);
    Ok(Booking {
        id: BookingId(r.uuid("id")?),
        room_id: RoomId(r.uuid("room_id")?),
        organizer_id: UserId(r.uuid("organizer_id")?),
        title: r.text("title")?,
        purpose: r.text("purpose")?,
        attendees: r.u32("attendees")?,
        start: r.time("start_at")?,
        end: r.time("end_at")?,
        held_start: r.time("held_start")?,
        held_end: r.time("held_end")?,
        status: r.parse("status")?,
        approver_id: r.opt_uuid("approver_id")?.map(UserId),
        decision_reason: r.opt_text("decision_reason")?,
        sequence: r.u32("sequence")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
        series_id: r.opt_uuid("series_id")?.map(SeriesId),
        occurrence_start: r.opt_time("occurrence_start")?,
        checked_in_at: r.opt_time("checked_in_at")?,
        no_show: r.flag("no_show")?,
        booked_by: r.opt_uuid("booked_by")?.map(UserId),
        group_id: r.opt_uuid("group_id")?.map(BookingId),
    })
}

/// Bookings in the order lists show them, row by row (the default of
/// [`SqlBackend::list_bookings`]).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) async fn list_rows<B: SqlBackend>(
    b: &B,
    tail: String,
    args: Vec<Arg>,
) -> Result<Vec<Booking>, StoreError> {
    const OP: &str = "list bookings";
    let mut conn = read_conn(b, OP).await?;
    let sql = format!("{} {tail}", cols!());
    fetch::<B>(&mut conn, OP, sqlx::AssertSqlSafe(sql), args)
        .await?
        .iter()
        .map(booking::<B>)
        .collect()
}

#[async_trait]
impl<B: SqlBackend> BookingStore for SqlStore<B> {
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

    async fn create_bookings(
        &self,
        bookings: &[Booking],
        check: &GroupCheckFn<'_>,
        logs: &[ChangeLog],
    ) -> Result<(), CoreError> {
        const OP: &str = "insert bookings together";
        let mut tx = self.begin(OP, None).await?;
        if let Some(lock) = B::LOCK_ROOM {
            // Each room's write lock, in room order (as every other writer of
            // those rooms takes its one), so groups and single writers queue
            // rather than wait on each other in a circle.
            let mut rooms: Vec<RoomId> = bookings.iter().map(|b| b.room_id).collect();
            rooms.sort();
            rooms.dedup();
            for room in rooms {
                let key = crate::backend::room_lock_key(room);
                exec::<B>(&mut tx, OP, lock, args![key]).await?;
            }
        }
        let mut snaps = Vec::with_capacity(bookings.len());
        for b in bookings {
            snaps.push(snapshot::<B>(&mut tx, b).await?);
        }
        check(&snaps)?;
        for (b, log) in bookings.iter().zip(logs) {
            match insert::<B>(&mut tx, b).await {
                Ok(_) => {}
                Err(e) if B::is_overlap(&e) => {
                    drop(tx);
                    return Err(overlap_error(self, b, e, OP).await);
                }
                Err(e) => return Err(db(OP)(e).into()),
            }
            crate::audit::insert::<B>(&mut tx, &log.audit).await?;
            crate::events::insert::<B>(&mut tx, &log.events).await?;
        }
        commit::<B>(OP, tx).await?;
        Ok(())
    }

    async fn set_booking_status(
        &self,
        b: &Booking,
        expected: BookingStatus,
        log: &ChangeLog,
    ) -> Result<bool, StoreError> {
        const OP: &str = "change booking status";
        let mut tx = self.begin(OP, None).await?;
        let n = exec::<B>(
            &mut tx,
            OP,
            "UPDATE bookings SET status = $1, approver_id = $2, decision_reason = $3, sequence = $4, \
             updated_at = $5, no_show = $6 WHERE id = $7 AND status = $8",
            args![
                b.status.as_str(),
                b.approver_id,
                &b.decision_reason,
                b.sequence,
                b.updated_at,
                b.no_show,
                b.id,
                expected.as_str(),
            ],
        )
        .await?;
        if n != 1 {
            return Ok(false);
        }
        crate::audit::insert::<B>(&mut tx, &log.audit).await?;
        crate::events::insert::<B>(&mut tx, &log.events).await?;
        commit::<B>(OP, tx).await?;
        Ok(true)
    }

    async fn get_booking(&self, id: BookingId) -> Result<Option<Booking>, StoreError> {
        const Q: &str = concat!(cols!(), " WHERE id = $1");
        self.find("get booking", Q, args![id], booking::<B>).await
    }

    async fn list_bookings(&self, f: &BookingFilter) -> Result<Vec<Booking>, StoreError> {
        // Filters that are set become plain terms the database can use an
        // index for; unset ones stay `$N IS NULL` (true) so every parameter
        // is still referenced.
        let term =
            |set: bool, on: &str, off: &str| if set { on.to_string() } else { off.to_string() };
        let statuses = if f.statuses.is_empty() {
            Arg::Json(None)
        } else {
            Arg::json(&f.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>())?
        };
        let tail = format!(
            "WHERE {} AND {} AND {} AND {} AND {} AND {} AND {} AND {} ORDER BY start_at, id LIMIT $6",
            term(f.room_id.is_some(), "room_id = $1", "$1 IS NULL"),
            term(f.organizer_id.is_some(), "organizer_id = $2", "$2 IS NULL"),
            term(f.from.is_some(), "end_at > $3", "$3 IS NULL"),
            term(f.to.is_some(), "start_at < $4", "$4 IS NULL"),
            term(
                !f.statuses.is_empty(),
                &B::in_json_list("status", "$5"),
                "$5 IS NULL"
            ),
            term(f.series_id.is_some(), "series_id = $7", "$7 IS NULL"),
            term(f.changed_since.is_some(), "updated_at >= $8", "$8 IS NULL"),
            term(f.group_id.is_some(), "group_id = $9", "$9 IS NULL"),
        );
        let args = vec![
            Arg::from(f.room_id),
            Arg::from(f.organizer_id),
            Arg::from(f.from),
            Arg::from(f.to),
            statuses,
            Arg::from(f.limit.unwrap_or(1000)),
            Arg::from(f.series_id),
            Arg::from(f.changed_since),
            Arg::from(f.group_id),
        ];
        self.b.list_bookings(tail, args).await
    }

    async fn occupancies(
        &self,
        room: Option<RoomId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(RoomId, Occupancy)>, StoreError> {
        // Held intervals are at most MAX_HELD_MINUTES long, which bounds the
        // scan. Two statements so each can use its own index.
        let filter = if room.is_some() {
            "room_id = $1"
        } else {
            "$1 IS NULL"
        };
        let sql = format!(
            "SELECT id, room_id, held_start, held_end FROM bookings \
             WHERE {filter} AND status IN ('pending', 'approved') \
             AND held_start < $2 AND held_start > $3 AND held_end > $4 ORDER BY held_start"
        );
        let rows = self
            .rows(
                "read occupancies",
                sqlx::AssertSqlSafe(sql),
                args![room, to, from - Duration::minutes(MAX_HELD_MINUTES), from],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let r = Rec::<B>::new(row);
                Ok((
                    RoomId(r.uuid("room_id")?),
                    Occupancy {
                        booking_id: BookingId(r.uuid("id")?),
                        start: r.time("held_start")?,
                        end: r.time("held_end")?,
                    },
                ))
            })
            .collect()
    }

    async fn count_bookings_by_status(&self) -> Result<Vec<(BookingStatus, i64)>, StoreError> {
        let rows = self
            .rows(
                "count bookings",
                "SELECT status, COUNT(*) AS n FROM bookings GROUP BY status",
                vec![],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let r = Rec::<B>::new(row);
                Ok((r.parse("status")?, r.int("n")?))
            })
            .collect()
    }

    async fn check_in(&self, id: BookingId, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.changed_one(
            "check in",
            "UPDATE bookings SET checked_in_at = $1 WHERE id = $2 AND status = 'approved' \
                 AND checked_in_at IS NULL",
            args![at, id],
        )
        .await
    }

    async fn awaiting_check_in(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Booking>, StoreError> {
        const Q: &str = concat!(
            cols!(),
            " WHERE status = 'approved' AND checked_in_at IS NULL AND start_at >= $1 \
              AND start_at < $2 ORDER BY start_at"
        );
        self.all(
            "read bookings awaiting check-in",
            Q,
            args![from, to],
            booking::<B>,
        )
        .await
    }

    async fn usage(
        &self,
        user: UserId,
        room: Option<RoomId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<(u32, i64), StoreError> {
        let sql = format!(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM({} - {}), 0) AS BIGINT) AS secs FROM bookings \
             WHERE organizer_id = $1 AND ($2 IS NULL OR room_id = $2) \
             AND status IN ('pending', 'approved') AND start_at >= $3 AND start_at < $4",
            B::epoch("end_at"),
            B::epoch("start_at"),
        );
        let row = self
            .one(
                "read usage",
                sqlx::AssertSqlSafe(sql),
                args![user, room, from, to],
            )
            .await?;
        let r = Rec::<B>::new(&row);
        Ok((r.u32("n")?, r.int("secs")? / 60))
    }
}
